/* Sabaq's HTTP API (docs/protocol.md, "HTTP API"), sans-IO: the socket layer
 * (http_server.c) hands over one whole request and writes the response back.
 *   GET  /signin?t=<sign-in token>          session cookie, 302 to /
 *   POST /api/signout                       clears the cookie
 *   GET  /api/me                            the signed-in staff member
 *   GET  /api/lessons, POST /api/lessons    the teacher's lessons, a new one
 *   GET  /api/lessons/<id>[/links]          its links and roster
 *   POST /api/lessons/<id>/roster           CSV -> one link per student
 *   POST /api/lessons/<id>/roster/<entry>/revoke, POST /api/lessons/<id>/revoke
 *   POST /api/lessons/<id>/links            single-use student links
 *   GET  /api/lessons/<id>/attendance.csv, /polls.csv   (attendance.h, poll.h)
 * Errors are JSON {"error": code, "message": sentence}. */
#ifndef SIGNALING_HTTP_API_H
#define SIGNALING_HTTP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth.h"
#include "roster.h"

struct signaling;
struct staff;

#define HTTP_API_MAX_BODY (ROSTER_MAX_BYTES + 4096)
#define HTTP_API_COOKIE "sabaq_session"

struct http_request {
    const char *method;          /* "GET", "POST", ... */
    const char *path;            /* without the query */
    const char *query;           /* after '?', "" when none */
    const char *cookie;          /* the Cookie header, "" when none */
    const char *authorization;   /* the Authorization header, "" when none */
    const char *host;            /* the Host header, "" when none */
    const char *body;            /* borrowed, body_len bytes (not NUL-terminated) */
    size_t body_len;
    bool tls;
};

struct http_response {
    int status;
    char content_type[64];
    char *body;                  /* owned (malloc) */
    size_t body_len;
    char set_cookie[1536];       /* "" when none */
    char location[256];          /* "" when none */
    char disposition[160];       /* Content-Disposition, "" when none */
};

/* Whether the API serves this path (the rest are files, /api/stats, /ws). */
bool http_api_wants(const char *path);
/* Fills rs (rs->body malloc'd; free with http_response_free). */
void http_api_handle(struct signaling *s, const struct http_request *rq,
                     struct http_response *rs);
void http_response_free(struct http_response *rs);

/* The staff member of the session cookie in this Cookie header, into *me:
 * AUTH_OK, the verdict on a cookie that is not valid (AUTH_INTERNAL when the
 * store failed), or AUTH_BAD_TOKEN with *has_cookie false (when not NULL)
 * when there is no session cookie. */
enum auth_result http_api_session(struct signaling *s, const char *cookie_header,
                                  struct staff *me, bool *has_cookie);
/* The staff member whose valid session cookie is in this Cookie header, or 0. */
int64_t http_api_session_staff(struct signaling *s, const char *cookie_header);

/* The value of cookie `name` in a Cookie header, copied into out; false when absent. */
bool http_api_cookie(const char *header, const char *name, char *out, size_t cap);
/* The value of query argument `name` ("a=1&t=xyz") copied into out; false
 * when absent or longer than cap - 1. */
bool http_api_query_arg(const char *query, const char *name, char *out, size_t cap);
/* Parses an ISO 8601 time ("2025-09-01T09:00", seconds, fraction, "Z" or
 * "+05:00" optional; no zone means UTC) into ms since the epoch; false when
 * malformed or outside the years 2000-2199. */
bool http_api_parse_time(const char *s, int64_t *ms);

/* ---- for the route files (http_lessons.c) ---- */

/* rs gets status and the JSON of o (decref'd). */
void http_api_json(struct http_response *rs, int status, json_t *o);
/* rs gets {"error": code, "message": ...}. */
void http_api_error(struct http_response *rs, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The stored lesson `id` into *d: 0, or -1 with rs set (404 unknown, 500
 * store failure). */
struct lesson_def;
int http_api_lesson(struct signaling *s, const char *id, struct lesson_def *d,
                    struct http_response *rs);
/* "http://host" or "https://host" from the request ("" when no Host). */
void http_api_origin(const struct http_request *rq, char *out, size_t cap);

#endif
