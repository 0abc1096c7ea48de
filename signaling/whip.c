/* WHIP ingest (RFC 9725, WebRTC-HTTP Ingestion Protocol): an HTTP POST of an
 * SDP offer makes a publisher in a lesson. The publisher is an ordinary
 * participant whose "socket" is a whip_session: it joins through the same
 * `join` path (join.c: token, lesson rules) and publishes through the same
 * `publish` path (publish.c: one transport, one producer per m-line), so the
 * lesson sees it like a browser. While a request runs, the session keeps the
 * reply it is waiting for; afterwards whatever the lesson sends it is dropped
 * (nobody reads it). No trickle ICE or ICE restart: PATCH is 405. */
#include "whip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "sabaq/sdp.h"
#include "access.h"
#include "lesson_store.h"
#include "message.h"
#include "participant.h"
#include "signaling.h"
#include "webrtc_http.h"

#define SESSION_ID_LEN WEBRTC_HTTP_SESSION_LEN
#define REQ_JOIN 1
#define REQ_PUBLISH 2

struct whip_session {
    struct whip *w;                 /* borrowed */
    struct participant *p;          /* owned by signaling until signaling_disconnect */
    char id[SESSION_ID_LEN + 1];
    char lesson[WEBRTC_HTTP_LESSON_CAP];
    int want_req;                   /* the reply being waited for, 0 when none */
    json_t *reply;                  /* owned: that reply once it came */
    bool closed;                    /* the lesson closed the "socket" (leave, removed) */
    bool media_gone;                /* the publish transport closed: the publisher left */
    bool is_connected;              /* SFU_EVENT_TRANSPORT_CONNECTED for it came */
    uint64_t created_ms;
    struct whip_session *next;
};

struct whip {
    struct signaling *sig;          /* borrowed */
    struct whip_session *sessions;  /* owned */
};

/* ---- the participant's connection ------------------------------------------ */

/* A WHIP client cannot be told to make a new connection (no PATCH): once its
 * publish transport is gone (ICE consent lost, DTLS closed) the session ends
 * at the next whip_tick, so no empty participant stays in the lesson. */
static bool publish_transport_gone(const char *text, size_t len)
{
    if (!memmem(text, len, "\"transport_closed\"", 18))
        return false;
    json_t *m = json_loadb(text, len, 0, NULL);
    bool gone = m && strcmp(message_string(m, "type") ? message_string(m, "type") : "",
                            "transport_closed") == 0 &&
                strcmp(message_string(m, "transport") ? message_string(m, "transport") : "",
                       "publish") == 0;
    json_decref(m);
    return gone;
}

static void session_send(void *conn, const char *text, size_t len)
{
    struct whip_session *ws = conn;
    if (publish_transport_gone(text, len))
        ws->media_gone = true;
    if (!ws->want_req || ws->reply)
        return;
    json_t *m = json_loadb(text, len, 0, NULL);
    json_t *req = json_object_get(m, "req");
    if (m && json_is_integer(req) && json_integer_value(req) == ws->want_req)
        ws->reply = m;
    else
        json_decref(m);
}

static void session_close(void *conn)
{
    ((struct whip_session *)conn)->closed = true;
}

static const struct signaling_conn_ops session_ops = {session_send, session_close};

/* Hands p one message and returns the reply with req `want` (or NULL). */
static json_t *session_call(struct whip_session *ws, json_t *msg, int want)
{
    if (!msg)   /* json_pack refused it (not UTF-8) */
        return NULL;
    json_object_set_new(msg, "req", json_integer(want));
    ws->want_req = want;
    ws->reply = NULL;
    signaling_receive_json(ws->w->sig, ws->p, msg);
    json_decref(msg);
    json_t *r = ws->reply;
    ws->want_req = 0;
    ws->reply = NULL;
    return r;
}

