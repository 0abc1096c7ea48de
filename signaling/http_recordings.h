/* Playback of recordings over HTTP (docs/protocol.md, "Recordings"):
 *   GET /recordings?t=<token>                       302 to the token's lesson's page below
 *   GET /recordings/<lesson>                        the player page (web/recordings.html)
 *   GET /api/lessons/<lesson>/recordings            the list (JSON)
 *   GET /recordings/<lesson>/<id>/recording.webm    the file, with HTTP Range (http_range.h);
 *                                                   ?download=1 adds Content-Disposition
 *   GET /recordings/<lesson>/<id>/timeline.json     the timeline as a JSON array
 *   DELETE /api/lessons/<lesson>/recordings/<id>    deletes it (recording_delete.h): 204
 * Who may: a signed-in staff member of this server (session cookie), or the
 * holder of a link of this very lesson (?t=<token> or Authorization: Bearer),
 * also after the lesson ended and for RECORDINGS_LINK_DAYS after the link
 * stopped opening the lesson. Another lesson's link gets 403, none 401. A
 * recording being written is served as far as it is written.
 * Who may delete: only the lesson's teacher signed in (the staff session
 * cookie, as for every other change to a lesson); any lesson link gets 403,
 * another staff member 403, nobody 401, a recording being written 409. The
 * list says whether the asker may ("can_delete"), so the page shows its
 * Delete buttons only then. The cookie is SameSite=Lax and nothing here
 * grants CORS, so another site's page can neither send it with a DELETE nor
 * get a cross-origin DELETE past its preflight (OPTIONS gets 405).
 * Sans-IO but for the files: the handler decides the reply and opens the file
 * to send; http_stream.c writes it out through libwebsockets. */
#ifndef SIGNALING_HTTP_RECORDINGS_H
#define SIGNALING_HTTP_RECORDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_api.h"

struct signaling;

#define RECORDINGS_LINK_DAYS 30
#define RECORDINGS_LIST_MAX 200

/* What to send: a body from memory, or bytes [offset, offset + length) of
 * an open file. */
struct recordings_reply {
    int status;
    char content_type[64];
    char *body;                  /* owned (malloc), when fd < 0 */
    size_t body_len;
    int fd;                      /* owned, -1 when the body is in memory */
    uint64_t offset, length;
    char content_range[96];      /* "" when none */
    bool accept_ranges;          /* Accept-Ranges: bytes */
    bool no_store;               /* Cache-Control: no-store (lists, a file being written) */
    char disposition[160];       /* Content-Disposition, "" when none */
    char location[1400];         /* Location (302), "" when none */
    const char *allow;           /* static: Allow (405), NULL when none */
};

/* Whether this path is one of the above (before http_api_wants). */
bool http_recordings_wants(const char *path);

/* Fills out (always: an error is a JSON body). range is the Range header ("" when
 * none), web_root the page's folder. Free with http_recordings_reply_free. */
void http_recordings_handle(struct signaling *s, const struct http_request *rq,
                            const char *range, const char *web_root,
                            struct recordings_reply *out);
void http_recordings_reply_free(struct recordings_reply *r);

#endif
