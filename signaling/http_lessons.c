/* Lesson endpoints (see http_lessons.h). Every field is checked; a lesson is
 * committed to the store before its id and links are returned. */
#include "http_lessons.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "access.h"
#include "control.h"
#include "lesson_store.h"
#include "roster.h"
#include "signaling.h"
#include "text.h"

#define JSON_BODY_MAX 16384

static json_t *lesson_json(const struct lesson_def *d)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:i, s:i, s:b, s:b, s:b, s:b, s:b, s:I, s:I, s:i, s:b}",
                     "id", d->id, "title", d->title, "language", d->language, "start_ms",
                     (json_int_t)d->start_ms, "duration_min", (int)d->duration_min,
                     "max_participants", (int)d->max_participants, "lobby", d->lobby,
                     "students_publish", d->students_publish, "students_video",
                     d->students_video, "single_use", d->single_use, "ended", d->ended_ms != 0,
                     "ended_ms", (json_int_t)d->ended_ms, "created_ms",
                     (json_int_t)d->created_ms, "last_n", (int)d->last_n,
                     "auto_record", d->auto_record);
}

/* origin + "/?t=" + token, or NULL. */
static json_t *link_url(struct signaling *s, const struct http_request *rq,
                        const struct lesson_def *d, const char *role, int64_t entry,
                        const char *nonce)
{
    char *t = access_lesson_token(s->secret, d, role, entry, nonce);
    char origin[256];
    http_api_origin(rq, origin, sizeof(origin));
    char *url = NULL;
    json_t *o = t && asprintf(&url, "%s/?t=%s", origin, t) >= 0 ? json_string(url) : NULL;
    free(url);
    free(t);
    return o;
}

static json_t *links_json(struct signaling *s, const struct http_request *rq,
                          const struct lesson_def *d)
{
    return json_pack("{s:o, s:o, s:o}", "teacher", link_url(s, rq, d, "teacher", 0, NULL),
                     "assistant", link_url(s, rq, d, "assistant", 0, NULL), "student",
                     link_url(s, rq, d, "student", 0, NULL));
}

/* ---- create -------------------------------------------------------------------- */

static const char *const lesson_fields[] = {
    "title", "language", "start", "start_ms", "duration_min", "max_participants", "lobby",
    "students_publish", "students_video", "single_use", "last_n", "auto_record",
};

static const char *unknown_field(json_t *o)
{
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        bool known = false;
        for (size_t i = 0; i < sizeof(lesson_fields) / sizeof(lesson_fields[0]); i++)
            known |= strcmp(key, lesson_fields[i]) == 0;
        if (!known)
            return key;
    }
    return NULL;
}

/* An optional integer field in [lo, hi]; false when present and not. */
static bool int_field(json_t *o, const char *key, long long lo, long long hi, uint32_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return false;
    *out = (uint32_t)json_integer_value(v);
    return true;
}

static bool bool_field(json_t *o, const char *key, bool *out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return true;
    if (!json_is_boolean(v))
        return false;
    *out = json_is_true(v);
    return true;
}

static const char *read_start(json_t *o, struct lesson_def *d)
{
    json_t *v = json_object_get(o, "start"), *ms = json_object_get(o, "start_ms");
    if (v && !(json_is_string(v) && http_api_parse_time(json_string_value(v), &d->start_ms)))
        return "\"start\" must be a time like \"2025-09-01T09:00:00+05:00\" (no zone: UTC)";
    if (ms && (!json_is_integer(ms) || json_integer_value(ms) < 946684800000LL ||
               json_integer_value(ms) > 7258118400000LL))
        return "\"start_ms\" must be ms since the Unix epoch (years 2000-2199)";
    if (ms)
        d->start_ms = json_integer_value(ms);
    return NULL;
}

