/* libwebsockets (4.1) glue for the control thread: one vhost serving the web
 * root through an lws mount, GET /api/stats, the HTTP API and /signin
 * (requests collected whole and handed to http_api.c), and the signaling
 * WebSocket at /ws (RFC 6455; subprotocol "sabaq" or none). Frames are reassembled up to
 * MESSAGE_MAX_LEN and handed whole to signaling.c; replies wait in a
 * per-connection queue and go out one per SERVER_WRITEABLE, as lws wants.
 * The media worker wakes the loop with lws_cancel_service(); its events are
 * drained in LWS_CALLBACK_EVENT_WAIT_CANCELLED; a one-second timer drives
 * signaling_tick. Nothing here blocks. */
#include "http_server.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/clock.h"
#include "sabaq/sfu.h"
#include "http_api.h"
#include "http_recordings.h"
#include "http_stream.h"
#include "participant.h"
#include "signaling.h"
#include "whep.h"
#include "whip.h"

/* A client that stops reading must not grow our memory without bound. */
#define TX_QUEUE_MAX (8u * 1024 * 1024)
#ifndef IDLE_PING_S
#define IDLE_PING_S 20
#define IDLE_HANGUP_S 60
#endif

struct http_server {
    struct lws_context *ctx;         /* owned */
    struct signaling *sig;           /* borrowed */
    struct sfu *sfu;                 /* borrowed, may be NULL */
    volatile sig_atomic_t stop;
    bool shutting_down;              /* lws_context_destroy is running */
    pthread_mutex_t wake_lock;       /* guards wake_ctx against the worker thread */
    struct lws_context *wake_ctx;    /* borrowed copy of ctx, NULL once destroying */
    char web_root[4096];
    struct lws_http_mount mount_files, mount_stats, mount_signin, mount_whip, mount_whep;
    struct lws_http_mount mount_recordings; /* /recordings: http_recordings.c */
    struct whip *whip;               /* owned: WHIP sessions (whip.h) */
    struct whep *whep;               /* owned: WHEP viewers (whep.h) */
    lws_sorted_usec_list_t tick;     /* signaling_tick once a second */
};

struct tx_msg {
    struct tx_msg *next;
    size_t len;
    unsigned char data[];            /* LWS_PRE bytes of headroom, then the text */
};

/* Per WebSocket connection, allocated by lws (zeroed). */
struct ws_conn {
    struct http_server *server;      /* borrowed */
    struct lws *wsi;                 /* borrowed */
    struct participant *p;           /* owned by signaling until signaling_disconnect */
    char *rx;                        /* owned: the frame being reassembled */
    size_t rx_len, rx_cap;
    bool rx_too_large;
    struct tx_msg *tx_head, *tx_tail; /* owned queue */
    size_t tx_bytes;
    bool close_after_flush;          /* `leave`: write what is queued, then close */
    bool dead;                       /* being killed: drop whatever is sent */
};

/* Per HTTP request to /api or /signin. */
struct http_req {
    unsigned char *body;             /* owned: the response, LWS_PRE + len */
    size_t len;
    const char *method;              /* static string */
    char *path, *query, *cookie, *auth, *host; /* owned: the request (http_api.h) */
    char *in;                        /* owned: the request body */
    size_t in_len;
    bool in_too_large;
    bool whip;                       /* under /whip or /whep: CORS headers, text bodies */
    bool whep;                       /* under /whep */
    char *ctype;                     /* owned: Content-Type, WHIP requests only */
    const char *allow;               /* static: the reply's Allow header, NULL when none */
    struct http_stream *stream;      /* owned: a recordings reply being sent */
};

static char *header(struct lws *wsi, enum lws_token_indexes t);

static struct http_server *server_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

/* ---- the signaling socket ---------------------------------------------- */

