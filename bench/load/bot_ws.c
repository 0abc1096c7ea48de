/* bench/load: the WebSocket thread of a bot process (docs/protocol.md). One
 * libwebsockets client context serves every bot of the process. The thread
 * never touches media state: it connects when the media thread asks, sends
 * `join` itself, queues each server message it cares about as an event for
 * the media thread (eventfd wake-up) and writes what the media thread queued
 * (lws_cancel_service wake-up, then LWS_CALLBACK_CLIENT_WRITEABLE). */
#include <jansson.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bot.h"
#include "sabaq/clock.h"

#define RX_MAX (512 * 1024)       /* a server message larger than this is dropped */

/* A queued message keeps LWS_PRE bytes of headroom for lws_write. */
struct ws_out {
    struct bot_msg msg;
    size_t len;
};

static void post_event(struct bot *b, enum bot_event_type type, int64_t version, const char *text)
{
    struct bot_proc *p = b->proc;
    struct bot_event *e = calloc(1, sizeof(*e));
    if (!e)
        return;
    e->bot = (unsigned)(b - p->bots);
    e->type = type;
    e->version = version;
    e->text = text ? strdup(text) : NULL;
    pthread_mutex_lock(&p->lock);
    if (p->ev_tail)
        p->ev_tail->next = e;
    else
        p->ev_head = e;
    p->ev_tail = e;
    pthread_mutex_unlock(&p->lock);
    uint64_t one = 1;
    if (write(p->event_fd, &one, sizeof(one)) < 0) {
        /* The counter is only a wake-up; a full counter already wakes. */
    }
}

/* The join step (docs/protocol.md): with the lesson's link tokens when the
 * bench has them (the server then knows the role from the token), else by
 * lesson id and role as servers before tokens took it. */
char *bot_join_text(const struct bot *b)
{
    const struct bot_config *c = b->proc->cfg;
    const char *token = b->role == BOT_TEACHER ? c->token_teacher : c->token_student;
    char name[32];
    snprintf(name, sizeof(name), "%s-%u", b->role == BOT_TEACHER ? "teacher" : "bot", b->index);
    json_t *j = token[0] ? json_pack("{s:s,s:s,s:s}", "type", "join", "token", token, "name",
                                     name)
                         : json_pack("{s:s,s:s,s:s,s:s}", "type", "join", "lesson", c->lesson,
                                     "name", name, "role",
                                     b->role == BOT_TEACHER ? "teacher" : "student");
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return text;
}

/* Any thread: the text (malloc'd, ownership taken) goes to b's queue. */
static void enqueue(struct bot *b, char *text)
{
    size_t len = strlen(text);
    struct ws_out *o = malloc(sizeof(*o));
    char *buf = malloc(LWS_PRE + len + 1);
    if (!o || !buf) {
        free(o);
        free(buf);
        free(text);
        return;
    }
    memcpy(buf + LWS_PRE, text, len + 1);
    free(text);
    o->msg.next = NULL;
    o->msg.text = buf;
    o->len = len;
    struct bot_proc *p = b->proc;
    pthread_mutex_lock(&p->lock);
    if (b->tx_tail)
        b->tx_tail->next = &o->msg;
    else
        b->tx_head = &o->msg;
    b->tx_tail = &o->msg;
    b->ws_want |= BOT_WS_WRITE;
    pthread_mutex_unlock(&p->lock);
}

void bot_ws_send(struct bot *b, char *text)
{
    if (!text)
        return;
    enqueue(b, text);
    lws_cancel_service(b->proc->lws);
}

void bot_ws_connect(struct bot *b)
{
    pthread_mutex_lock(&b->proc->lock);
    b->ws_want |= BOT_WS_CONNECT;
    pthread_mutex_unlock(&b->proc->lock);
    lws_cancel_service(b->proc->lws);
}

static void do_connect(struct bot *b)
{
    const struct bot_config *c = b->proc->cfg;
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof(ci));
    ci.context = b->proc->lws;
    ci.address = c->host;
    ci.port = c->ws_port;
    ci.path = "/ws";
    ci.host = c->host;
    ci.origin = c->host;
    ci.protocol = "sabaq";
    ci.local_protocol_name = "sabaq";
    ci.userdata = b;
    ci.pwsi = &b->wsi;
    b->proc->shm->bots[b->index].ws_start_us = sq_now_us();
    if (!lws_client_connect_via_info(&ci))
        post_event(b, EV_WS_CLOSED, 0, "connect failed");
}

/* LWS_CALLBACK_EVENT_WAIT_CANCELLED: act on what the media thread asked. */
static void serve_wants(struct bot_proc *p)
{
    for (unsigned i = 0; i < p->n_bots; i++) {
        struct bot *b = &p->bots[i];
        pthread_mutex_lock(&p->lock);
        unsigned w = b->ws_want;
        b->ws_want = w & BOT_WS_WRITE && !b->ws_open ? BOT_WS_WRITE : 0;
        pthread_mutex_unlock(&p->lock);
        if (w & BOT_WS_CONNECT)
            do_connect(b);
        if (w & BOT_WS_WRITE && b->ws_open && b->wsi)
            lws_callback_on_writable(b->wsi);
    }
}

