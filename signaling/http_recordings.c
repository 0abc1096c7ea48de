/* Recordings over HTTP (see http_recordings.h): routes, who may, the list,
 * the file with its range, the timeline, the page and deleting. */
#include "http_recordings.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "sabaq/error.h"
#include "access.h"
#include "http_range.h"
#include "lesson_store.h"
#include "message.h"
#include "recording.h"
#include "recording_delete.h"
#include "recording_store.h"
#include "signaling.h"
#include "staff.h"
#include "timeline.h"

#define PAGE_FILE "recordings.html"

/* ---- replies ---------------------------------------------------------------- */

static void reply_json(struct recordings_reply *out, int status, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    free(out->body);
    out->status = text ? status : 500;
    snprintf(out->content_type, sizeof(out->content_type), "application/json");
    out->body = text ? text : strdup("{\"error\":\"internal\"}");
    out->body_len = out->body ? strlen(out->body) : 0;
    out->no_store = true;
}

static void reply_error(struct recordings_reply *out, int status, const char *code,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void reply_error(struct recordings_reply *out, int status, const char *code,
                        const char *fmt, ...)
{
    char text[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    json_t *msg = json_string(text);
    reply_json(out, status, json_pack("{s:s, s:o}", "error", code, "message",
                                      msg ? msg : json_string("invalid request")));
}

void http_recordings_reply_free(struct recordings_reply *r)
{
    free(r->body);
    r->body = NULL;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

/* ---- paths ------------------------------------------------------------------ */

struct route {
    enum { ROUTE_NONE, ROUTE_FIND, ROUTE_PAGE, ROUTE_LIST, ROUTE_FILE, ROUTE_TIMELINE,
           ROUTE_ONE } kind;
    char lesson[65];
    int64_t id;
};

/* Splits "a/b/c" into at most 3 segments (each up to 64 characters). */
static size_t segments(const char *p, char seg[3][65])
{
    size_t n = 0;
    while (*p && n < 3) {
        size_t len = strcspn(p, "/");
        if (len == 0 || len > 64)
            return 0;
        memcpy(seg[n], p, len);
        seg[n++][len] = '\0';
        p += len;
        if (*p == '/')
            p++;
        if (!*p)
            break;
    }
    return *p ? 0 : n;
}

static bool parse_id(const char *s, int64_t *out)
{
    size_t n = strlen(s);
    if (n < 1 || n > 15 || s[0] == '0')
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static struct route route_of(const char *path)
{
    struct route r = {ROUTE_NONE, "", 0};
    char seg[3][65];
    size_t n;
    if (strncmp(path, "/api/lessons/", 13) == 0) {
        n = segments(path + 13, seg);
        if ((n == 2 || n == 3) && strcmp(seg[1], "recordings") == 0 &&
            message_is_lesson_id(seg[0])) {
            if (n == 2)
                r.kind = ROUTE_LIST;
            else if (parse_id(seg[2], &r.id))
                r.kind = ROUTE_ONE;   /* DELETE */
            snprintf(r.lesson, sizeof(r.lesson), "%s", seg[0]);
        }
        return r;
    }
    if (strcmp(path, "/recordings") == 0 || strcmp(path, "/recordings/") == 0) {
        r.kind = ROUTE_FIND;
        return r;
    }
    if (strncmp(path, "/recordings/", 12) != 0 || !(n = segments(path + 12, seg)) ||
        !message_is_lesson_id(seg[0]))
        return r;
    snprintf(r.lesson, sizeof(r.lesson), "%s", seg[0]);
    if (n == 1)
        r.kind = ROUTE_PAGE;
    else if (n == 3 && parse_id(seg[1], &r.id) && strcmp(seg[2], RECORDING_FILE) == 0)
        r.kind = ROUTE_FILE;
    else if (n == 3 && parse_id(seg[1], &r.id) && strcmp(seg[2], "timeline.json") == 0)
        r.kind = ROUTE_TIMELINE;
    return r;
}

bool http_recordings_wants(const char *path)
{
    if (!path)
        return false;
    if (strcmp(path, "/recordings") == 0 || strncmp(path, "/recordings/", 12) == 0)
        return true;   /* anything under it, so a bad path gets our 404 */
    if (strncmp(path, "/api/lessons/", 13) != 0)
        return false;
    /* /api/lessons/<lesson>/recordings and anything under it: ours too. */
    const char *rest = strchr(path + 13, '/');
    return rest && rest > path + 13 && strncmp(rest, "/recordings", 11) == 0 &&
           (rest[11] == '\0' || rest[11] == '/');
}

/* ---- who may ---------------------------------------------------------------- */

/* 0 when rq may see lesson d's recordings; otherwise out holds 401/403 and -1. */
static int allow(struct signaling *s, const struct http_request *rq, const struct lesson_def *d,
                 struct recordings_reply *out)
{
    if (http_api_session_staff(s, rq->cookie) > 0)
        return 0;
    char token[AUTH_TOKEN_MAX + 1] = "";
    if (strncmp(rq->authorization, "Bearer ", 7) == 0)
        snprintf(token, sizeof(token), "%s", rq->authorization + 7);
    else
        http_api_query_arg(rq->query, "t", token, sizeof(token));
    if (!token[0]) {
        reply_error(out, 401, "not_signed_in",
                    "open the recordings with a link of lesson %s, or sign in as staff", d->id);
        return -1;
    }
    /* A link opens the recordings for RECORDINGS_LINK_DAYS more than the
     * lesson: check it as if that much earlier. */
    struct access_grant g;
    int64_t at = (int64_t)s->now_ms - (int64_t)RECORDINGS_LINK_DAYS * 86400000LL;
    enum auth_result r = access_check(s->store, s->secret, token, at, &g);
    if ((r == AUTH_OK || r == AUTH_ENDED) && strcmp(g.def.id, d->id) == 0 && !g.removed)
        return 0;
    if (r == AUTH_INTERNAL) {
        reply_error(out, 500, "internal", "the store failed: try again");
        return -1;
    }
    reply_error(out, 403, "forbidden", "this link does not open the recordings of lesson %s (%s)",
                d->id, r == AUTH_OK || r == AUTH_ENDED ? (g.removed ? "removed" : "wrong_lesson")
                                                       : auth_result_code(r));
    return -1;
}

/* ---- the list ----------------------------------------------------------------- */

struct list_ctx {
    struct signaling *s;
    json_t *list;
};

static int64_t size_now(struct signaling *s, const struct recording_row *r)
{
    char dir[4096], path[4200];
    struct stat st;
    if (!recording_dir(s->store, r, dir, sizeof(dir)))
        return r->bytes;
    snprintf(path, sizeof(path), "%s/%s", dir, RECORDING_FILE);
    return stat(path, &st) == 0 ? (int64_t)st.st_size : r->bytes;
}

static void add_row(const struct recording_row *r, void *arg)
{
    struct list_ctx *c = arg;
    bool live = strcmp(r->state, "recording") == 0;
    int64_t duration = live ? (int64_t)c->s->now_ms - r->started_ms : r->duration_ms;
    char file[160], timeline[160];
    snprintf(file, sizeof(file), "/recordings/%s/%lld/%s", r->lesson, (long long)r->id,
             RECORDING_FILE);
    snprintf(timeline, sizeof(timeline), "/recordings/%s/%lld/timeline.json", r->lesson,
             (long long)r->id);
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:s, s:s, s:s}", "id", (json_int_t)r->id,
                          "started_ms", (json_int_t)r->started_ms, "duration_ms",
                          (json_int_t)(duration > 0 ? duration : 0), "size",
                          (json_int_t)size_now(c->s, r), "state", r->state, "file", file,
                          "timeline", timeline);
    if (!o)
        return;
    json_object_set_new(o, "stopped_ms", live ? json_null() : json_integer(r->stopped_ms));
    json_object_set_new(o, "reason", r->reason[0] ? json_string(r->reason) : json_null());
    json_array_append_new(c->list, o);
}

/* ---- who may delete -------------------------------------------------------------- */

enum deleter { DELETER_OWNER, DELETER_NOBODY, DELETER_LINK, DELETER_OTHER_STAFF,
               DELETER_INTERNAL };

/* Who asks to delete lesson d's recordings: only its teacher, signed in,
 * may (*me filled then, and for DELETER_OTHER_STAFF). A lesson link never
 * may: links are handed to whole classes. */
static enum deleter deleter_of(struct signaling *s, const struct http_request *rq,
                               const struct lesson_def *d, struct staff *me)
{
    enum auth_result r = http_api_session(s, rq->cookie, me, NULL);
    if (r == AUTH_INTERNAL)
        return DELETER_INTERNAL;
    if (r == AUTH_OK)
        return me->id == d->owner ? DELETER_OWNER : DELETER_OTHER_STAFF;
    bool has_link = strncmp(rq->authorization, "Bearer ", 7) == 0 ||
                    strncmp(rq->query, "t=", 2) == 0 || strstr(rq->query, "&t=");
    return has_link ? DELETER_LINK : DELETER_NOBODY;
}

static void list(struct signaling *s, const struct http_request *rq, const struct lesson_def *d,
                 struct recordings_reply *out)
{
    struct list_ctx c = {s, json_array()};
    if (recording_store_list(s->store, d->id, RECORDINGS_LIST_MAX, add_row, &c) < 0) {
        json_decref(c.list);
        reply_error(out, 500, "internal", "the store failed");
        return;
    }
    json_t *lesson = json_pack("{s:s, s:s, s:s, s:I}", "id", d->id, "title", d->title,
                               "language", d->language, "start_ms", (json_int_t)d->start_ms);
    struct staff me;
    bool can_delete = deleter_of(s, rq, d, &me) == DELETER_OWNER;
    reply_json(out, 200, json_pack("{s:o, s:o, s:b}", "lesson", lesson, "recordings", c.list,
                                   "can_delete", can_delete));
}

/* ---- one recording's files ------------------------------------------------------ */

/* The row of route r (of its lesson only) and its folder; false after a 404/500. */
static bool find_row(struct signaling *s, const struct route *r, struct recording_row *row,
                     char *dir, size_t cap, struct recordings_reply *out)
{
    int rc = recording_store_get(s->store, r->id, row);
    if (rc == -SQ_EIO) {
        reply_error(out, 500, "internal", "the store failed");
        return false;
    }
    if (rc < 0 || strcmp(row->lesson, r->lesson) != 0 || !recording_dir(s->store, row, dir, cap)) {
        reply_error(out, 404, "not_found", "lesson %s has no recording %lld", r->lesson,
                    (long long)r->id);
        return false;
    }
    return true;
}

/* Opens path for sending: bytes as Range asks, or the whole file. */
static void send_file(const char *path, const char *type, const char *range,
                      struct recordings_reply *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        reply_error(out, 404, "not_found", "nothing has been written yet");
        return;
    }
    uint64_t size = (uint64_t)st.st_size;
    struct http_range rg;
    enum http_range_result r = http_range_parse(range, range ? strlen(range) : 0, size, &rg);
    out->accept_ranges = true;
    snprintf(out->content_type, sizeof(out->content_type), "%s", type);
    if (r == HTTP_RANGE_UNSATISFIABLE) {
        close(fd);
        out->status = 416;
        http_range_content_range(r, &rg, size, out->content_range, sizeof(out->content_range));
        return;
    }
    out->fd = fd;
    if (r == HTTP_RANGE_PARTIAL) {
        out->status = 206;
        out->offset = rg.first;
        out->length = rg.last - rg.first + 1;
        http_range_content_range(r, &rg, size, out->content_range, sizeof(out->content_range));
    } else {
        out->status = 200;
        out->offset = 0;
        out->length = size;
    }
}

static void recording_file(struct signaling *s, const struct http_request *rq,
                           const struct route *r, const char *range,
                           struct recordings_reply *out)
{
    struct recording_row row;
    char dir[4096], path[4200];
    if (!find_row(s, r, &row, dir, sizeof(dir), out))
        return;
    snprintf(path, sizeof(path), "%s/%s", dir, RECORDING_FILE);
    send_file(path, "video/webm", range, out);
    /* A file being written grows: never let a cache keep an old length. */
    out->no_store = strcmp(row.state, "recording") == 0;
    char v[4];
    if (out->fd >= 0 && http_api_query_arg(rq->query, "download", v, sizeof(v)) &&
        strcmp(v, "1") == 0)
        snprintf(out->disposition, sizeof(out->disposition),
                 "attachment; filename=\"sabaq-%s-%lld.webm\"", r->lesson, (long long)r->id);
}

/* A chat message staff deleted is not replayed, not even before its deletion. */
static void drop_deleted(json_t *events)
{
    json_t *gone = json_object();
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        json_t *id = json_object_get(e, "id");
        const char *type = json_string_value(json_object_get(e, "type"));
        if (type && strcmp(type, "chat_deleted") == 0 && json_is_integer(id)) {
            char key[32];
            snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(id));
            json_object_set_new(gone, key, json_true());
        }
    }
    for (i = json_array_size(events); i-- > 0;) {
        e = json_array_get(events, i);
        json_t *id = json_object_get(e, "id");
        const char *type = json_string_value(json_object_get(e, "type"));
        char key[32];
        if (!type || strcmp(type, "chat") != 0 || !json_is_integer(id))
            continue;
        snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(id));
        if (json_object_get(gone, key))
            json_array_remove(events, i);
    }
    json_decref(gone);
}