/* NULL, or what is wrong with the request. */
static const char *read_lesson(json_t *o, struct lesson_def *d)
{
    if (!json_is_object(o))
        return "the body must be a JSON object";
    const char *title = json_string_value(json_object_get(o, "title"));
    const char *lang = json_string_value(json_object_get(o, "language"));
    if (unknown_field(o))
        return "unknown field (see docs/protocol.md, POST /api/lessons)";
    if (!title || text_check(title, strlen(title), 120, false, NULL) != TEXT_OK)
        return "\"title\" must be 1-120 characters without control characters";
    snprintf(d->title, sizeof(d->title), "%s", title);
    if (json_object_get(o, "language") &&
        (!lang || (strcmp(lang, "kk") && strcmp(lang, "ru") && strcmp(lang, "en"))))
        return "\"language\" must be \"kk\", \"ru\" or \"en\"";
    if (lang)
        snprintf(d->language, sizeof(d->language), "%s", lang);
    const char *why = read_start(o, d);
    if (why)
        return why;
    if (!int_field(o, "duration_min", 1, LESSON_MAX_MINUTES, &d->duration_min))
        return "\"duration_min\" must be an integer from 1 to 120";
    if (!int_field(o, "max_participants", 2, LESSON_MAX_PARTICIPANTS, &d->max_participants))
        return "\"max_participants\" must be an integer from 2 to 500";
    uint32_t last_n = d->last_n;
    if (!int_field(o, "last_n", 0, LESSON_MAX_LAST_N, &last_n))
        return "\"last_n\" must be an integer from 0 to 16";
    d->last_n = (uint8_t)last_n;
    if (!bool_field(o, "lobby", &d->lobby) ||
        !bool_field(o, "students_publish", &d->students_publish) ||
        !bool_field(o, "students_video", &d->students_video) ||
        !bool_field(o, "single_use", &d->single_use) ||
        !bool_field(o, "auto_record", &d->auto_record))
        return "\"lobby\", \"students_publish\", \"students_video\", \"single_use\" and "
               "\"auto_record\" must be true or false";
    return NULL;
}

static json_t *parse_body(const struct http_request *rq, struct http_response *rs)
{
    if (rq->body_len > JSON_BODY_MAX) {
        http_api_error(rs, 413, "too_large", "the body is larger than %d KiB",
                       JSON_BODY_MAX / 1024);
        return NULL;
    }
    json_error_t err;
    json_t *o = json_loadb(rq->body ? rq->body : "", rq->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!o)
        http_api_error(rs, 400, "bad_json", "the body is not JSON: %s", err.text);
    return o;
}

static void create(struct signaling *s, const struct http_request *rq, struct http_response *rs,
                   const struct staff *me)
{
    if (strcmp(me->role, "teacher") != 0) {
        http_api_error(rs, 403, "forbidden", "only teachers create lessons");
        return;
    }
    json_t *o = parse_body(rq, rs);
    if (!o)
        return;
    struct lesson_def d;
    lesson_store_defaults(&d, (int64_t)s->now_ms);
    snprintf(d.language, sizeof(d.language), "kk");
    d.owner = me->id;
    const char *why = read_lesson(o, &d);
    const char *unknown = json_is_object(o) ? unknown_field(o) : NULL;
    if (why) {
        if (unknown)
            http_api_error(rs, 400, "bad_request", "unknown field \"%.40s\"", unknown);
        else
            http_api_error(rs, 400, "bad_request", "%s", why);
        json_decref(o);
        return;
    }
    json_decref(o);
    if (lesson_store_create(s->store, &d) < 0) {
        http_api_error(rs, 500, "internal", "the store failed: the lesson was not made");
        return;
    }
    signaling_log(s, "lesson %s (%s) created by staff %lld", d.id, d.title, (long long)me->id);
    http_api_json(rs, 201, json_pack("{s:o, s:o}", "lesson", lesson_json(&d), "links",
                                     links_json(s, rq, &d)));
}

static void add_lesson(const struct lesson_def *d, void *arg)
{
    json_array_append_new(arg, lesson_json(d));
}

