/* The signaling logic's entry points: connections, the dispatch of received
 * messages (docs/protocol.md), media-plane events, counters and the log. */
#include "signaling.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "attendance.h"
#include "chat.h"
#include "control.h"
#include "floor.h"
#include "layers.h"
#include "lesson.h"
#include "participant.h"
#include "poll.h"
#include "publish.h"
#include "recording.h"
#include "recording_retention.h"
#include "quality.h"
#include "subscribe.h"

struct signaling *signaling_new(const struct media_ops *media, void *media_arg, FILE *log)
{
    struct signaling *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->media = media;
    s->media_arg = media_arg;
    s->log = log;
    return s;
}

void signaling_free(struct signaling *s)
{
    if (!s)
        return;
    while (s->participants)
        signaling_disconnect(s, s->participants);
    lesson_free_all(s);   /* the people away hold the last lessons */
    free(s);
}

void signaling_log(struct signaling *s, const char *fmt, ...)
{
    if (!s->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(s->log, fmt, ap);
    va_end(ap);
    fputc('\n', s->log);
}

void signaling_sdp_local(struct signaling *s, const char *ufrag, const char *pwd,
                         struct sdp_local *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->ice_ufrag, sizeof(out->ice_ufrag), "%s", ufrag);
    snprintf(out->ice_pwd, sizeof(out->ice_pwd), "%s", pwd);
    const char *fp = s->media->fingerprint(s->media_arg);
    snprintf(out->fingerprint, sizeof(out->fingerprint), "%s", fp ? fp : "");
    size_t n = s->media->candidates(s->media_arg, out->candidates, SDP_MAX_CANDIDATES);
    out->n_candidates = (uint8_t)(n < SDP_MAX_CANDIDATES ? n : SDP_MAX_CANDIDATES);
}

struct participant *signaling_connect(struct signaling *s, const struct signaling_conn_ops *ops,
                                      void *conn)
{
    struct participant *p = participant_new(s, ops, conn);
    if (!p)
        return NULL;
    p->next = s->participants;
    s->participants = p;
    s->counters.connections++;
    s->counters.connections_total++;
    return p;
}