static void timeline(struct signaling *s, const struct route *r, struct recordings_reply *out)
{
    struct recording_row row;
    char dir[4096], path[4200];
    if (!find_row(s, r, &row, dir, sizeof(dir), out))
        return;
    snprintf(path, sizeof(path), "%s/%s", dir, TIMELINE_FILE);
    char *text = NULL;
    size_t len = 0;
    int rc = timeline_read_array(path, &text, &len);
    if (rc == -SQ_ENOTFOUND) {
        text = strdup("[]");
        len = 2;
        rc = text ? 0 : -SQ_ENOMEM;
    }
    if (rc < 0) {
        reply_error(out, 500, "internal", "cannot read the timeline: %s", sq_strerror(rc));
        return;
    }
    json_t *events = json_loadb(text, len, 0, NULL);
    free(text);
    if (!json_is_array(events)) {
        json_decref(events);
        reply_error(out, 500, "internal", "the timeline is unreadable");
        return;
    }
    drop_deleted(events);
    reply_json(out, 200, events);
}

/* DELETE /api/lessons/<lesson>/recordings/<id>: 204, the folder and the row gone. */
static void delete_one(struct signaling *s, const struct http_request *rq,
                       const struct lesson_def *d, const struct route *r,
                       struct recordings_reply *out)
{
    struct staff me;
    switch (deleter_of(s, rq, d, &me)) {
    case DELETER_OWNER:
        break;
    case DELETER_NOBODY:
        reply_error(out, 401, "not_signed_in", "sign in as the teacher of lesson %s to delete "
                    "its recordings", d->id);
        return;
    case DELETER_LINK:
        reply_error(out, 403, "forbidden", "a lesson link does not delete recordings: sign in "
                    "as the lesson's teacher");
        return;
    case DELETER_OTHER_STAFF:
        reply_error(out, 403, "forbidden", "lesson %s belongs to another teacher", d->id);
        return;
    case DELETER_INTERNAL:
        reply_error(out, 500, "internal", "the store failed: try again");
        return;
    }
    struct recording_row row;
    char dir[4096], why[300];
    if (!find_row(s, r, &row, dir, sizeof(dir), out))
        return;
    int rc = recording_delete(s->store, &row, why, sizeof(why));
    if (rc == -SQ_ESTATE) {
        reply_error(out, 409, "still_recording", "recording %lld is still being written: stop "
                    "the recording first", (long long)row.id);
        return;
    }
    if (rc < 0) {
        signaling_log(s, "recordings: staff %lld (%s) could not delete recording %lld of lesson "
                      "%s: %s", (long long)me.id, me.name, (long long)row.id, row.lesson, why);
        reply_error(out, 500, "internal", "the recording could not be deleted (see the server "
                    "log)");
        return;
    }
    signaling_log(s, "recordings: staff %lld (%s) deleted recording %lld of lesson %s (%s, "
                  "started %lld, %lld ms, %lld bytes)%s%s", (long long)me.id, me.name,
                  (long long)row.id, row.lesson, row.state, (long long)row.started_ms,
                  (long long)row.duration_ms, (long long)row.bytes, rc ? ": " : "", why);
    out->status = 204;
    out->no_store = true;
}

