/* The HTTP API's router, sign-in and session, and the CSV exports (see
 * http_api.h); the lesson endpoints are in http_lessons.c. The session
 * cookie is a staff token (staff.h): HttpOnly so page scripts never see it,
 * SameSite=Lax so other sites cannot post with it, Secure under TLS. */
#include "http_api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sabaq/error.h"
#include "access.h"
#include "attendance.h"
#include "http_lessons.h"
#include "lesson.h"
#include "poll.h"
#include "signaling.h"
#include "staff.h"

bool http_api_wants(const char *path)
{
    if (!path)
        return false;
    if (strcmp(path, "/signin") == 0)
        return true;
    return strncmp(path, "/api/", 5) == 0 && strcmp(path, "/api/stats") != 0 &&
           strcmp(path, "/api/stats/") != 0;
}

void http_response_free(struct http_response *rs)
{
    free(rs->body);
    rs->body = NULL;
}

static void set_body(struct http_response *rs, int status, const char *type, char *body,
                     size_t len)
{
    free(rs->body);
    rs->status = status;
    snprintf(rs->content_type, sizeof(rs->content_type), "%s", type);
    rs->body = body;
    rs->body_len = len;
}

void http_api_json(struct http_response *rs, int status, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text) {
        set_body(rs, 500, "application/json", strdup("{\"error\":\"internal\"}"), 20);
        return;
    }
    set_body(rs, status, "application/json", text, strlen(text));
}

void http_api_error(struct http_response *rs, int status, const char *code, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    json_t *msg = json_string(text);   /* NULL when text quotes invalid UTF-8 */
    http_api_json(rs, status, json_pack("{s:s, s:o}", "error", code, "message",
                                        msg ? msg : json_string("invalid request")));
}

static bool host_is_safe(const char *h)
{
    if (!h[0] || strlen(h) > 200)
        return false;
    for (; *h; h++)
        if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') || (*h >= '0' && *h <= '9') ||
              strchr(".-:[]", *h)))
            return false;
    return true;
}

void http_api_origin(const struct http_request *rq, char *out, size_t cap)
{
    if (rq->host && host_is_safe(rq->host))
        snprintf(out, cap, "%s://%s", rq->tls ? "https" : "http", rq->host);
    else if (cap)
        out[0] = '\0';
}

bool http_api_cookie(const char *header, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == ';')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            size_t v = len - n - 1;
            if (v >= cap)
                return false;
            memcpy(out, p + n + 1, v);
            out[v] = '\0';
            return true;
        }
        p = end;
    }
    return false;
}

enum auth_result http_api_session(struct signaling *s, const char *cookie_header,
                                  struct staff *me, bool *has_cookie)
{
    char token[AUTH_TOKEN_MAX + 1];
    bool has = s->store && cookie_header &&
               http_api_cookie(cookie_header, HTTP_API_COOKIE, token, sizeof(token));
    if (has_cookie)
        *has_cookie = has;
    if (!has)
        return AUTH_BAD_TOKEN;
    return staff_verify(s->store, s->secret, token, "session", (int64_t)s->now_ms, me);
}

int64_t http_api_session_staff(struct signaling *s, const char *cookie_header)
{
    struct staff m;
    return http_api_session(s, cookie_header, &m, NULL) == AUTH_OK ? m.id : 0;
}

bool http_api_query_arg(const char *query, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = query; p && *p; p = strchr(p, '&'), p = p ? p + 1 : NULL) {
        size_t len = strcspn(p, "&");
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            if (len - n - 1 >= cap)
                return false;
            memcpy(out, p + n + 1, len - n - 1);
            out[len - n - 1] = '\0';
            return true;
        }
    }
    return false;
}

/* ---- times ---------------------------------------------------------------- */

static bool digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*s)++) {
        if (**s < '0' || **s > '9')
            return false;
        v = v * 10 + (**s - '0');
    }
    *out = v;
    return true;
}

static bool parse_zone(const char *s, int *offset_min)
{
    *offset_min = 0;
    if (!*s || strcmp(s, "Z") == 0 || strcmp(s, "z") == 0)
        return true;
    if (*s != '+' && *s != '-')
        return false;
    int sign = *s++ == '-' ? -1 : 1, hh, mm;
    if (!digits(&s, 2, &hh))
        return false;
    if (*s == ':')
        s++;
    if (!digits(&s, 2, &mm) || *s || hh > 14 || mm > 59)
        return false;
    *offset_min = sign * (hh * 60 + mm);
    return true;
}