void signaling_disconnect(struct signaling *s, struct participant *p)
{
    if (!p)
        return;
    lesson_drop(p);   /* kept away for 60 s when in a stored lesson */
    for (struct participant **pp = &s->participants; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    s->counters.connections--;
    participant_free(p);
}

static void handle_ping(struct participant *p, json_t *msg, json_t *req)
{
    (void)msg;
    participant_send(p, message_new("pong", req));
}

static void handle_leave(struct participant *p, json_t *msg, json_t *req)
{
    (void)msg;
    (void)req;
    lesson_leave(p);
    p->conn_ops->close(p->conn);
}

static const struct handler {
    const char *type;
    bool needs_join;
    void (*fn)(struct participant *p, json_t *msg, json_t *req);
} handlers[] = {
    {"join", false, lesson_handle_join},
    {"ping", false, handle_ping},
    {"publish", true, publish_handle},
    {"subscribe_answer", true, subscribe_handle_answer},
    {"video_size", true, subscribe_handle_video_size},
    {"receive_mode", true, subscribe_handle_receive_mode},
    {"subscribe_restart", true, subscribe_handle_restart},
    {"quality", true, quality_handle},
    {"leave", true, handle_leave},
    {"chat_send", true, chat_handle_send},
    {"chat_delete", true, chat_handle_delete},
    {"chat_set_enabled", true, chat_handle_set_enabled},
    {"poll_create", true, poll_handle_create},
    {"poll_answer", true, poll_handle_answer},
    {"poll_close", true, poll_handle_close},
    {"poll_publish", true, poll_handle_publish},
    {"attendance_get", true, attendance_handle_get},
    {"lobby_admit", true, control_handle_lobby_admit},
    {"lobby_admit_all", true, control_handle_lobby_admit_all},
    {"lesson_lock", true, control_handle_lock},
    {"participant_remove", true, control_handle_remove},
    {"participant_readmit", true, control_handle_readmit},
    {"lesson_end", true, control_handle_end},
    {"hand_raise", true, floor_handle_hand_raise},
    {"hand_lower", true, floor_handle_hand_lower},
    {"floor_give", true, floor_handle_give},
    {"floor_take", true, floor_handle_take},
    {"mute", true, floor_handle_mute},
    {"mute_all", true, floor_handle_mute_all},
    {"stop_video", true, floor_handle_stop_video},
    {"unmute", true, floor_handle_unmute},
    {"recording_start", true, recording_handle_start},
    {"recording_stop", true, recording_handle_stop},
};

void signaling_receive_json(struct signaling *s, struct participant *p, json_t *msg)
{
    (void)s;
    if (p->state == PARTICIPANT_LEFT)   /* the socket is closing: nothing more to say */
        return;
    const char *type = message_string(msg, "type");
    json_t *req = json_object_get(msg, "req");
    if (req && !message_req_is_valid(req)) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, type, NULL,
                               "\"req\" must be a string or a number");
        return;
    }
    if (!type) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, NULL, req,
                               "\"type\" must be a string");
        return;
    }
    const struct handler *h = NULL;
    for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
        if (strcmp(handlers[i].type, type) == 0)
            h = &handlers[i];
    if (!h) {
        participant_send_error(p, MESSAGE_ERR_UNKNOWN_TYPE, type, req,
                               "unknown message type \"%.64s\"", type);
        return;
    }
    if (h->fn == lesson_handle_join && p->state == PARTICIPANT_WAITING) {
        participant_send_error(p, MESSAGE_ERR_ALREADY_JOINED, type, req,
                               "this connection already waits in the lobby as %s", p->id);
        return;
    }
    if (h->fn == lesson_handle_join && p->state == PARTICIPANT_JOINED) {
        participant_send_error(p, MESSAGE_ERR_ALREADY_JOINED, type, req,
                               "this connection has already joined lesson %s as %s",
                               p->lesson->id, p->id);
        return;
    }
    /* From the lobby one may only leave. */
    if (h->needs_join && p->state != PARTICIPANT_JOINED &&
        !(h->fn == handle_leave && p->state == PARTICIPANT_WAITING)) {
        participant_send_error(p, MESSAGE_ERR_NOT_JOINED, type, req,
                               "send \"join\" before \"%s\"", type);
        return;
    }
    h->fn(p, msg, req);
}

void signaling_receive(struct signaling *s, struct participant *p, const char *text, size_t len)
{
    s->counters.messages_in++;
    if (p->state == PARTICIPANT_LEFT)
        return;
    json_error_t err;
    json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!msg || !json_is_object(msg)) {
        if (msg)
            participant_send_error(p, MESSAGE_ERR_BAD_JSON, NULL, NULL,
                                   "the frame is JSON but not an object");
        else
            participant_send_error(p, MESSAGE_ERR_BAD_JSON, NULL, NULL,
                                   "the frame is not JSON: %s (at character %d)", err.text,
                                   err.position);
        json_decref(msg);
        return;
    }
    signaling_receive_json(s, p, msg);
    json_decref(msg);
}

void signaling_too_large(struct signaling *s, struct participant *p)
{
    s->counters.messages_in++;
    if (p->state == PARTICIPANT_LEFT)
        return;
    participant_send_error(p, MESSAGE_ERR_TOO_LARGE, NULL, NULL,
                           "the frame is larger than %d KiB and was dropped",
                           MESSAGE_MAX_LEN / 1024);
}

/* ---- media-plane events ------------------------------------------------ */

static struct participant *by_transport(struct signaling *s, uint32_t id, bool *is_publish)
{
    for (struct participant *p = s->participants; p; p = p->next) {
        if (p->state != PARTICIPANT_JOINED)
            continue;
        if (p->pub.transport_id == id || p->sub.transport_id == id) {
            *is_publish = p->pub.transport_id == id;
            return p;
        }
    }
    return NULL;
}