static void conn_send(void *c, const char *text, size_t len)
{
    struct ws_conn *conn = c;
    if (conn->dead || conn->server->shutting_down)
        return;
    if (conn->tx_bytes + len > TX_QUEUE_MAX) {
        signaling_log(conn->server->sig, "a client stopped reading: closing its connection");
        conn->dead = true;
        lws_set_timeout(conn->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        return;
    }
    struct tx_msg *m = malloc(sizeof(*m) + LWS_PRE + len);
    if (!m)
        return;
    m->next = NULL;
    m->len = len;
    memcpy(m->data + LWS_PRE, text, len);
    if (conn->tx_tail)
        conn->tx_tail->next = m;
    else
        conn->tx_head = m;
    conn->tx_tail = m;
    conn->tx_bytes += len;
    lws_callback_on_writable(conn->wsi);
}

static void conn_close(void *c)
{
    struct ws_conn *conn = c;
    conn->close_after_flush = true;
    if (!conn->server->shutting_down)
        lws_callback_on_writable(conn->wsi);
}

static const struct signaling_conn_ops conn_ops = {conn_send, conn_close};

static void conn_free_buffers(struct ws_conn *conn)
{
    while (conn->tx_head) {
        struct tx_msg *m = conn->tx_head;
        conn->tx_head = m->next;
        free(m);
    }
    conn->tx_tail = NULL;
    conn->tx_bytes = 0;
    free(conn->rx);
    conn->rx = NULL;
    conn->rx_len = conn->rx_cap = 0;
}

static void conn_append(struct ws_conn *conn, const void *in, size_t len)
{
    if (conn->rx_too_large)
        return;
    if (len > MESSAGE_MAX_LEN - conn->rx_len) {
        conn->rx_too_large = true;
        return;
    }
    if (conn->rx_len + len > conn->rx_cap) {
        size_t cap = conn->rx_cap ? conn->rx_cap : 4096;
        while (cap < conn->rx_len + len)
            cap *= 2;
        if (cap > MESSAGE_MAX_LEN)
            cap = MESSAGE_MAX_LEN;
        char *rx = realloc(conn->rx, cap);
        if (!rx) {
            conn->rx_too_large = true;
            return;
        }
        conn->rx = rx;
        conn->rx_cap = cap;
    }
    memcpy(conn->rx + conn->rx_len, in, len);
    conn->rx_len += len;
}

static void conn_receive(struct lws *wsi, struct ws_conn *conn, const void *in, size_t len)
{
    conn_append(conn, in, len);
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return;
    struct signaling *sig = conn->server->sig;
    if (conn->rx_too_large)
        signaling_too_large(sig, conn->p);
    else
        signaling_receive(sig, conn->p, conn->rx ? conn->rx : "", conn->rx_len);
    conn->rx_len = 0;
    conn->rx_too_large = false;
    if (conn->rx_cap > 65536) {   /* one big offer should not pin 256 KiB per idle socket */
        free(conn->rx);
        conn->rx = NULL;
        conn->rx_cap = 0;
    }
}

static int conn_writeable(struct lws *wsi, struct ws_conn *conn)
{
    struct tx_msg *m = conn->tx_head;
    if (conn->dead)
        return -1;
    if (m) {
        conn->tx_head = m->next;
        if (!conn->tx_head)
            conn->tx_tail = NULL;
        conn->tx_bytes -= m->len;
        int n = lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
        size_t len = m->len;
        free(m);
        if (n < 0 || (size_t)n < len)
            return -1;
        if (conn->tx_head) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    if (conn->close_after_flush) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)"bye", 3);
        return -1;
    }
    return 0;
}

/* Only /ws may become a WebSocket. */
static bool upgrade_allowed(struct lws *wsi)
{
    char uri[64];
    if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0)
        return false;
    return strcmp(uri, "/ws") == 0;
}

static void drain_media_events(struct http_server *h)
{
    struct sfu_event ev;
    if (!h || !h->sfu || !h->sig || h->shutting_down)
        return;
    while (sfu_poll_event(h->sfu, &ev) == 1) {
        signaling_media_event(h->sig, &ev);
        whip_media_event(h->whip, &ev);
        whep_media_event(h->whep, &ev);
    }
}

