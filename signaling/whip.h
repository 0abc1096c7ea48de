/* WHIP ingest (RFC 9725), sans-IO: the socket layer (http_server.c) hands
 * over one whole request under /whip and writes the response back, with the
 * CORS headers below and `Allow` when whip_response.allow is set.
 *   POST    /whip/<lesson>[?name=N]   SDP offer in, 201 + answer + Location
 *   DELETE  /whip/<lesson>/<session>  ends the session (200)
 *   OPTIONS /whip/...                 CORS preflight (204)
 *   PATCH   /whip/...                 405: no trickle ICE / ICE restart yet
 * A WHIP publisher is a participant without a WebSocket: it joins with the
 * bearer token as a `join` would and publishes through publish.c. */
#ifndef SIGNALING_WHIP_H
#define SIGNALING_WHIP_H

#include <stdbool.h>
#include <stddef.h>

#include "sabaq/sfu.h"
#include "http_api.h"

struct signaling;
struct whip;

#define WHIP_MAX_BODY (256 * 1024)
#define WHIP_ALLOW "POST, DELETE, OPTIONS"
/* Sent on every /whip reply so a page on another origin can publish. */
#define WHIP_CORS_ORIGIN "*"
#define WHIP_CORS_METHODS WHIP_ALLOW
#define WHIP_CORS_HEADERS "Authorization, Content-Type"
#define WHIP_CORS_EXPOSE "Location"

struct whip_response {
    struct http_response http;   /* status, content type, body (owned), location */
    const char *allow;           /* static string for `Allow`, NULL when none */
};

struct whip *whip_new(struct signaling *s);
/* Ends every session still open (their participants leave). */
void whip_free(struct whip *w);

/* Whether the path belongs to WHIP ("/whip" or "/whip/..."). */
bool whip_wants(const char *path);
/* rq->method may be "POST", "DELETE", "OPTIONS", "PATCH" or anything else;
 * content_type is the Content-Type header ("" when none). too_large: the
 * socket layer dropped a body larger than it keeps. Fills rs (free
 * rs->http with http_response_free). */
void whip_handle(struct whip *w, const struct http_request *rq, const char *content_type,
                 bool too_large, struct whip_response *rs);

/* Once a second: ends the sessions whose participant left the lesson
 * (removed, lesson ended) or whose publish transport closed. */
void whip_tick(struct whip *w);

/* Every media-plane event: a session's publish transport connecting. One
 * that has not connected CONNECT_MS (30 s) after its POST ends at a tick. */
void whip_media_event(struct whip *w, const struct sfu_event *ev);

/* Open sessions (for tests and stats). */
size_t whip_sessions(const struct whip *w);

#endif