bool http_api_parse_time(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec = 0, frac = 0, off;
    if (!digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' ||
        !digits(&s, 2, &d) || (*s != 'T' && *s != 't' && *s != ' '))
        return false;
    s++;
    if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi))
        return false;
    if (*s == ':') {
        s++;
        if (!digits(&s, 2, &sec))
            return false;
        if (*s == '.') {
            s++;
            int n = 0;
            for (; *s >= '0' && *s <= '9'; s++, n++)
                if (n < 3)
                    frac = frac * 10 + (*s - '0');
            if (!n)
                return false;
            for (; n < 3; n++)
                frac *= 10;
        }
    }
    if (!parse_zone(s, &off) || y < 2000 || y > 2199 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
        h > 23 || mi > 59 || sec > 60)
        return false;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (tm.tm_mday != d)   /* 31 February and friends were normalized */
        return false;
    *ms = ((int64_t)t - (int64_t)off * 60) * 1000 + frac;
    return true;
}

/* ---- sign-in ---------------------------------------------------------------- */

static void html(struct http_response *rs, int status, const char *title, const char *text)
{
    char *body = NULL;
    int n = asprintf(&body, "<!doctype html><meta charset=utf-8><title>Sabaq</title>"
                            "<h1>%s</h1><p>%s</p><p><a href=\"/\">Sabaq</a></p>\n", title, text);
    if (n < 0) {
        http_api_error(rs, 500, "internal", "out of memory");
        return;
    }
    set_body(rs, status, "text/html; charset=utf-8", body, (size_t)n);
}

static void session_cookie(struct http_response *rs, const struct http_request *rq,
                           const char *value, long max_age)
{
    snprintf(rs->set_cookie, sizeof(rs->set_cookie), "%s=%s; Path=/; Max-Age=%ld; HttpOnly; "
             "SameSite=Lax%s", HTTP_API_COOKIE, value, max_age, rq->tls ? "; Secure" : "");
}

static void signin(struct signaling *s, const struct http_request *rq, struct http_response *rs)
{
    char token[AUTH_TOKEN_MAX + 1] = "";
    http_api_query_arg(rq->query, "t", token, sizeof(token));
    struct staff m;
    enum auth_result r = staff_verify(s->store, s->secret, token, "signin", (int64_t)s->now_ms,
                                      &m);
    if (r != AUTH_OK) {
        html(rs, r == AUTH_INTERNAL ? 500 : 403, "This sign-in link does not work",
             r == AUTH_REVOKED ? "This staff member was revoked: ask the school's admin."
                               : auth_result_text(r));
        return;
    }
    char *session = staff_session_token(s->secret, m.id, (int64_t)s->now_ms);
    if (!session) {
        http_api_error(rs, 500, "internal", "out of memory");
        return;
    }
    session_cookie(rs, rq, session, STAFF_SESSION_DAYS * 86400L);
    free(session);
    signaling_log(s, "staff %lld (%s) signed in", (long long)m.id, m.name);
    snprintf(rs->location, sizeof(rs->location), "/");
    html(rs, 302, "Signed in", "Go to <a href=\"/\">Sabaq</a>.");
}

/* The signed-in staff member into *me: 0, or -1 after a 401 reply. */
static int require_staff(struct signaling *s, const struct http_request *rq,
                         struct http_response *rs, struct staff *me)
{
    bool has_cookie;
    enum auth_result r = http_api_session(s, rq->cookie, me, &has_cookie);
    if (!has_cookie) {
        http_api_error(rs, 401, "not_signed_in", "sign in with your personal staff link first");
        return -1;
    }
    if (r == AUTH_OK)
        return 0;
    if (r == AUTH_INTERNAL)
        http_api_error(rs, 500, "internal", "the store failed: try again");
    else
        http_api_error(rs, 401, "not_signed_in", "your session is not valid (%s): sign in with "
                       "your personal staff link again", auth_result_code(r));
    return -1;
}

static json_t *staff_json(const struct staff *m)
{
    return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)m->id, "name", m->name, "role",
                     m->role);
}

/* ---- exports ------------------------------------------------------------------- */

/* Offset from "tz=+05:00", "tz=Z" (default 0): false when malformed. */
static bool query_tz(const char *query, int *offset_min)
{
    *offset_min = 0;
    char v[16];
    if (strncmp(query, "tz=", 3) != 0 && !strstr(query, "&tz="))
        return true;   /* none: UTC */
    if (!http_api_query_arg(query, "tz", v, sizeof(v)))
        return false;
    if (strncmp(v, "%2B", 3) == 0 || strncmp(v, "%2b", 3) == 0) {   /* an encoded '+' */
        v[0] = '+';
        memmove(v + 1, v + 3, strlen(v + 3) + 1);
    } else if (v[0] == ' ') {   /* a raw '+' in a query means a space */
        v[0] = '+';
    }
    return parse_zone(v, offset_min);
}

/* Staff of lesson d: its owner by cookie, or a teacher/assistant token of it
 * (Bearer or ?t=). 0, or -1 after a 401/403 reply. */
