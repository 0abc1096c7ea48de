/* One connection / person: creation, sending, ICE credentials and SSRCs
 * (RAND_bytes), and the arrays of producers and subscribe slots. */
#include "participant.h"

#include <openssl/rand.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct participant *participant_new(struct signaling *s, const struct signaling_conn_ops *ops,
                                    void *conn)
{
    struct participant *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->sig = s;
    p->conn_ops = ops;
    p->conn = conn;
    p->state = PARTICIPANT_CONNECTED;
    return p;
}

void participant_free(struct participant *p)
{
    if (!p)
        return;
    free(p->pub.producers);
    free(p->sub.slots);
    free(p->sub.offer_sdp);
    free(p);
}

void participant_send(struct participant *p, json_t *msg)
{
    if (!msg)
        return;
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    if (!text)
        return;
    p->sig->counters.messages_out++;
    p->conn_ops->send(p->conn, text, strlen(text));
    free(text);
}

void participant_send_error(struct participant *p, enum message_error e, const char *ref,
                            json_t *req, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (e < MESSAGE_ERR_COUNT)
        p->sig->counters.errors[e]++;
    participant_send(p, message_error_new(e, text, ref, req));
}

json_t *participant_describe(const struct participant *p)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_string(p->id));
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "role", json_string(p->role));
    /* The classroom's state of a person, only when set (floor.c, lesson.c). */
    if (p->hand_raised)
        json_object_set_new(o, "hand", json_true());
    if (p->has_floor)
        json_object_set_new(o, "floor", json_true());
    if (p->state == PARTICIPANT_AWAY)
        json_object_set_new(o, "away", json_true());
    return o;
}

static void random_bytes(void *out, size_t n)
{
    /* RAND_bytes only fails when the CSPRNG cannot be seeded: nothing safe
     * can be handed out then. */
    if (RAND_bytes(out, (int)n) != 1)
        abort();
}

void participant_random_token(char *out, size_t len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char raw[64];
    if (len > sizeof(raw))
        len = sizeof(raw);
    random_bytes(raw, len);
    for (size_t i = 0; i < len; i++)
        out[i] = alphabet[raw[i] & 63];   /* 64 symbols: no modulo bias */
    out[len] = '\0';
}

static bool ssrc_in_use(const struct participant *p, uint32_t ssrc)
{
    for (size_t i = 0; i < p->sub.n_slots; i++)
        if (p->sub.slots[i].out.ssrc == ssrc || p->sub.slots[i].out.rtx_ssrc == ssrc)
            return true;
    return false;
}

uint32_t participant_new_ssrc(const struct participant *p)
{
    uint32_t ssrc;
    do
        random_bytes(&ssrc, sizeof(ssrc));
    while (ssrc == 0 || ssrc_in_use(p, ssrc));
    return ssrc;
}

struct producer_ref *participant_producer_find(struct participant *p, const char *mid)
{
    for (size_t i = 0; i < p->pub.n_producers; i++)
        if (strcmp(p->pub.producers[i].track.mid, mid) == 0)
            return &p->pub.producers[i];
    return NULL;
}

static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *a = realloc(*arr, ncap * elem);
    if (!a)
        return false;
    *arr = a;
    *cap = ncap;
    return true;
}

struct producer_ref *participant_producer_add(struct participant *p)
{
    if (!grow((void **)&p->pub.producers, &p->pub.cap_producers, p->pub.n_producers,
              sizeof(*p->pub.producers)))
        return NULL;
    struct producer_ref *r = &p->pub.producers[p->pub.n_producers++];
    memset(r, 0, sizeof(*r));
    return r;
}

void participant_producer_remove(struct participant *p, size_t index)
{
    if (index >= p->pub.n_producers)
        return;
    memmove(&p->pub.producers[index], &p->pub.producers[index + 1],
            (p->pub.n_producers - index - 1) * sizeof(*p->pub.producers));
    p->pub.n_producers--;
}

struct sub_slot *participant_slot_add(struct participant *p)
{
    if (!grow((void **)&p->sub.slots, &p->sub.cap_slots, p->sub.n_slots, sizeof(*p->sub.slots)))
        return NULL;
    struct sub_slot *s = &p->sub.slots[p->sub.n_slots++];
    memset(s, 0, sizeof(*s));
    return s;
}

const char *track_source_name(enum track_source s)
{
    switch (s) {
    case TRACK_SOURCE_MIC:
        return "mic";
    case TRACK_SOURCE_CAMERA:
        return "camera";
    case TRACK_SOURCE_SCREEN:
        return "screen";
    }
    return "?";
}

int track_source_parse(const char *name, enum sdp_media_kind kind, enum track_source *out)
{
    if (kind == SDP_KIND_AUDIO && strcmp(name, "mic") == 0)
        *out = TRACK_SOURCE_MIC;
    else if (kind == SDP_KIND_VIDEO && strcmp(name, "camera") == 0)
        *out = TRACK_SOURCE_CAMERA;
    else if (kind == SDP_KIND_VIDEO && strcmp(name, "screen") == 0)
        *out = TRACK_SOURCE_SCREEN;
    else
        return -1;
    return 0;
}