static void transport_closed(struct signaling *s, struct participant *p, bool is_publish,
                             const char *reason)
{
    const char *which = is_publish ? "publish" : "subscribe";
    signaling_log(s, "participant %s %s transport closed (%s)", p->id, which, reason);
    json_t *m = message_new("transport_closed", NULL);
    json_object_set_new(m, "transport", json_string(which));
    json_t *r = json_string(reason);
    json_object_set_new(m, "reason", r ? r : json_string("unknown"));
    participant_send(p, m);
    if (is_publish)
        publish_transport_closed(p);
    else
        subscribe_transport_closed(p);
}

static void producer_active(struct signaling *s, uint32_t id)
{
    for (struct participant *p = s->participants; p; p = p->next)
        for (size_t i = 0; i < p->pub.n_producers; i++)
            if (p->pub.producers[i].id == id) {
                const struct sdp_track *t = &p->pub.producers[i].track;
                signaling_log(s, "participant %s %s track (mid %s) is sending media", p->id,
                              message_kind_name(t->kind), t->mid);
                return;
            }
}

void signaling_media_event(struct signaling *s, const struct sfu_event *ev)
{
    char detail[sizeof(ev->detail) + 1];
    snprintf(detail, sizeof(detail), "%.*s", (int)sizeof(ev->detail), ev->detail);
    bool is_publish = false;
    struct participant *p;
    switch (ev->type) {
    case SFU_EVENT_TRANSPORT_CONNECTED:
        /* detail is the profile's IANA name, "SRTP_AEAD_AES_128_GCM". */
        if ((p = by_transport(s, ev->id, &is_publish)))
            signaling_log(s, "participant %s %s transport connected (SRTP %s)", p->id,
                          is_publish ? "publish" : "subscribe",
                          strncmp(detail, "SRTP_", 5) == 0 ? detail + 5 : detail);
        break;
    case SFU_EVENT_TRANSPORT_CLOSED:
        if ((p = by_transport(s, ev->id, &is_publish)))
            transport_closed(s, p, is_publish, detail);
        break;
    case SFU_EVENT_PRODUCER_ACTIVE:
        producer_active(s, ev->id);
        break;
    case SFU_EVENT_SPEAKING_CHANGED:
        if (s->store)
            attendance_speaking(s, ev->id, ev->value != 0, s->now_ms);
        subscribe_speaking(s, ev->id, ev->value != 0);
        break;
    case SFU_EVENT_AUDIO_LEVEL:
        subscribe_audio_level(s, ev->id, (uint8_t)(ev->value > 0 && ev->value < 128 ? ev->value
                                                                                    : 0));
        break;
    case SFU_EVENT_LAYERS_CHANGED:
        layers_changed(s, ev->id, (uint32_t)ev->value);
        break;
    case SFU_EVENT_RECORDING_STOPPED:
        recording_media_stopped(s, ev);
        break;
    }
}

void signaling_tick(struct signaling *s)
{
    lesson_expire_away(s);
    recording_retention_tick(s);
}

json_t *signaling_stats(const struct signaling *s)
{
    const struct signaling_counters *c = &s->counters;
    json_t *errors = json_object();
    for (int e = 0; e < MESSAGE_ERR_COUNT; e++)
        json_object_set_new(errors, message_error_code(e), json_integer((json_int_t)c->errors[e]));
    json_t *o = json_object();
    json_object_set_new(o, "connections", json_integer((json_int_t)c->connections));
    json_object_set_new(o, "connections_total", json_integer((json_int_t)c->connections_total));
    json_object_set_new(o, "participants", json_integer((json_int_t)c->participants));
    json_object_set_new(o, "lessons", json_integer((json_int_t)c->lessons));
    json_object_set_new(o, "messages_in", json_integer((json_int_t)c->messages_in));
    json_object_set_new(o, "messages_out", json_integer((json_int_t)c->messages_out));
    json_object_set_new(o, "errors", errors);
    return o;
}