static void session_end(struct whip *w, struct whip_session *ws)
{
    for (struct whip_session **pp = &w->sessions; *pp; pp = &(*pp)->next)
        if (*pp == ws) {
            *pp = ws->next;
            break;
        }
    if (ws->p && !ws->closed) {   /* `leave`: the others get participant_left now */
        json_t *leave = json_pack("{s:s}", "type", "leave");
        if (leave) {
            signaling_receive_json(w->sig, ws->p, leave);
            json_decref(leave);
        }
    }
    signaling_disconnect(w->sig, ws->p);
    free(ws);
}

/* Sessions whose participant the lesson let go (removed, replaced, ended). */
static void sweep(struct whip *w)
{
    for (struct whip_session *ws = w->sessions, *next; ws; ws = next) {
        next = ws->next;
        bool never = webrtc_http_never_connected(ws->is_connected, ws->created_ms,
                                                 w->sig->now_ms);
        if (ws->closed || ws->media_gone || never) {
            signaling_log(w->sig, "whip: session %s ended (%s)", ws->id,
                          ws->closed ? "left the lesson"
                          : ws->media_gone ? "its media connection closed"
                                           : "its publisher never connected");
            session_end(w, ws);
        }
    }
}

void whip_tick(struct whip *w)
{
    if (w)
        sweep(w);
}

void whip_media_event(struct whip *w, const struct sfu_event *ev)
{
    if (!w || ev->type != SFU_EVENT_TRANSPORT_CONNECTED)
        return;
    for (struct whip_session *ws = w->sessions; ws; ws = ws->next)
        if (ws->p && ws->p->pub.transport_id == ev->id)
            ws->is_connected = true;
}

struct whip *whip_new(struct signaling *s)
{
    struct whip *w = calloc(1, sizeof(*w));
    if (w)
        w->sig = s;
    return w;
}

void whip_free(struct whip *w)
{
    if (!w)
        return;
    while (w->sessions)
        session_end(w, w->sessions);
    free(w);
}

size_t whip_sessions(const struct whip *w)
{
    size_t n = 0;
    for (const struct whip_session *ws = w->sessions; ws; ws = ws->next)
        n++;
    return n;
}

bool whip_wants(const char *path)
{
    return webrtc_http_wants(path, "whip");
}

/* ---- responses ----------------------------------------------------------- */

/* The HTTP status for a refused `join` or `publish`. */
static int status_of(const char *code)
{
    if (!code)
        return 500;
    if (strcmp(code, "bad_sdp") == 0 || strcmp(code, "bad_message") == 0)
        return 400;
    if (strcmp(code, "lesson_full") == 0)
        return 503;
    if (strcmp(code, "internal") == 0)
        return 500;
    return 403;   /* bad_token, token_expired, wrong_lesson, revoked, removed, forbidden ... */
}

/* ---- the request --------------------------------------------------------- */

/* The name= query argument (1-64 characters checked by join.c), else "WHIP". */
static void query_name(const char *query, char *out, size_t cap)
{
    snprintf(out, cap, "WHIP");
    for (const char *q = query; q && *q;) {
        size_t n = strcspn(q, "&");
        if (n > 5 && strncmp(q, "name=", 5) == 0 && n - 5 < cap) {
            memcpy(out, q + 5, n - 5);
            out[n - 5] = '\0';
        }
        q += n;
        if (*q == '&')
            q++;
    }
}

