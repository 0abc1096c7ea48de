/* What WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep) share, sans-IO: the
 * path /<prefix>/<lesson>[/<session>] and the methods on it, the bearer
 * token, the SDP content type, plain-text error bodies, the secret session
 * ids that make up the Location, the offer's parse, the lesson token's check
 * and how long a session may wait for its peer to connect. */
#ifndef SIGNALING_WEBRTC_HTTP_H
#define SIGNALING_WEBRTC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/sdp.h"
#include "access.h"
#include "http_api.h"

struct signaling;

#define WEBRTC_HTTP_SESSION_LEN 32   /* hex of 16 random bytes: the Location is the secret */
#define WEBRTC_HTTP_TOKEN_MAX 2048
#define WEBRTC_HTTP_LESSON_CAP 65
/* A peer that never connects (UDP blocked, the client gave up or crashed)
 * would keep its session for ever: the media plane times out consent only
 * once ICE has started. */
#define WEBRTC_HTTP_CONNECT_MS 30000

/* What tells WHIP and WHEP apart in the requests they share, and what
 * they do with a session. `owner` is the struct whip or whep. */
struct webrtc_http_endpoint {
    const char *prefix;          /* "whip": the paths are /whip/... */
    const char *allow;           /* the `Allow` value: the methods served */
    size_t max_body;             /* the largest offer taken, bytes */
    const char *no_token;        /* the 401 reply's text */
    /* POST /<prefix>/<lesson>: a new session's offer, once it is
     * application/sdp, at most max_body bytes and carries a bearer token. */
    void (*post)(void *owner, const struct http_request *rq, const char *lesson,
                 const char *token, struct http_response *rs);
    /* DELETE /<prefix>/<lesson>/<session>: ends it, or 404. */
    void (*delete)(void *owner, const char *lesson, const char *session, struct http_response *rs);
};

/* Whether the path is "/<prefix>" or under it ("/<prefix>/..."). */
bool webrtc_http_wants(const char *path, const char *prefix);

/* One request under /<prefix>: answers itself a path that is no
 * /<prefix>/<lesson>[/<session>] (404), OPTIONS (204), a POST that is not
 * application/sdp (415), larger than ep->max_body (413, also when the
 * socket layer dropped the body) or without a bearer token (401), and any
 * other method (405: no PATCH, so no trickle ICE or ICE restart); hands the
 * other POSTs and DELETEs to ep.
 * Fills rs (free it with http_response_free) and *allow, the `Allow` value
 * to send or NULL. */
void webrtc_http_handle(const struct webrtc_http_endpoint *ep, void *owner,
                        const struct http_request *rq, const char *content_type, bool too_large,
                        struct http_response *rs, const char **allow);

/* Whether a session whose peer has not connected since created_ms has
 * waited WEBRTC_HTTP_CONNECT_MS and should end. */
bool webrtc_http_never_connected(bool is_connected, uint64_t created_ms, uint64_t now_ms);

/* Replaces rs's status and body with a text/plain line (the newline added). */
void webrtc_http_reply(struct http_response *rs, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "/<prefix>/<lesson>" (session "") or "/<prefix>/<lesson>/<session>" into
 * lesson and session; false when the path is neither or the lesson id is
 * not one (message_is_lesson_id). prefix is "whip" or "whep". */
bool webrtc_http_split_path(const char *path, const char *prefix, char *lesson, size_t lcap,
                            char *session, size_t scap);

/* The token of "Bearer <token>" (scheme case-insensitive, RFC 6750) copied
 * into out, or NULL when absent or longer than cap - 1. */
const char *webrtc_http_bearer(const char *authorization, char *out, size_t cap);

/* Whether a Content-Type is application/sdp (parameters ignored). */
bool webrtc_http_is_sdp(const char *content_type);

/* WEBRTC_HTTP_SESSION_LEN random hex digits and a NUL. */
void webrtc_http_session_id(char *out);

/* The parsed offer (malloc'd, the caller frees it), or NULL with rs set to
 * 400 and the parser's reason (or 500 when out of memory). Also refuses
 * text that is not UTF-8, since it travels on as a JSON string. */
struct sdp_session *webrtc_http_parse_offer(const char *sdp, size_t len,
                                            struct http_response *rs);

/* 0 with *g filled when the token is a valid lesson token of this lesson
 * (any role); else -1 with rs set: 404 unknown lesson, 403 bad, expired,
 * revoked or another lesson's token or an ended lesson, 500 store failure. */
int webrtc_http_check_token(struct signaling *s, const char *token, const char *lesson,
                            struct access_grant *g, struct http_response *rs);

#endif
