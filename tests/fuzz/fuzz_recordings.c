/* libFuzzer target for the recordings' HTTP entries (signaling/
 * http_recordings.c): any path, query and Range header against a real store
 * with one lesson and one recording whose file exists. The input is split at
 * NUL bytes into path, query and Range; the first byte's low bits put the
 * lesson's student token in the query and the lesson's path prefix before the
 * path, so the routes behind the access check are reached too; bit 4 sends
 * the lesson teacher's staff session cookie and bit 5 makes it a DELETE (the
 * one recording is being written, so a DELETE of it answers 409 and the
 * corpus never loses it); bit 6 puts /api/lessons/<lesson>/recordings/
 * before the path instead. Checked: every reply is a status with either a
 * body or a file range inside the file, 204 only without either. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "signaling/access.h"
#include "signaling/http_recordings.h"
#include "signaling/lesson_store.h"
#include "signaling/recording.h"
#include "signaling/recording_store.h"
#include "fuzz_media_ops.h"
#include "signaling/schema.h"
#include "signaling/signaling.h"
#include "signaling/staff.h"
#include "signaling/store.h"

#define NOW_MS 1764000000000ll

static struct signaling *sig;
static char token_query[1200], prefix[160], api_prefix[160], staff_cookie[1200];

static int setup(void)
{
    char dir[] = "/tmp/sabaq-fuzz-rec-XXXXXX", err[256], rdir[4096], file[4200];
    struct store *st;
    struct lesson_def def;
    struct recording_row row;
    if (!mkdtemp(dir) || !(st = store_open(dir, err, sizeof err)) || schema_init(st) < 0)
        return -1;
    struct staff teacher;
    lesson_store_defaults(&def, NOW_MS);
    snprintf(def.title, sizeof def.title, "fuzz");
    if (staff_add(st, "Fuzz", "teacher", NOW_MS, &teacher, err, sizeof err) < 0)
        return -1;
    def.owner = teacher.id;
    if (lesson_store_create(st, &def) < 0 ||
        recording_store_insert(st, def.id, NOW_MS, &row) < 0 ||
        !recording_dir(st, &row, rdir, sizeof rdir))
        return -1;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", rdir);
    if (system(cmd) != 0)
        return -1;
    snprintf(file, sizeof file, "%s/%s", rdir, RECORDING_FILE);
    FILE *f = fopen(file, "w");
    if (!f)
        return -1;
    for (int i = 0; i < 5000; i++)
        fputc(i & 0xff, f);
    fclose(f);
    if (!(sig = signaling_new(&accept_all, NULL, NULL)))
        return -1;
    sig->store = st;
    sig->now_ms = NOW_MS;
    memcpy(sig->secret, "fuzz-fuzz-fuzz-fuzz-fuzz-fuzz-f", AUTH_SECRET_LEN);
    char *token = access_lesson_token(sig->secret, &def, "student", 0, NULL);
    if (!token)
        return -1;
    snprintf(token_query, sizeof token_query, "t=%s&", token);
    free(token);
    char *session = staff_session_token(sig->secret, teacher.id, NOW_MS);
    if (!session)
        return -1;
    snprintf(staff_cookie, sizeof staff_cookie, "sabaq_session=%s", session);
    free(session);
    snprintf(prefix, sizeof prefix, "/recordings/%s/", def.id);
    snprintf(api_prefix, sizeof api_prefix, "/api/lessons/%s/recordings/", def.id);
    return 0;
}

/* The next NUL-terminated field of the input (copied, at most cap - 1 bytes). */
static const uint8_t *field(const uint8_t *p, const uint8_t *end, char *out, size_t cap)
{
    size_t n = 0;
    while (p < end && *p) {
        if (n + 1 < cap)
            out[n++] = (char)*p;
        p++;
    }
    out[n] = '\0';
    return p < end ? p + 1 : p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sig && setup() < 0)
        abort();
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    const uint8_t *p = data + 1, *end = data + size;
    char path[600], query[600], range[300], full_path[800], full_query[2000];
    p = field(p, end, path, sizeof path);
    p = field(p, end, query, sizeof query);
    field(p, end, range, sizeof range);
    snprintf(full_path, sizeof full_path, "%s%s",
             flags & 64 ? api_prefix : flags & 1 ? prefix : "", path);
    snprintf(full_query, sizeof full_query, "%s%s", flags & 2 ? token_query : "", query);
    if (!http_recordings_wants(full_path) && !(flags & 4))
        return 0;
    const char *method = flags & 32 ? "DELETE" : flags & 8 ? "POST" : "GET";
    struct http_request rq = {method, full_path, full_query, flags & 16 ? staff_cookie : "", "",
                              "", NULL, 0, false};
    struct recordings_reply r;
    http_recordings_handle(sig, &rq, range, "web", &r);
    if (r.status < 200 || r.status > 599)
        abort();
    if (r.fd >= 0) {
        struct stat st;
        if (fstat(r.fd, &st) != 0 || r.offset + r.length > (uint64_t)st.st_size || r.body)
            abort();
    } else if (r.status == 204) {
        if (r.body)
            abort();
    } else if (r.status != 416 && (!r.body || r.body_len != strlen(r.body))) {
        abort();
    }
    http_recordings_reply_free(&r);
    return 0;
}