/* /recordings?t=<a lesson link's token>: to that lesson's page, so a lesson
 * link becomes its recordings' link by adding "recordings" to its path. */
static void find(struct signaling *s, const struct http_request *rq, struct recordings_reply *out)
{
    char token[AUTH_TOKEN_MAX + 1] = "";
    struct access_grant g;
    int64_t at = (int64_t)s->now_ms - (int64_t)RECORDINGS_LINK_DAYS * 86400000LL;
    enum auth_result r = AUTH_BAD_TOKEN;
    if (s->store && http_api_query_arg(rq->query, "t", token, sizeof(token)) && token[0])
        r = access_check(s->store, s->secret, token, at, &g);
    if (r != AUTH_OK && r != AUTH_ENDED) {
        reply_error(out, r == AUTH_INTERNAL ? 500 : 403, r == AUTH_INTERNAL ? "internal" : "forbidden",
                    "open the recordings with a lesson link (?t=...): %s", auth_result_code(r));
        return;
    }
    /* The token is base64url and '.', safe in a URL as it is. */
    snprintf(out->location, sizeof(out->location), "/recordings/%s?t=%s", g.def.id, token);
    out->status = 302;
    snprintf(out->content_type, sizeof(out->content_type), "text/plain; charset=utf-8");
    out->body = strdup("see the lesson's recordings\n");
    out->body_len = out->body ? strlen(out->body) : 0;
    out->no_store = true;
}

