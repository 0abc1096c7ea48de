/* Drives the signaling logic without sockets: a fake media plane that
 * records every call, connections that record every frame sent to them, and
 * Chromium-shaped SDP for publishing and answering. */
#ifndef SABAQ_TEST_SIGNALING_HARNESS_H
#define SABAQ_TEST_SIGNALING_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "signaling/signaling.h"
#include "signaling/participant.h"

struct fake_call {
    char op[24];                 /* "transport_create", "consumer_close", ... */
    uint32_t id, transport_id, producer_id;
    char ufrag[33], pwd[65], fingerprint[128];
    struct sdp_track track;      /* producer_create */
    struct sdp_outgoing out;     /* consumer_create */
    uint16_t width, height;      /* consumer_size */
};

#define FAKE_MAX_CALLS 256
#define FAKE_MAX_MSGS 64

struct fake_media {
    struct fake_call calls[FAKE_MAX_CALLS];
    size_t n;
};

struct fake_conn {
    struct participant *p;
    char *msgs[FAKE_MAX_MSGS];   /* owned: every frame sent, in order */
    size_t n;
    size_t read;                 /* frames already looked at by harness_next */
    bool closed;
};

struct harness {
    struct fake_media media;
    struct signaling *sig;
    struct fake_conn conns[8];
    size_t n_conns;
    char *log_buf;               /* everything logged (open_memstream) */
    size_t log_len;
    FILE *log;
};

extern const struct media_ops fake_media_ops;

void harness_init(struct harness *h);
void harness_free(struct harness *h);
struct fake_conn *harness_connect(struct harness *h);
void harness_disconnect(struct harness *h, struct fake_conn *c);
/* Hands one text frame to signaling_receive. */
void harness_send(struct harness *h, struct fake_conn *c, const char *text);
/* The next frame not looked at yet, parsed (caller decrefs), or NULL. */
json_t *harness_next(struct fake_conn *c);
/* Skips frames until one of this type (parsed, caller decrefs), or NULL. */
json_t *harness_next_of(struct fake_conn *c, const char *type);
/* Frames not looked at yet. */
size_t harness_pending(const struct fake_conn *c);
/* Joins lesson "math" as `name` and consumes the `joined` reply. */
void harness_join(struct harness *h, struct fake_conn *c, const char *name);
/* The log so far (NUL-terminated). */
const char *harness_log(struct harness *h);

size_t fake_count(const struct fake_media *m, const char *op);
/* The nth (0-based) call of this op, or NULL. */
const struct fake_call *fake_find(const struct fake_media *m, const char *op, size_t nth);

/* A Chromium 156-shaped publish offer (BUNDLE, rtcp-mux, actpass): audio
 * mid 0 (Opus), video mid 1 (VP8 + RTX, H264) unless video_ssrc is 0 (then
 * the video m-line is rejected with port 0), and a data channel mid 2.
 * `tag` makes the ICE credentials distinct. Returns a malloc'd string. */
char *harness_offer(const char *tag, uint32_t audio_ssrc, uint32_t video_ssrc);
/* The same with a second video m-line, mid 3, ssrc video2_ssrc. */
char *harness_offer3(const char *tag, uint32_t audio_ssrc, uint32_t video_ssrc,
                     uint32_t video2_ssrc);
/* A Chromium-shaped answer to Sabaq's subscribe offer: recvonly for every
 * sendonly m-line, inactive for inactive ones, a=setup:active. malloc'd. */
char *harness_answer(const char *offer_sdp);
/* {"type":"publish","sdp":...} and friends, as malloc'd JSON text. */
char *harness_publish_msg(const char *sdp);
char *harness_answer_msg(const char *sdp, long long version);
/* The value of the first "a=<attr>:" line of sdp (a static copy), "" when none. */
const char *harness_sdp_attr(const char *sdp, const char *attr);

/* Field readers for assertions: NULL / -1 when absent or of another type. */
static inline const char *js(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}
static inline long long ji(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

#endif