void http_lessons_collection(struct signaling *s, const struct http_request *rq,
                             struct http_response *rs, const struct staff *me)
{
    if (strcmp(rq->method, "POST") == 0) {
        create(s, rq, rs, me);
        return;
    }
    if (strcmp(rq->method, "GET") != 0) {
        http_api_error(rs, 405, "method_not_allowed", "use GET or POST on /api/lessons");
        return;
    }
    json_t *list = json_array();
    if (lesson_store_list(s->store, me->id, 500, add_lesson, list) < 0) {
        json_decref(list);
        http_api_error(rs, 500, "internal", "the store failed");
        return;
    }
    http_api_json(rs, 200, json_pack("{s:o}", "lessons", list));
}

/* ---- one lesson --------------------------------------------------------------- */

struct roster_ctx {
    struct signaling *s;
    const struct http_request *rq;
    const struct lesson_def *d;
    json_t *list;
};

static json_t *entry_json(struct roster_ctx *c, const struct roster_entry *e)
{
    char link[ACCESS_LINK_LEN];
    bool used = false, removed = false;
    snprintf(link, sizeof(link), "r%lld", (long long)e->id);
    access_link_state(c->s->store, c->d->id, link, &used, &removed);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:b, s:b, s:b}", "entry",
                     (json_int_t)e->id, "link_id", link, "name", e->row.name, "class",
                     e->row.klass, "school", e->row.school, "link",
                     link_url(c->s, c->rq, c->d, "student", e->id, NULL), "revoked",
                     e->revoked_ms != 0, "used", used, "removed", removed);
}

static void add_entry(const struct roster_entry *e, void *arg)
{
    struct roster_ctx *c = arg;
    json_array_append_new(c->list, entry_json(c, e));
}

static void detail(struct signaling *s, const struct http_request *rq, struct http_response *rs,
                   const struct lesson_def *d)
{
    struct roster_ctx c = {s, rq, d, json_array()};
    if (roster_list(s->store, d->id, add_entry, &c) < 0) {
        json_decref(c.list);
        http_api_error(rs, 500, "internal", "the store failed");
        return;
    }
    http_api_json(rs, 200, json_pack("{s:o, s:o, s:o}", "lesson", lesson_json(d), "links",
                                     links_json(s, rq, d), "roster", c.list));
}

static void upload_roster(struct signaling *s, const struct http_request *rq,
                          struct http_response *rs, const struct lesson_def *d)
{
    char err[256];
    struct roster_row *rows = NULL;
    int n = roster_parse(rq->body ? rq->body : "", rq->body_len, &rows, err, sizeof(err));
    if (n < 0) {
        http_api_error(rs, rq->body_len > ROSTER_MAX_BYTES ? 413 : 400, "bad_csv", "%s", err);
        return;
    }
    int64_t *ids = calloc((size_t)n, sizeof(*ids));
    if (!ids || roster_add(s->store, d->id, rows, (size_t)n, (int64_t)s->now_ms, ids) < 0) {
        free(ids);
        free(rows);
        http_api_error(rs, 500, "internal", "the store failed: nothing was added");
        return;
    }
    struct roster_ctx c = {s, rq, d, json_array()};
    for (int i = 0; i < n; i++) {
        struct roster_entry e;
        if (roster_get(s->store, ids[i], &e) == 0)
            json_array_append_new(c.list, entry_json(&c, &e));
    }
    free(ids);
    free(rows);
    signaling_log(s, "lesson %s: %d roster entries added", d->id, n);
    http_api_json(rs, 200, json_pack("{s:o}", "roster", c.list));
}

/* Revokes roster entry `entry` (or single-use link "n<nonce>") and puts its
 * holder out of the lesson. */
static void revoke(struct signaling *s, struct http_response *rs, const struct lesson_def *d,
                   const char *link)
{
    int rc;
    if (link[0] == 'r') {
        char *end;
        long long entry = strtoll(link + 1, &end, 10);
        rc = *end || entry <= 0 ? -SQ_ENOTFOUND
                                : roster_revoke(s->store, d->id, entry, (int64_t)s->now_ms);
    } else if (link[0] == 'n' && link[1] && strlen(link) < ACCESS_LINK_LEN) {
        rc = access_mark_used(s->store, d->id, link, (int64_t)s->now_ms);
    } else {
        rc = -SQ_ENOTFOUND;
    }
    if (rc == -SQ_ENOTFOUND) {
        http_api_error(rs, 404, "not_found", "no link %.40s in lesson %s", link, d->id);
        return;
    }
    if (rc < 0 && rc != -SQ_ESTATE) {
        http_api_error(rs, 500, "internal", "the store failed: nothing was revoked");
        return;
    }
    control_evict_link(s, d->id, link);
    signaling_log(s, "lesson %s: link %s revoked", d->id, link);
    http_api_json(rs, 200, json_pack("{s:s, s:b}", "link_id", link, "revoked", 1));
}

