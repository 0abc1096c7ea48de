/* Helpers shared by WHIP (whip.c) and WHEP (whep.c); see webrtc_http.h. */
#include "webrtc_http.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sabaq/error.h"
#include "lesson_store.h"
#include "message.h"
#include "signaling.h"

void webrtc_http_reply(struct http_response *rs, int status, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof(text) - 2)
        n = (int)sizeof(text) - 2;
    text[n++] = '\n';
    rs->status = status;
    snprintf(rs->content_type, sizeof(rs->content_type), "text/plain; charset=utf-8");
    free(rs->body);
    rs->body = malloc((size_t)n);
    rs->body_len = rs->body ? (size_t)n : 0;
    if (rs->body)
        memcpy(rs->body, text, (size_t)n);
}

bool webrtc_http_wants(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return path[0] == '/' && strncmp(path + 1, prefix, n) == 0 &&
           (path[1 + n] == '\0' || path[1 + n] == '/');
}

/* The checks of a POST before its offer is read. True with the token in
 * out (cap bytes), else false with rs set. */
static bool post_token(const struct webrtc_http_endpoint *ep, const struct http_request *rq,
                       const char *content_type, char *out, size_t cap,
                       struct http_response *rs)
{
    if (!webrtc_http_is_sdp(content_type)) {
        webrtc_http_reply(rs, 415, "the offer must be sent as Content-Type: application/sdp");
        return false;
    }
    if (rq->body_len > ep->max_body) {
        webrtc_http_reply(rs, 413, "the offer is larger than %zu KiB", ep->max_body / 1024);
        return false;
    }
    if (!webrtc_http_bearer(rq->authorization, out, cap)) {
        webrtc_http_reply(rs, 401, "%s", ep->no_token);
        return false;
    }
    return true;
}

void webrtc_http_handle(const struct webrtc_http_endpoint *ep, void *owner,
                        const struct http_request *rq, const char *content_type, bool too_large,
                        struct http_response *rs, const char **allow)
{
    memset(rs, 0, sizeof(*rs));
    *allow = NULL;
    char lesson[WEBRTC_HTTP_LESSON_CAP], session[WEBRTC_HTTP_SESSION_LEN + 1];
    char token[WEBRTC_HTTP_TOKEN_MAX];
    if (!webrtc_http_split_path(rq->path, ep->prefix, lesson, sizeof(lesson), session,
                                sizeof(session))) {
        webrtc_http_reply(rs, 404, "use /%s/<lesson id>", ep->prefix);
        return;
    }
    const char *m = rq->method;
    if (strcmp(m, "OPTIONS") == 0) {
        rs->status = 204;
        *allow = ep->allow;
    } else if (strcmp(m, "POST") == 0 && !session[0]) {
        if (too_large)
            webrtc_http_reply(rs, 413, "the offer is larger than %zu KiB", ep->max_body / 1024);
        else if (post_token(ep, rq, content_type, token, sizeof(token), rs))
            ep->post(owner, rq, lesson, token, rs);
    } else if (strcmp(m, "DELETE") == 0 && session[0]) {
        ep->delete(owner, lesson, session, rs);
    } else {
        /* PATCH (trickle ICE, ICE restart) is not supported: RFC 9725 and
         * the WHEP draft allow 405. */
        webrtc_http_reply(rs, 405, "%s is not supported here; allowed: %s", m, ep->allow);
        *allow = ep->allow;
    }
}

bool webrtc_http_never_connected(bool is_connected, uint64_t created_ms, uint64_t now_ms)
{
    return !is_connected && now_ms - created_ms >= WEBRTC_HTTP_CONNECT_MS;
}

bool webrtc_http_split_path(const char *path, const char *prefix, char *lesson, size_t lcap,
                            char *session, size_t scap)
{
    size_t plen = strlen(prefix);
    if (path[0] != '/' || strncmp(path + 1, prefix, plen) != 0 || path[1 + plen] != '/')
        return false;
    const char *l = path + plen + 2;
    const char *slash = strchr(l, '/');
    size_t llen = slash ? (size_t)(slash - l) : strlen(l);
    if (llen == 0 || llen >= lcap)
        return false;
    memcpy(lesson, l, llen);
    lesson[llen] = '\0';
    session[0] = '\0';
    if (slash) {
        size_t slen = strlen(slash + 1);
        if (slen == 0 || slen >= scap || strchr(slash + 1, '/'))
            return false;
        memcpy(session, slash + 1, slen + 1);
    }
    return message_is_lesson_id(lesson);
}

const char *webrtc_http_bearer(const char *auth, char *out, size_t cap)
{
    if (strncasecmp(auth, "Bearer ", 7) != 0)
        return NULL;
    const char *t = auth + 7;
    while (*t == ' ')
        t++;
    size_t n = strcspn(t, " \t\r\n");
    if (n == 0 || n >= cap)
        return NULL;
    memcpy(out, t, n);
    out[n] = '\0';
    return out;
}

bool webrtc_http_is_sdp(const char *ct)
{
    size_t n = strcspn(ct, "; \t");
    return n == strlen("application/sdp") && strncasecmp(ct, "application/sdp", n) == 0;
}

void webrtc_http_session_id(char *out)
{
    unsigned char raw[WEBRTC_HTTP_SESSION_LEN / 2];
    static const char hex[] = "0123456789abcdef";
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        abort();   /* a guessable Location would let anyone end the session */
    for (size_t i = 0; i < sizeof(raw); i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[WEBRTC_HTTP_SESSION_LEN] = '\0';
}

struct sdp_session *webrtc_http_parse_offer(const char *sdp, size_t len,
                                            struct http_response *rs)
{
    struct sdp_session *offer = calloc(1, sizeof(*offer));
    if (!offer) {
        webrtc_http_reply(rs, 500, "out of memory");
        return NULL;
    }
    const char *why = NULL;
    int rc = sdp_parse(offer, sdp, len, &why);
    if (rc < 0) {
        free(offer);
        webrtc_http_reply(rs, 400, "malformed SDP offer: %s", why ? why : sq_strerror(rc));
        return NULL;
    }
    json_t *text = json_stringn(sdp, len);
    if (!text) {
        free(offer);
        webrtc_http_reply(rs, 400, "malformed SDP offer: not UTF-8 text");
        return NULL;
    }
    json_decref(text);
    return offer;
}

int webrtc_http_check_token(struct signaling *s, const char *token, const char *lesson,
                            struct access_grant *g, struct http_response *rs)
{
    struct lesson_def def;
    int rc = s->store ? lesson_store_get(s->store, lesson, &def) : -SQ_ENOTFOUND;
    if (rc == -SQ_ENOTFOUND) {
        webrtc_http_reply(rs, 404, "no lesson %s", lesson);
        return -1;
    }
    if (rc < 0) {
        webrtc_http_reply(rs, 500, "cannot read the lesson");
        return -1;
    }
    enum auth_result r = access_check(s->store, s->secret, token, (int64_t)s->now_ms, g);
    if (r == AUTH_OK && strcmp(g->def.id, lesson) != 0)
        r = AUTH_WRONG_LESSON;
    if (r != AUTH_OK) {
        webrtc_http_reply(rs, r == AUTH_INTERNAL ? 500 : 403, "%s", auth_result_text(r));
        return -1;
    }
    return 0;
}