/* The join, then the publish, as a WebSocket client would send them. */
static void start_session(struct whip *w, struct whip_session *ws, const char *token,
                          const char *name, const struct http_request *rq,
                          struct http_response *rs)
{
    json_t *r = session_call(ws, json_pack("{s:s, s:s, s:s, s:s}", "type", "join", "token",
                                           token, "name", name, "lesson", ws->lesson),
                             REQ_JOIN);
    const char *type = json_string_value(json_object_get(r, "type"));
    if (!type || strcmp(type, "joined") != 0) {
        const char *code = json_string_value(json_object_get(r, "code"));
        const char *why = json_string_value(json_object_get(r, "message"));
        if (type && strcmp(type, "lobby_wait") == 0)
            webrtc_http_reply(rs, 403, "the lesson has a lobby: a WHIP publisher cannot wait in it");
        else
            webrtc_http_reply(rs, status_of(code), "%s", why ? why : "cannot join the lesson");
        json_decref(r);
        session_end(w, ws);
        return;
    }
    json_decref(r);
    r = session_call(ws, json_pack("{s:s, s:s%}", "type", "publish", "sdp", rq->body,
                                   rq->body_len), REQ_PUBLISH);
    type = json_string_value(json_object_get(r, "type"));
    const char *sdp = json_string_value(json_object_get(r, "sdp"));
    if (!type || strcmp(type, "publish_answer") != 0 || !sdp) {
        const char *why = json_string_value(json_object_get(r, "message"));
        webrtc_http_reply(rs, status_of(json_string_value(json_object_get(r, "code"))), "%s",
                          why ? why : "cannot publish");
        json_decref(r);
        session_end(w, ws);
        return;
    }
    rs->status = 201;
    snprintf(rs->content_type, sizeof(rs->content_type), "application/sdp");
    rs->body_len = strlen(sdp);
    rs->body = strdup(sdp);
    if (!rs->body)
        rs->body_len = 0;
    json_decref(r);
    snprintf(rs->location, sizeof(rs->location), "/whip/%s/%s", ws->lesson, ws->id);
    signaling_log(w->sig, "whip: session %s publishes in lesson %s as %s", ws->id, ws->lesson,
                  ws->p->id);
}

static void post_session(void *owner, const struct http_request *rq, const char *lesson,
                         const char *token, struct http_response *rs)
{
    struct whip *w = owner;
    char name[300];
    struct access_grant g;
    if (webrtc_http_check_token(w->sig, token, lesson, &g, rs) < 0)
        return;
    if (strcmp(g.role, "student") == 0 && !g.def.students_publish) {
        webrtc_http_reply(rs, 403, "this token may not publish: students publish only "
                                   "when the lesson lets them");
        return;
    }
    /* The offer must parse before anyone joins, so a bad one leaves no trace. */
    free(webrtc_http_parse_offer(rq->body, rq->body_len, rs));
    if (rs->status)
        return;
    struct whip_session *ws = calloc(1, sizeof(*ws));
    if (!ws) {
        webrtc_http_reply(rs, 500, "out of memory");
        return;
    }
    ws->w = w;
    ws->created_ms = w->sig->now_ms;
    snprintf(ws->lesson, sizeof(ws->lesson), "%s", lesson);
    webrtc_http_session_id(ws->id);
    ws->p = signaling_connect(w->sig, &session_ops, ws);
    if (!ws->p) {
        free(ws);
        webrtc_http_reply(rs, 500, "out of memory");
        return;
    }
    ws->next = w->sessions;
    w->sessions = ws;
    query_name(rq->query, name, sizeof(name));
    start_session(w, ws, token, name, rq, rs);
}

static void delete_session(void *owner, const char *lesson, const char *session,
                           struct http_response *rs)
{
    struct whip *w = owner;
    for (struct whip_session *ws = w->sessions; ws; ws = ws->next)
        if (strcmp(ws->id, session) == 0 && strcmp(ws->lesson, lesson) == 0) {
            signaling_log(w->sig, "whip: session %s ended by DELETE", ws->id);
            session_end(w, ws);
            webrtc_http_reply(rs, 200, "session ended");
            return;
        }
    webrtc_http_reply(rs, 404, "no such WHIP session");
}

static const struct webrtc_http_endpoint endpoint = {
    .prefix = "whip", .allow = WHIP_ALLOW, .max_body = WHIP_MAX_BODY,
    .no_token = "send the lesson token as Authorization: Bearer <token>",
    .post = post_session, .delete = delete_session,
};

void whip_handle(struct whip *w, const struct http_request *rq, const char *content_type,
                 bool too_large, struct whip_response *rs)
{
    sweep(w);
    webrtc_http_handle(&endpoint, w, rq, content_type, too_large, &rs->http, &rs->allow);
}