static void revoke_by_body(struct signaling *s, const struct http_request *rq,
                           struct http_response *rs, const struct lesson_def *d)
{
    json_t *o = parse_body(rq, rs);
    if (!o)
        return;
    json_t *v = json_object_get(o, "link");
    char link[ACCESS_LINK_LEN] = "";
    if (json_is_integer(v) && json_integer_value(v) > 0)
        snprintf(link, sizeof(link), "r%lld", (long long)json_integer_value(v));
    else if (json_is_string(v) && strlen(json_string_value(v)) < sizeof(link))
        snprintf(link, sizeof(link), "%s", json_string_value(v));
    json_decref(o);
    if (!link[0]) {
        http_api_error(rs, 400, "bad_request", "\"link\" must be a link id such as \"r12\"");
        return;
    }
    revoke(s, rs, d, link);
}

static void single_use_links(struct signaling *s, const struct http_request *rq,
                             struct http_response *rs, const struct lesson_def *d)
{
    json_t *o = parse_body(rq, rs);
    if (!o)
        return;
    uint32_t count = 1;
    bool ok = json_is_object(o) && int_field(o, "count", 1, HTTP_LESSONS_MAX_LINKS, &count);
    json_decref(o);
    if (!ok) {
        http_api_error(rs, 400, "bad_request", "\"count\" must be an integer from 1 to %d",
                       HTTP_LESSONS_MAX_LINKS);
        return;
    }
    json_t *list = json_array();
    for (uint32_t i = 0; i < count; i++) {
        char nonce[ACCESS_NONCE_LEN + 1], id[ACCESS_LINK_LEN];
        auth_random_id(nonce, ACCESS_NONCE_LEN);
        snprintf(id, sizeof(id), "n%s", nonce);
        json_array_append_new(list, json_pack("{s:s, s:o}", "link_id", id, "link",
                                              link_url(s, rq, d, "student", 0, nonce)));
    }
    http_api_json(rs, 200, json_pack("{s:o}", "links", list));
}

void http_lessons_one(struct signaling *s, const struct http_request *rq,
                      struct http_response *rs, const struct staff *me, const char *id,
                      const char *rest)
{
    struct lesson_def d;
    if (http_api_lesson(s, id, &d, rs) < 0)
        return;
    if (d.owner != me->id) {
        http_api_error(rs, 403, "forbidden", "lesson %s belongs to another teacher", id);
        return;
    }
    bool get = strcmp(rq->method, "GET") == 0, post = strcmp(rq->method, "POST") == 0;
    char link[ACCESS_LINK_LEN];
    long long entry;
    int used = 0;
    if (get && (!rest[0] || strcmp(rest, "links") == 0))
        detail(s, rq, rs, &d);
    else if (post && strcmp(rest, "roster") == 0)
        upload_roster(s, rq, rs, &d);
    else if (post && strcmp(rest, "revoke") == 0)
        revoke_by_body(s, rq, rs, &d);
    else if (post && strcmp(rest, "links") == 0)
        single_use_links(s, rq, rs, &d);
    else if (post && sscanf(rest, "roster/%lld/revoke%n", &entry, &used) == 1 &&
             (size_t)used == strlen(rest) && entry > 0) {
        snprintf(link, sizeof(link), "r%lld", entry);
        revoke(s, rs, &d, link);
    } else {
        http_api_error(rs, get || post ? 404 : 405, get || post ? "not_found"
                                                                 : "method_not_allowed",
                       "no such API endpoint: %s %.100s", rq->method, rq->path);
    }
}
