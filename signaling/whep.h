/* WHEP egress (draft-ietf-wish-whep), sans-IO: the socket layer
 * (http_server.c) hands over one whole request under /whep and writes the
 * response back, with the same CORS headers as WHIP and `Allow` when
 * whep_response.allow is set.
 *   POST    /whep/<lesson>            SDP offer in (recvonly audio + video),
 *                                     201 + answer + Location
 *   DELETE  /whep/<lesson>/<session>  ends the session (200)
 *   OPTIONS /whep/...                 CORS preflight (204)
 *   PATCH   /whep/...                 405: no trickle ICE / ICE restart
 * A viewer is a display, not a person: it is no participant (no attendance,
 * not in the participant list) but takes a seat of the lesson. It gets one
 * video stream that follows the lesson's stage (stage.h) and one audio
 * stream that follows the most recent speaker (whep_speaker.h), both
 * switched at the server without a new offer. */
#ifndef SIGNALING_WHEP_H
#define SIGNALING_WHEP_H

#include <stdbool.h>
#include <stddef.h>

#include "sabaq/sfu.h"
#include "http_api.h"

struct signaling;
struct whep;

#define WHEP_MAX_BODY (64 * 1024)    /* a viewer's offer is a few KiB */
#define WHEP_ALLOW "POST, DELETE, OPTIONS"

struct whep_response {
    struct http_response http;   /* status, content type, body (owned), location */
    const char *allow;           /* static string for `Allow`, NULL when none */
};

struct whep *whep_new(struct signaling *s);
/* Ends every viewer (closing its media). Before signaling_free. */
void whep_free(struct whep *w);

/* Whether the path belongs to WHEP ("/whep" or "/whep/..."). */
bool whep_wants(const char *path);
/* As whip_handle (whip.h). Fills rs (free rs->http with http_response_free). */
void whep_handle(struct whep *w, const struct http_request *rq, const char *content_type,
                 bool too_large, struct whep_response *rs);

/* Once a second (after s->now_ms is set): follows speakers and the teacher's
 * mic, ends viewers whose lesson ended or whose link was revoked or removed. */
void whep_tick(struct whep *w);
/* Every media-plane event, after signaling_media_event: a viewer's transport
 * closing ends it; speaking changes choose what viewers hear. */
void whep_media_event(struct whep *w, const struct sfu_event *ev);

/* Open viewers, all lessons (tests and stats). */
size_t whep_viewers(const struct whep *w);

#endif