/* ---- the router ------------------------------------------------------------------ */

void http_recordings_handle(struct signaling *s, const struct http_request *rq,
                            const char *range, const char *web_root,
                            struct recordings_reply *out)
{
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    struct route r = route_of(rq->path);
    const char *method = r.kind == ROUTE_ONE ? "DELETE" : "GET";
    if (strcmp(rq->method, method) != 0) {
        reply_error(out, 405, "method_not_allowed", "use %s on %.100s", method, rq->path);
        out->allow = method;
        return;
    }
    if (r.kind == ROUTE_NONE) {
        reply_error(out, 404, "not_found", "no such page: %.100s", rq->path);
        return;
    }
    if (r.kind == ROUTE_FIND) {
        find(s, rq, out);
        return;
    }
    if (r.kind == ROUTE_PAGE) {   /* static: what it shows is fetched with the link */
        char path[4200];
        snprintf(path, sizeof(path), "%s/%s", web_root, PAGE_FILE);
        send_file(path, "text/html; charset=utf-8", NULL, out);
        out->accept_ranges = false;
        return;
    }
    if (!s->store) {
        reply_error(out, 503, "internal", "this server runs without a store");
        return;
    }
    struct lesson_def d;
    int rc = lesson_store_get(s->store, r.lesson, &d);
    if (rc < 0) {
        reply_error(out, rc == -SQ_ENOTFOUND ? 404 : 500,
                    rc == -SQ_ENOTFOUND ? "not_found" : "internal", "no lesson %s", r.lesson);
        return;
    }
    if (r.kind == ROUTE_ONE) {   /* its own rule: the lesson's teacher only */
        delete_one(s, rq, &d, &r, out);
        return;
    }
    if (allow(s, rq, &d, out) < 0)
        return;
    if (r.kind == ROUTE_LIST)
        list(s, rq, &d, out);
    else if (r.kind == ROUTE_FILE)
        recording_file(s, rq, &r, range, out);
    else
        timeline(s, &r, out);
}