static void write_one(struct bot *b)
{
    struct bot_proc *p = b->proc;
    pthread_mutex_lock(&p->lock);
    struct bot_msg *m = b->tx_head;
    if (m && !(b->tx_head = m->next))
        b->tx_tail = NULL;
    bool more = b->tx_head != NULL;
    pthread_mutex_unlock(&p->lock);
    if (!m)
        return;
    struct ws_out *o = (struct ws_out *)m;
    if (lws_write(b->wsi, (unsigned char *)m->text + LWS_PRE, o->len, LWS_WRITE_TEXT) <
        (int)o->len)
        post_event(b, EV_WS_CLOSED, 0, "write failed");
    free(m->text);
    free(o);
    if (more)
        lws_callback_on_writable(b->wsi);
}

static void handle_message(struct bot *b, const char *buf, size_t len)
{
    json_error_t err;
    json_t *j = json_loadb(buf, len, 0, &err);
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) {
        post_event(b, EV_ERROR, 0, "server sent a message without a type");
    } else if (strcmp(type, "joined") == 0) {
        b->proc->shm->bots[b->index].joined_us = sq_now_us();
        post_event(b, EV_JOINED, 0, json_string_value(json_object_get(j, "participant")));
    } else if (strcmp(type, "publish_answer") == 0) {
        post_event(b, EV_PUBLISH_ANSWER, 0, json_string_value(json_object_get(j, "sdp")));
    } else if (strcmp(type, "subscribe_offer") == 0) {
        post_event(b, EV_SUBSCRIBE_OFFER, json_integer_value(json_object_get(j, "version")),
                   json_string_value(json_object_get(j, "sdp")));
    } else if (strcmp(type, "transport_closed") == 0) {
        post_event(b, EV_TRANSPORT_CLOSED, 0,
                   json_string_value(json_object_get(j, "transport")));
    } else if (strcmp(type, "error") == 0) {
        char text[300];
        const char *code = json_string_value(json_object_get(j, "code"));
        const char *message = json_string_value(json_object_get(j, "message"));
        snprintf(text, sizeof(text), "%s: %s", code ? code : "?", message ? message : "?");
        post_event(b, EV_ERROR, 0, text);
    }
    json_decref(j);
}

static void receive(struct bot *b, struct lws *wsi, const void *in, size_t len)
{
    if (b->rx_len + len > RX_MAX) {
        b->rx_len = RX_MAX + 1; /* poisoned until the message ends */
    } else {
        if (b->rx_len + len > b->rx_cap) {
            size_t cap = (b->rx_len + len) * 2;
            char *n = realloc(b->rx_buf, cap);
            if (!n)
                return;
            b->rx_buf = n;
            b->rx_cap = cap;
        }
        memcpy(b->rx_buf + b->rx_len, in, len);
        b->rx_len += len;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return;
    if (b->rx_len <= RX_MAX)
        handle_message(b, b->rx_buf, b->rx_len);
    else
        post_event(b, EV_ERROR, 0, "server message too large");
    b->rx_len = 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct bot *b = user;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        serve_wants(lws_context_user(lws_get_context(wsi)));
        break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        b->ws_open = true;
        enqueue(b, bot_join_text(b));
        lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        receive(b, wsi, in, len);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        write_one(b);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        char why[160];
        snprintf(why, sizeof(why), "websocket connection error: %.*s", in ? (int)len : 0,
                 in ? (const char *)in : "");
        b->wsi = NULL;
        b->ws_open = false;
        post_event(b, EV_WS_CLOSED, 0, why);
        break;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
        b->wsi = NULL;
        b->ws_open = false;
        post_event(b, EV_WS_CLOSED, 0, "websocket closed");
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"sabaq", callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *ws_main(void *arg)
{
    struct bot_proc *p = arg;
    /* Bounded: the media thread sets stop before its own deadline. */
    while (!atomic_load(&p->stop))
        lws_service(p->lws, 0);
    return NULL;
}

int bot_ws_start(struct bot_proc *p)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = p;
    info.fd_limit_per_thread = 4 * p->n_bots + 64;
    lws_set_log_level(LLL_ERR, NULL);
    p->lws = lws_create_context(&info);
    if (!p->lws)
        return -1;
    if (pthread_create(&p->ws_thread, NULL, ws_main, p) != 0) {
        lws_context_destroy(p->lws);
        p->lws = NULL;
        return -1;
    }
    return 0;
}

void bot_ws_stop(struct bot_proc *p)
{
    if (!p->lws)
        return;
    atomic_store(&p->stop, true);
    lws_cancel_service(p->lws);
    pthread_join(p->ws_thread, NULL);
    lws_context_destroy(p->lws);
    p->lws = NULL;
    for (unsigned i = 0; i < p->n_bots; i++) {
        struct bot *b = &p->bots[i];
        while (b->tx_head) {
            struct bot_msg *m = b->tx_head;
            b->tx_head = m->next;
            free(m->text);
            free(m);
        }
        b->tx_tail = NULL;
        free(b->rx_buf);
        b->rx_buf = NULL;
    }
}
