/* libFuzzer target for Sabaq's HTTP entries that read request bodies and
 * headers: the lessons API (JSON bodies, roster CSV, cookies, queries),
 * WHIP and WHEP (bearer tokens, SDP offers; a WHEP viewer that was made then
 * also gets media events and a tick). Configured as the server runs them: a
 * real store in a scratch directory, a teacher, a lesson and signed tokens.
 * The input is split at NUL bytes into method, path, query, Cookie,
 * Authorization, Content-Type and body; the first byte's low bits swap in a
 * valid session cookie and a valid bearer token, so the handlers behind
 * authentication are reached too, and "LESSON" in the path becomes the real
 * lesson's id. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signaling/access.h"
#include "signaling/auth.h"
#include "signaling/http_api.h"
#include "signaling/lesson_store.h"
#include "fuzz_media_ops.h"
#include "signaling/schema.h"
#include "signaling/signaling.h"
#include "signaling/staff.h"
#include "signaling/store.h"
#include "signaling/whep.h"
#include "signaling/whip.h"

#define NOW_MS 1764000000000ll

static struct store *store;
static unsigned char secret[AUTH_SECRET_LEN] = "fuzz-fuzz-fuzz-fuzz-fuzz-fuzz-f";
static char cookie[1200], bearer[1200], lesson_id[65];

static int setup(void)
{
    char dir[] = "/tmp/sabaq-fuzz-http-XXXXXX", err[256];
    struct staff teacher;
    struct lesson_def def;
    if (!mkdtemp(dir) || !(store = store_open(dir, err, sizeof err)) || schema_init(store) < 0 ||
        staff_add(store, "Aigerim", "teacher", NOW_MS, &teacher, err, sizeof err) < 0)
        return -1;
    lesson_store_defaults(&def, NOW_MS);
    snprintf(def.title, sizeof def.title, "fuzz");
    def.owner = teacher.id;
    if (lesson_store_create(store, &def) < 0)
        return -1;
    snprintf(lesson_id, sizeof lesson_id, "%s", def.id);
    char *session = staff_session_token(secret, teacher.id, NOW_MS);
    char *token = access_lesson_token(secret, &def, "teacher", 0, NULL);
    if (!session || !token)
        return -1;
    snprintf(cookie, sizeof cookie, "%s=%s", HTTP_API_COOKIE, session);
    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    free(session);
    free(token);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!store && setup() < 0)
        abort();
    if (size < 1 || size > WHIP_MAX_BODY)
        return 0;
    uint8_t flags = data[0];
    char *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data + 1, size - 1);
    copy[size - 1] = '\0';
    /* Fields at NUL bytes; the body is whatever follows the sixth. */
    const char *field[6] = {"", "", "", "", "", ""};
    size_t at = 0, n = 0;
    for (; n < 6 && at < size - 1; n++) {
        field[n] = copy + at;
        at += strlen(copy + at) + 1;
    }
    char path[512];
    const char *mark = strstr(field[1], "LESSON");
    if (mark)
        snprintf(path, sizeof path, "%.*s%s%s", (int)(mark - field[1]), field[1], lesson_id,
                 mark + 6);
    else
        snprintf(path, sizeof path, "%s", field[1]);
    struct http_request rq = {
        .method = field[0], .path = path, .query = field[2],
        .cookie = flags & 1 ? cookie : field[3],
        .authorization = flags & 2 ? bearer : field[4],
        .host = "127.0.0.1:8080",
        .body = at < size - 1 ? copy + at : "",
        .body_len = at < size - 1 ? size - 1 - at : 0,
        .tls = flags & 4,
    };
    struct signaling *s = signaling_new(&accept_all, NULL, NULL);
    if (s) {
        s->store = store;
        memcpy(s->secret, secret, AUTH_SECRET_LEN);
        s->now_ms = NOW_MS;
        if (whip_wants(rq.path)) {
            struct whip *w = whip_new(s);
            struct whip_response rs = {0};
            if (w) {
                whip_handle(w, &rq, field[5], flags & 8, &rs);
                http_response_free(&rs.http);
                whip_tick(w);
                whip_free(w);
            }
        } else if (whep_wants(rq.path)) {
            struct whep *w = whep_new(s);
            struct whep_response rs = {0};
            if (w) {
                whep_handle(w, &rq, field[5], flags & 8, &rs);
                http_response_free(&rs.http);
                /* Events for the ids a viewer would have got (transport 1,
                 * consumers 1-2) and for a producer that is nobody's. */
                struct sfu_event ev = {SFU_EVENT_SPEAKING_CHANGED, 7, 1, ""};
                whep_media_event(w, &ev);
                s->now_ms += 10000;
                whep_tick(w);
                ev = (struct sfu_event){SFU_EVENT_TRANSPORT_CLOSED, 1, 0, "fuzz"};
                if (flags & 16)
                    whep_media_event(w, &ev);
                whep_free(w);
            }
        } else {
            struct http_response rs = {0};
            http_api_handle(s, &rq, &rs);
            http_response_free(&rs);
        }
        signaling_free(s);
    }
    free(copy);
    return 0;
}