/* The logic reads wall time only from sig->now_ms, set here before every call in. */
static void set_now(struct http_server *h)
{
    if (h && h->sig)
        h->sig->now_ms = sq_wallclock_us() / 1000u;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    struct ws_conn *conn = user;
    struct http_server *h = server_of(wsi);
    set_now(h);
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return upgrade_allowed(wsi) ? 0 : 1;
    case LWS_CALLBACK_ESTABLISHED:
        if (!conn)
            return -1;
        conn->server = h;
        conn->wsi = wsi;
        conn->p = signaling_connect(h->sig, &conn_ops, conn);
        if (conn->p) {   /* a signed-in teacher is the same person in every window */
            char *cookie = header(wsi, WSI_TOKEN_HTTP_COOKIE);
            conn->p->staff_id = cookie ? http_api_session_staff(h->sig, cookie) : 0;
            free(cookie);
        }
        return conn->p ? 0 : -1;
    case LWS_CALLBACK_RECEIVE:
        if (conn && conn->p && !conn->dead)
            conn_receive(wsi, conn, in, len);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return conn && conn->p ? conn_writeable(wsi, conn) : 0;
    case LWS_CALLBACK_CLOSED:
        if (!conn)
            return 0;
        if (conn->p)
            signaling_disconnect(h->sig, conn->p);
        conn->p = NULL;
        conn_free_buffers(conn);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        drain_media_events(h);
        return 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- GET /api/stats ----------------------------------------------------- */

static json_t *media_stats(const struct sfu *sfu)
{
    struct sfu_stats st;
    sfu_stats_get(sfu, &st);
    json_t *o = json_object();
#define STAT(name) json_object_set_new(o, #name, json_integer((json_int_t)st.name))
    STAT(rx_packets); STAT(rx_bytes); STAT(tx_packets); STAT(tx_bytes);
    STAT(rx_stun); STAT(rx_dtls); STAT(rx_rtp); STAT(rx_rtcp);
    STAT(drop_unknown_source); STAT(drop_malformed_stun); STAT(drop_stun_auth);
    STAT(drop_malformed_dtls); STAT(drop_malformed_rtp); STAT(drop_malformed_rtcp);
    STAT(drop_srtp); STAT(drop_unknown_ssrc); STAT(drop_not_demuxable);
    STAT(nack_received); STAT(rtx_sent); STAT(pli_forwarded); STAT(pli_suppressed);
    STAT(transports); STAT(producers); STAT(consumers);
#undef STAT
    return o;
}

static char *stats_body(struct http_server *h)
{
    json_t *o = json_object();
    json_object_set_new(o, "media", h->sfu ? media_stats(h->sfu) : json_object());
    json_object_set_new(o, "signaling", h->sig ? signaling_stats(h->sig) : json_object());
    char *text = json_dumps(o, JSON_INDENT(1));
    json_decref(o);
    return text;
}

/* Queues a response: headers now, the body at the next HTTP_WRITEABLE.
 * body (malloc'd, len bytes) is taken over. Extra headers may be NULL. */
static int respond(struct lws *wsi, struct http_req *req, const struct http_response *rs,
                   char *body, size_t len)
{
    free(req->body);
    req->body = malloc(LWS_PRE + len + 1);
    if (!req->body) {
        free(body);
        return -1;
    }
    memcpy(req->body + LWS_PRE, body ? body : "", len);
    free(body);
    req->len = len;
    unsigned char buf[LWS_PRE + 4096], *start = buf + LWS_PRE, *p = start,
                                       *end = buf + sizeof(buf) - 1;
    const struct { const char *name, *value; } extra[] = {
        {"cache-control:", "no-store"},
        {"set-cookie:", rs->set_cookie},
        {"location:", rs->location},
        {"content-disposition:", rs->disposition},
        {"x-content-type-options:", "nosniff"},
        {"access-control-allow-origin:", req->whip ? WHIP_CORS_ORIGIN : ""},
        {"access-control-allow-methods:", req->whip ? WHIP_CORS_METHODS : ""},
        {"access-control-allow-headers:", req->whip ? WHIP_CORS_HEADERS : ""},
        {"access-control-expose-headers:", req->whip ? WHIP_CORS_EXPOSE : ""},
        {"allow:", req->allow ? req->allow : ""},
    };
    if (lws_add_http_common_headers(wsi, (unsigned)rs->status, rs->content_type, len, &p, end))
        return -1;
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
        if (extra[i].value[0] &&
            lws_add_http_header_by_name(wsi, (const unsigned char *)extra[i].name,
                                        (const unsigned char *)extra[i].value,
                                        (int)strlen(extra[i].value), &p, end))
            return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    if (len == 0) {
        /* No body (204 to a CORS preflight, 201 without one): done now.
         * Waiting for WRITEABLE to write zero bytes let the next request
         * on the keep-alive connection (the POST after its OPTIONS) be
         * taken for this one's and answered 204. */
        free(req->body);
        req->body = NULL;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    lws_callback_on_writable(wsi);
    return 0;
}

static int stats_begin(struct lws *wsi, struct http_req *req)
{
    char *text = stats_body(server_of(wsi));
    if (!text)
        return -1;
    struct http_response rs = {.status = HTTP_STATUS_OK, .content_type = "application/json"};
    return respond(wsi, req, &rs, text, strlen(text));
}

/* ---- the HTTP API (http_api.c) -------------------------------------------- */

/* Copies a header into *out (malloc'd, "" when absent). */
static char *header(struct lws *wsi, enum lws_token_indexes t)
{
    int n = lws_hdr_total_length(wsi, t);
    char *out = malloc(n > 0 ? (size_t)n + 64 : 1);
    if (!out)
        return NULL;
    out[0] = '\0';
    if (n > 0 && lws_hdr_copy(wsi, out, n + 64, t) < 0)
        out[0] = '\0';
    return out;
}

/* The query string: lws keeps each URI argument as its own fragment
 * (URL-decoded) and lws_hdr_copy joins them without a separator, so join
 * them with '&' again (malloc'd, "" when none). */
static char *query_args(struct lws *wsi)
{
    int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
    size_t cap = total > 0 ? (size_t)total * 2 + 64 : 1, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = '\0';
    for (int i = 0; total > 0; i++) {
        int n = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n <= 0 || len + (size_t)n + 2 > cap)
            break;
        if (len)
            out[len++] = '&';
        if (lws_hdr_copy_fragment(wsi, out + len, (int)(cap - len), WSI_TOKEN_HTTP_URI_ARGS,
                                  i) < 0)
            break;
        len += strlen(out + len);
    }
    out[len] = '\0';
    return out;
}

static void api_request_free(struct http_req *req)
{
    free(req->path);
    free(req->query);
    free(req->cookie);
    free(req->auth);
    free(req->host);
    free(req->in);
    free(req->ctype);
    req->ctype = NULL;
    req->path = req->query = req->cookie = req->auth = req->host = NULL;
    req->in = NULL;
    req->in_len = 0;
    req->in_too_large = false;
}

static int api_finish(struct lws *wsi, struct http_req *req)
{
    struct http_server *h = server_of(wsi);
    struct http_request rq = {req->method, req->path, req->query, req->cookie, req->auth,
                              req->host, req->in, req->in_len, lws_is_ssl(wsi) != 0};
    struct http_response rs;
    if (req->whep && h->whep) {   /* whep.c: statuses and CORS as WHIP's */
        struct whep_response wr;
        whep_handle(h->whep, &rq, req->ctype ? req->ctype : "", req->in_too_large, &wr);
        req->allow = wr.allow;
        rs = wr.http;
    } else if (req->whip && h->whip) {   /* whip.c: its own statuses and CORS (RFC 9725) */
        struct whip_response wr;
        rq.method = req->method;
        whip_handle(h->whip, &rq, req->ctype ? req->ctype : "", req->in_too_large, &wr);
        req->allow = wr.allow;
        rs = wr.http;
    } else if (req->in_too_large) {
        memset(&rs, 0, sizeof(rs));
        http_api_error(&rs, 413, "too_large", "the body is larger than %d KiB",
                       HTTP_API_MAX_BODY / 1024);
    } else {
        http_api_handle(h->sig, &rq, &rs);
    }
    api_request_free(req);
    char *body = rs.body;
    rs.body = NULL;
    return respond(wsi, req, &rs, body, rs.body_len);
}

/* WHIP also takes DELETE, OPTIONS and PATCH (answered 405). */
static const char *method_of(struct lws *wsi)
{
    static const struct { enum lws_token_indexes t; const char *name; } methods[] = {
        {WSI_TOKEN_POST_URI, "POST"}, {WSI_TOKEN_GET_URI, "GET"},
        {WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
        {WSI_TOKEN_PATCH_URI, "PATCH"}, {WSI_TOKEN_PUT_URI, "PUT"},
    };
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (lws_hdr_total_length(wsi, methods[i].t) > 0)
            return methods[i].name;
    return "OTHER";
}

static int api_begin(struct lws *wsi, struct http_req *req, const char *path, bool whip)
{
    api_request_free(req);
    req->method = method_of(wsi);
    bool post = strcmp(req->method, "POST") == 0 || strcmp(req->method, "PATCH") == 0;
    req->whip = whip;
    req->allow = NULL;
    if (whip && !(req->ctype = header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE)))
        return -1;
    req->path = strdup(path);
    req->query = query_args(wsi);
    req->cookie = header(wsi, WSI_TOKEN_HTTP_COOKIE);
    req->auth = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    req->host = header(wsi, WSI_TOKEN_HOST);
    if (!req->path || !req->query || !req->cookie || !req->auth || !req->host)
        return -1;
    /* A POST answers once its body is in; lws reports no body completion
     * when there is no body. */
    char clen[24] = "";
    bool has_body = lws_hdr_copy(wsi, clen, sizeof(clen), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 &&
                    strtoull(clen, NULL, 10) > 0;
    return post && has_body ? 0 : api_finish(wsi, req);
}

static void api_body(struct http_req *req, const void *in, size_t len)
{
    if (req->in_too_large || len > HTTP_API_MAX_BODY - req->in_len) {
        req->in_too_large = true;
        return;
    }
    char *grown = realloc(req->in, req->in_len + len + 1);
    if (!grown) {
        req->in_too_large = true;
        return;
    }
    req->in = grown;
    memcpy(req->in + req->in_len, in, len);
    req->in_len += len;
}

/* GET /recordings/... and /api/lessons/<id>/recordings (http_recordings.c):
 * files go out in chunks through http_stream.c. */
static int recordings_begin(struct lws *wsi, struct http_req *req, const char *path)
{
    struct http_server *h = server_of(wsi);
    api_request_free(req);
    req->method = method_of(wsi);
    req->path = strdup(path);
    req->query = query_args(wsi);
    req->cookie = header(wsi, WSI_TOKEN_HTTP_COOKIE);
    req->auth = header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    char *range = header(wsi, WSI_TOKEN_HTTP_RANGE);
    int rc = -1;
    if (req->path && req->query && req->cookie && req->auth && range) {
        struct http_request rq = {req->method, req->path, req->query, req->cookie, req->auth,
                                  "", NULL, 0, lws_is_ssl(wsi) != 0};
        struct recordings_reply reply;
        http_recordings_handle(h->sig, &rq, range, h->web_root, &reply);
        rc = http_stream_start(wsi, &reply, &req->stream);
    }
    free(range);
    api_request_free(req);
    return rc;
}

/* lws 4.1 hands a callback mount the whole path of a GET but strips the
 * mountpoint from a POST's: read it from the request line instead. */
static int http_begin(struct lws *wsi, struct http_req *req)
{
    set_now(server_of(wsi));
    char path[512] = "";
    static const enum lws_token_indexes uris[] = {WSI_TOKEN_POST_URI, WSI_TOKEN_GET_URI,
                                                  WSI_TOKEN_DELETE_URI, WSI_TOKEN_OPTIONS_URI,
                                                  WSI_TOKEN_PATCH_URI, WSI_TOKEN_PUT_URI};
    for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++)
        if (lws_hdr_copy(wsi, path, sizeof(path), uris[i]) > 0)
            break;
    if (path[0] && (strcmp(path, "/api/stats") == 0 || strcmp(path, "/api/stats/") == 0))
        return stats_begin(wsi, req);
    if (path[0] && server_of(wsi)->sig && http_recordings_wants(path))
        return recordings_begin(wsi, req, path);
    req->whep = path[0] && server_of(wsi)->sig && whep_wants(path);
    if (req->whep || (path[0] && server_of(wsi)->sig && whip_wants(path)))
        return api_begin(wsi, req, path, true);
    if (path[0] && server_of(wsi)->sig && http_api_wants(path))
        return api_begin(wsi, req, path, false);
    return lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL) ||
           lws_http_transaction_completed(wsi);
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    struct http_req *req = user;
    set_now(server_of(wsi));
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return req ? http_begin(wsi, req) : -1;
    case LWS_CALLBACK_HTTP_BODY:
        if (req && req->path)
            api_body(req, in, len);
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return req && req->path ? api_finish(wsi, req) : 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (req && req->stream) {
            int rc = http_stream_writeable(wsi, req->stream);
            if (rc != 0) {
                http_stream_free(req->stream);
                req->stream = NULL;
            }
            return rc < 0 ? -1 : 0;
        }
        if (!req || !req->body)
            break;
        {
            int n = lws_write(wsi, req->body + LWS_PRE, req->len, LWS_WRITE_HTTP_FINAL);
            free(req->body);
            req->body = NULL;
            if (n < 0 || lws_http_transaction_completed(wsi))
                return -1;
        }
        return 0;
    case LWS_CALLBACK_CLOSED_HTTP:
        if (req) {
            free(req->body);
            req->body = NULL;
            api_request_free(req);
            http_stream_free(req->stream);
            req->stream = NULL;
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- the server --------------------------------------------------------- */

/* protocols[0] is the vhost's default, so a WebSocket without a subprotocol
 * gets "sabaq" too. rx_buffer_size bounds one RECEIVE chunk, not a frame. */
static const struct lws_protocols protocols[] = {
    {"sabaq", ws_callback, sizeof(struct ws_conn), 65536, 0, NULL, 0},
    {"sabaq-http", http_callback, sizeof(struct http_req), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* lws knows .js/.css/.html; ES modules need text/javascript, the page's
 * translations application/json. '*' must come last. */
static const struct lws_protocol_vhost_options mime_any = {NULL, NULL, "*",
                                                           "application/octet-stream"};
static const struct lws_protocol_vhost_options mime_wasm = {&mime_any, NULL, ".wasm",
                                                            "application/wasm"};
static const struct lws_protocol_vhost_options mime_webm = {&mime_wasm, NULL, ".webm",
                                                            "video/webm"};
static const struct lws_protocol_vhost_options mime_map = {&mime_webm, NULL, ".map",
                                                           "application/json"};
static const struct lws_protocol_vhost_options mime_json = {&mime_map, NULL, ".json",
                                                            "application/json"};
static const struct lws_protocol_vhost_options mime_mjs = {&mime_json, NULL, ".mjs",
                                                           "text/javascript"};
static const struct lws_protocol_vhost_options mime_js = {&mime_mjs, NULL, ".js",
                                                          "text/javascript"};

/* A socket whose peer vanished (laptop closed, Wi-Fi gone) is found by lws's
 * WebSocket PING after 20 s of silence and dropped after 60 s, so the
 * participant leaves the lesson. */
static const lws_retry_bo_t idle_policy = {
    .secs_since_valid_ping = IDLE_PING_S,
    .secs_since_valid_hangup = IDLE_HANGUP_S,
};

static bool is_wildcard(const char *a)
{
    return !a || !a[0] || strcmp(a, "0.0.0.0") == 0 || strcmp(a, "::") == 0;
}

/* A mount whose requests go to http_callback, chained before `next`. */
static void callback_mount(struct lws_http_mount *m, const char *path,
                           const struct lws_http_mount *next)
{
    m->mount_next = next;
    m->mountpoint = path;
    m->mountpoint_len = (unsigned char)strlen(path);
    m->origin = "sabaq-http";
    m->origin_protocol = LWSMPRO_CALLBACK;
}

static void setup_mounts(struct http_server *h)
{
    h->mount_files.mountpoint = "/";
    h->mount_files.mountpoint_len = 1;
    h->mount_files.origin = h->web_root;
    h->mount_files.def = "index.html";
    h->mount_files.origin_protocol = LWSMPRO_FILE;
    h->mount_files.extra_mimetypes = &mime_js;
    /* /api (stats and the API), /signin, WHIP, WHEP and the recordings go
     * to http_callback; the files come last. */
    callback_mount(&h->mount_recordings, "/recordings", &h->mount_files);
    callback_mount(&h->mount_whep, "/whep", &h->mount_recordings);
    callback_mount(&h->mount_whip, "/whip", &h->mount_whep);
    callback_mount(&h->mount_signin, "/signin", &h->mount_whip);
    callback_mount(&h->mount_stats, "/api", &h->mount_signin);
}

struct http_server *http_server_new(const struct http_server_config *cfg)
{
    struct http_server *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    pthread_mutex_init(&h->wake_lock, NULL);
    if (!realpath(cfg->web_root, h->web_root))
        snprintf(h->web_root, sizeof(h->web_root), "%s", cfg->web_root);
    setup_mounts(h);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = cfg->port;
    info.iface = is_wildcard(cfg->bind) ? NULL : cfg->bind;
    info.protocols = protocols;
    info.mounts = &h->mount_stats;
    info.vhost_name = "sabaq";
    info.user = h;
    info.retry_and_idle_policy = &idle_policy;
    if (cfg->bind && strcmp(cfg->bind, "0.0.0.0") == 0)
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    if (cfg->tls_cert && cfg->tls_cert[0]) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
        info.alpn = "http/1.1";   /* keep WebSockets on HTTP/1.1 upgrades */
    }
    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    h->ctx = lws_create_context(&info);
    if (!h->ctx) {
        fprintf(stderr, "sabaq: cannot serve HTTP on %s port %u (address in use, or bad TLS "
                        "files?)\n", cfg->bind ? cfg->bind : "*", (unsigned)cfg->port);
        pthread_mutex_destroy(&h->wake_lock);
        free(h);
        return NULL;
    }
    h->wake_ctx = h->ctx;
    return h;
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    struct http_server *h = lws_container_of(sul, struct http_server, tick);
    if (h->sig && !h->shutting_down) {
        set_now(h);
        signaling_tick(h->sig);
        whip_tick(h->whip);
        whep_tick(h->whep);
    }
    lws_sul_schedule(h->ctx, 0, &h->tick, on_tick, LWS_US_PER_SEC);
}

void http_server_attach(struct http_server *h, struct signaling *sig, struct sfu *sfu)
{
    h->sig = sig;
    h->sfu = sfu;
    h->whip = whip_new(sig);
    h->whep = whep_new(sig);
    set_now(h);
    lws_sul_schedule(h->ctx, 0, &h->tick, on_tick, LWS_US_PER_SEC);
}

void http_server_wake(void *arg)
{
    struct http_server *h = arg;
    pthread_mutex_lock(&h->wake_lock);
    if (h->wake_ctx)
        lws_cancel_service(h->wake_ctx);
    pthread_mutex_unlock(&h->wake_lock);
}

int http_server_run(struct http_server *h)
{
    /* Events may have queued before the loop ran. */
    drain_media_events(h);
    while (!h->stop)
        if (lws_service(h->ctx, 0) < 0)
            return -1;
    return 0;
}

void http_server_stop(struct http_server *h)
{
    h->stop = 1;
    if (h->ctx)
        lws_cancel_service(h->ctx);
}

void http_server_free(struct http_server *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->wake_lock);
    h->wake_ctx = NULL;
    pthread_mutex_unlock(&h->wake_lock);
    h->shutting_down = true;
    whip_free(h->whip);   /* its participants leave before the sockets close */
    h->whip = NULL;
    whep_free(h->whep);   /* its viewers release their lessons */
    h->whep = NULL;
    if (h->sig)
        lws_sul_schedule(h->ctx, 0, &h->tick, NULL, LWS_SET_TIMER_USEC_CANCEL);
    lws_context_destroy(h->ctx);
    pthread_mutex_destroy(&h->wake_lock);
    free(h);
}
