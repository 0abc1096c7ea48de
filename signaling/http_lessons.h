/* The lesson endpoints of the HTTP API (http_api.h): create and list a
 * teacher's lessons, their links, the roster upload and revocation, and
 * single-use links. Called by http_api.c once the staff session is checked. */
#ifndef SIGNALING_HTTP_LESSONS_H
#define SIGNALING_HTTP_LESSONS_H

#include "http_api.h"
#include "staff.h"

#define HTTP_LESSONS_MAX_LINKS 100   /* single-use links per request */

/* /api/lessons: GET lists me's lessons, POST creates one. */
void http_lessons_collection(struct signaling *s, const struct http_request *rq,
                             struct http_response *rs, const struct staff *me);
/* /api/lessons/<id>/<rest> */
void http_lessons_one(struct signaling *s, const struct http_request *rq,
                      struct http_response *rs, const struct staff *me, const char *id,
                      const char *rest);

#endif
