/* libFuzzer target for the WebSocket message path (signaling/): JSON parsing,
 * field validation and every handler, configured as the server runs it (a
 * real store in a scratch directory, a lesson, signed tokens) with a media
 * plane that accepts everything. A teacher and a student join with valid
 * tokens, so the fuzzer reaches the handlers behind `join`; a third socket
 * never joins. The input is split at NUL bytes into frames, sent in turn by
 * the three sockets, then all disconnect. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signaling/access.h"
#include "signaling/auth.h"
#include "signaling/lesson_store.h"
#include "fuzz_media_ops.h"
#include "signaling/schema.h"
#include "signaling/signaling.h"
#include "signaling/store.h"

static size_t bytes_out;
static void conn_send(void *conn, const char *text, size_t len)
{
    (void)conn, (void)text;
    bytes_out += len;
}
static void conn_close(void *conn) { (void)conn; }
static const struct signaling_conn_ops conn_ops = {conn_send, conn_close};

#define NOW_MS 1764000000000ll

static struct store *store;
static unsigned char secret[AUTH_SECRET_LEN] = "fuzz-fuzz-fuzz-fuzz-fuzz-fuzz-f";
static char join_teacher[2048], join_student[2048];

/* Once per process: the store, a lesson and its join messages. */
static int setup(void)
{
    char dir[] = "/tmp/sabaq-fuzz-sig-XXXXXX", err[256];
    struct lesson_def def;
    if (!mkdtemp(dir) || !(store = store_open(dir, err, sizeof err)) || schema_init(store) < 0)
        return -1;
    lesson_store_defaults(&def, NOW_MS);
    snprintf(def.title, sizeof def.title, "fuzz");
    def.students_publish = true;
    if (lesson_store_create(store, &def) < 0)
        return -1;
    char *t = access_lesson_token(secret, &def, "teacher", 0, NULL);
    char *u = access_lesson_token(secret, &def, "student", 0, NULL);
    if (!t || !u)
        return -1;
    snprintf(join_teacher, sizeof join_teacher,
             "{\"type\":\"join\",\"token\":\"%s\",\"name\":\"Aigerim\"}", t);
    snprintf(join_student, sizeof join_student,
             "{\"type\":\"join\",\"token\":\"%s\",\"name\":\"Dana\"}", u);
    free(t);
    free(u);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!store && setup() < 0)
        abort();
    struct signaling *s = signaling_new(&accept_all, NULL, NULL);
    if (!s)
        return 0;
    s->store = store;
    memcpy(s->secret, secret, AUTH_SECRET_LEN);
    s->now_ms = NOW_MS;
    int a = 1, b = 2, c = 3;
    struct participant *p[3] = {signaling_connect(s, &conn_ops, &a),
                                signaling_connect(s, &conn_ops, &b),
                                signaling_connect(s, &conn_ops, &c)};
    signaling_receive(s, p[0], join_teacher, strlen(join_teacher));
    signaling_receive(s, p[1], join_student, strlen(join_student));
    size_t start = 0, frame = 0;
    for (size_t i = 0; i <= size && frame < 64; i++) {
        if (i < size && data[i] != 0)
            continue;
        signaling_receive(s, p[frame % 3], (const char *)data + start, i - start);
        s->now_ms += 700;
        if (frame % 8 == 7)
            signaling_tick(s);
        frame++;
        start = i + 1;
    }
    for (int i = 0; i < 3; i++)
        signaling_disconnect(s, p[i]);
    signaling_free(s);
    return 0;
}