static int require_lesson_staff(struct signaling *s, const struct http_request *rq,
                                struct http_response *rs, const struct lesson_def *d)
{
    char token[AUTH_TOKEN_MAX + 1] = "";
    if (strncmp(rq->authorization, "Bearer ", 7) == 0)
        snprintf(token, sizeof(token), "%s", rq->authorization + 7);
    else
        http_api_query_arg(rq->query, "t", token, sizeof(token));
    if (token[0]) {
        struct access_grant g;
        enum auth_result r = access_check(s->store, s->secret, token, (int64_t)s->now_ms, &g);
        if ((r == AUTH_OK || r == AUTH_ENDED) && strcmp(g.def.id, d->id) == 0 &&
            strcmp(g.role, "student") != 0)
            return 0;
        http_api_error(rs, 403, "forbidden", "this link is not a staff link of lesson %s",
                       d->id);
        return -1;
    }
    struct staff me;
    if (require_staff(s, rq, rs, &me) < 0)
        return -1;
    if (me.id != d->owner) {
        http_api_error(rs, 403, "forbidden", "lesson %s belongs to another teacher", d->id);
        return -1;
    }
    return 0;
}

int http_api_lesson(struct signaling *s, const char *id, struct lesson_def *d,
                    struct http_response *rs)
{
    int rc = lesson_store_get(s->store, id, d);
    if (rc < 0) {
        http_api_error(rs, rc == -SQ_ENOTFOUND ? 404 : 500,
                       rc == -SQ_ENOTFOUND ? "not_found" : "internal", "no lesson %s", id);
        return -1;
    }
    return 0;
}

static void export_csv(struct signaling *s, const struct http_request *rq,
                       struct http_response *rs, const char *id, bool polls)
{
    struct lesson_def d;
    if (http_api_lesson(s, id, &d, rs) < 0)
        return;
    if (require_lesson_staff(s, rq, rs, &d) < 0)
        return;
    int tz;
    if (!query_tz(rq->query, &tz)) {
        http_api_error(rs, 400, "bad_request", "tz must look like +05:00, -03:30 or Z");
        return;
    }
    char *out = NULL;
    size_t len = 0;
    int rc = polls ? poll_csv(s->store, id, tz, &out, &len)
                   : attendance_csv(s->store, lesson_find(s, id), id, s->now_ms, tz, &out, &len);
    if (rc < 0) {
        http_api_error(rs, 500, "internal", "cannot make the report: %s", sq_strerror(rc));
        return;
    }
    set_body(rs, 200, "text/csv; charset=utf-8", out, len);
    snprintf(rs->disposition, sizeof(rs->disposition), "attachment; filename=\"%s-%s.csv\"",
             polls ? "polls" : "attendance", id);
}

/* ---- the router ----------------------------------------------------------------- */

static bool is(const struct http_request *rq, const char *method, const char *path)
{
    return strcmp(rq->method, method) == 0 && strcmp(rq->path, path) == 0;
}

/* "/api/lessons/<id>/<rest>": the id (a lesson id) and rest ("" or after the '/'). */
static bool lesson_path(const char *path, char *id, size_t cap, const char **rest)
{
    const char *p = path + strlen("/api/lessons/");
    size_t n = strcspn(p, "/");
    if (n == 0 || n >= cap)
        return false;
    memcpy(id, p, n);
    id[n] = '\0';
    *rest = p[n] ? p + n + 1 : "";
    return message_is_lesson_id(id);
}

static void route_api(struct signaling *s, const struct http_request *rq,
                      struct http_response *rs)
{
    struct staff me;
    if (is(rq, "POST", "/api/signout")) {
        session_cookie(rs, rq, "", 0);
        http_api_json(rs, 200, json_pack("{s:b}", "ok", 1));
        return;
    }
    char id[65];
    const char *rest = "";
    bool in_lesson = strncmp(rq->path, "/api/lessons/", 13) == 0 &&
                     lesson_path(rq->path, id, sizeof(id), &rest);
    if (in_lesson && strcmp(rq->method, "GET") == 0 &&
        (strcmp(rest, "attendance.csv") == 0 || strcmp(rest, "polls.csv") == 0)) {
        export_csv(s, rq, rs, id, rest[0] == 'p');
        return;
    }
    if (require_staff(s, rq, rs, &me) < 0)
        return;
    if (is(rq, "GET", "/api/me"))
        http_api_json(rs, 200, staff_json(&me));
    else if (strcmp(rq->path, "/api/lessons") == 0 || strcmp(rq->path, "/api/lessons/") == 0)
        http_lessons_collection(s, rq, rs, &me);
    else if (in_lesson)
        http_lessons_one(s, rq, rs, &me, id, rest);
    else
        http_api_error(rs, 404, "not_found", "no such API endpoint: %.100s", rq->path);
}

void http_api_handle(struct signaling *s, const struct http_request *rq,
                     struct http_response *rs)
{
    memset(rs, 0, sizeof(*rs));
    if (!s->store) {
        http_api_error(rs, 503, "internal", "this server runs without a store");
        return;
    }
    if (is(rq, "GET", "/signin"))
        signin(s, rq, rs);
    else if (strcmp(rq->path, "/signin") == 0)
        http_api_error(rs, 405, "method_not_allowed", "use GET /signin?t=<token>");
    else
        route_api(s, rq, rs);
}
