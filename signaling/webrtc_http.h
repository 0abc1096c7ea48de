/* What WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep) share, sans-IO: the
 * path /<prefix>/<lesson>[/<session>], the bearer token, the SDP content
 * type, plain-text error bodies, the secret session ids that make up the
 * Location, the offer's parse and the lesson token's check. */
#ifndef SIGNALING_WEBRTC_HTTP_H
#define SIGNALING_WEBRTC_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "sabaq/sdp.h"
#include "access.h"
#include "http_api.h"

struct signaling;

#define WEBRTC_HTTP_SESSION_LEN 32   /* hex of 16 random bytes: the Location is the secret */
#define WEBRTC_HTTP_TOKEN_MAX 2048

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
