/* Playback over HTTP (http_recordings.c) without sockets: who may list and
 * fetch, byte ranges of the file, the timeline, and paths that must not
 * reach another lesson's recording. */
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#include "lesson_helpers.h"
#include "signaling/access.h"
#include "signaling/http_recordings.h"
#include "signaling/recording.h"
#include "signaling/recording_store.h"
#include "signaling/staff.h"
#include "signaling/timeline.h"

struct play {
    struct fixture f;
    struct lesson_def other;       /* a second lesson */
    struct recording_row row;      /* a recording of f.def with a 1000-byte file */
    char file[512];
};

static bool play_init(struct play *p)
{
    if (!fixture_init(&p->f) || !lh_lesson(&p->f, false, 500, false, true))
        return false;
    p->other = p->f.def;
    if (lesson_store_create(p->f.st, &p->other) != 0)
        return false;
    if (recording_store_insert(p->f.st, p->f.def.id, (int64_t)FIXTURE_T0, &p->row) != 0)
        return false;
    char dir[400], cmd[500];
    if (!recording_dir(p->f.st, &p->row, dir, sizeof(dir)))
        return false;
    snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
    if (system(cmd) != 0)
        return false;
    snprintf(p->file, sizeof(p->file), "%s/%s", dir, RECORDING_FILE);
    FILE *fp = fopen(p->file, "w");
    if (!fp)
        return false;
    for (int i = 0; i < 1000; i++)
        fputc('A' + i % 26, fp);
    fclose(fp);
    struct timeline *t = timeline_open(dir, FIXTURE_T0);
    json_t *e = json_pack("{s:s, s:s}", "type", "chat", "text", "hello");
    bool ok = t && timeline_append(t, FIXTURE_T0 + 1500, e) == 0;
    json_decref(e);
    timeline_close(t);
    return ok;
}

static void call(struct play *p, const char *path, const char *query, const char *cookie,
                 const char *range, struct recordings_reply *out)
{
    struct http_request rq = {"GET", path, query ? query : "", cookie ? cookie : "", "", "",
                              NULL, 0, false};
    http_recordings_handle(p->f.h.sig, &rq, range ? range : "", "web", out);
}

/* "t=<token>" of lesson d for role (malloc'd). */
static char *t_query(struct play *p, const struct lesson_def *d, const char *role)
{
    char *tok = access_lesson_token(p->f.h.sig->secret, d, role, 0, NULL), *q = NULL;
    if (tok && asprintf(&q, "t=%s", tok) < 0)
        q = NULL;
    free(tok);
    return q;
}

static char *file_path(struct play *p, const char *name)
{
    static char path[200];
    snprintf(path, sizeof(path), "/recordings/%s/%lld/%s", p->f.def.id, (long long)p->row.id,
             name);
    return path;
}

TEST(recordings_list_needs_this_lessons_link_or_a_staff_session)
{
    struct play p;
    ASSERT(play_init(&p));
    char list[160];
    snprintf(list, sizeof(list), "/api/lessons/%s/recordings", p.f.def.id);
    ASSERT(http_recordings_wants(list));
    struct recordings_reply r;
    call(&p, list, NULL, NULL, NULL, &r);
    ASSERT_EQ(401, r.status);
    http_recordings_reply_free(&r);

    char *mine = t_query(&p, &p.f.def, "student"), *theirs = t_query(&p, &p.other, "student");
    call(&p, list, theirs, NULL, NULL, &r);
    ASSERT_EQ(403, r.status);
    http_recordings_reply_free(&r);

    call(&p, list, mine, NULL, NULL, &r);
    ASSERT_EQ(200, r.status);
    json_t *o = json_loadb(r.body, r.body_len, 0, NULL);
    json_t *recs = json_object_get(o, "recordings");
    ASSERT_EQ(1, json_array_size(recs));
    json_t *one = json_array_get(recs, 0);
    ASSERT_EQ(p.row.id, ji(one, "id"));
    ASSERT_EQ(1000, ji(one, "size"));
    ASSERT_STR_EQ("recording", js(one, "state"));
    ASSERT_EQ(FIXTURE_T0, ji(one, "started_ms"));
    ASSERT_EQ(0, ji(one, "duration_ms"));   /* live: now - start, and now is the start */
    ASSERT_STR_EQ(file_path(&p, RECORDING_FILE), js(one, "file"));
    ASSERT_STR_EQ(p.f.def.title, js(json_object_get(o, "lesson"), "title"));
    json_decref(o);
    http_recordings_reply_free(&r);

    /* A staff session of this server sees it without a link. */
    struct staff m;
    char err[128];
    ASSERT(staff_add(p.f.st, "Asel", "assistant", FIXTURE_T0, &m, err, sizeof(err)) == 0);
    char *session = staff_session_token(p.f.h.sig->secret, m.id, FIXTURE_T0), cookie[1600];
    snprintf(cookie, sizeof(cookie), "sabaq_session=%s", session);
    free(session);
    call(&p, list, NULL, cookie, NULL, &r);
    ASSERT_EQ(200, r.status);
    http_recordings_reply_free(&r);
    free(mine);
    free(theirs);
    fixture_free(&p.f);
}

TEST(recording_file_answers_ranges_with_the_right_bytes)
{
    struct play p;
    ASSERT(play_init(&p));
    char *q = t_query(&p, &p.f.def, "student");
    struct recordings_reply r;
    call(&p, file_path(&p, RECORDING_FILE), q, NULL, "bytes=100-199", &r);
    ASSERT_EQ(206, r.status);
    ASSERT(r.fd >= 0 && r.accept_ranges);
    ASSERT_EQ(100, r.offset);
    ASSERT_EQ(100, r.length);
    ASSERT_STR_EQ("bytes 100-199/1000", r.content_range);
    ASSERT_STR_EQ("video/webm", r.content_type);
    char buf[4];
    ASSERT_EQ(1, pread(r.fd, buf, 1, (off_t)r.offset));
    ASSERT_EQ('A' + 100 % 26, buf[0]);
    http_recordings_reply_free(&r);

    call(&p, file_path(&p, RECORDING_FILE), q, NULL, "bytes=5000-", &r);
    ASSERT_EQ(416, r.status);
    ASSERT(r.fd < 0);
    ASSERT_STR_EQ("bytes */1000", r.content_range);
    http_recordings_reply_free(&r);

    call(&p, file_path(&p, RECORDING_FILE), q, NULL, NULL, &r);
    ASSERT_EQ(200, r.status);
    ASSERT_EQ(0, r.offset);
    ASSERT_EQ(1000, r.length);
    ASSERT_STR_EQ("", r.content_range);
    ASSERT(r.no_store);            /* still being written: its length changes */
    ASSERT_STR_EQ("", r.disposition);
    http_recordings_reply_free(&r);

    char dq[1400];
    snprintf(dq, sizeof(dq), "%s&download=1", q);
    call(&p, file_path(&p, RECORDING_FILE), dq, NULL, "bytes=-10", &r);
    ASSERT_EQ(206, r.status);
    ASSERT_EQ(990, r.offset);
    ASSERT(strstr(r.disposition, "attachment"));
    http_recordings_reply_free(&r);
    free(q);
    fixture_free(&p.f);
}

TEST(recording_file_of_another_lesson_is_not_found_through_this_one)
{
    struct play p;
    ASSERT(play_init(&p));
    /* A link of the other lesson, asking for this lesson's recording under its own id. */
    char *q = t_query(&p, &p.other, "teacher");
    char path[200];
    snprintf(path, sizeof(path), "/recordings/%s/%lld/%s", p.other.id, (long long)p.row.id,
             RECORDING_FILE);
    struct recordings_reply r;
    call(&p, path, q, NULL, NULL, &r);
    ASSERT_EQ(404, r.status);
    ASSERT(r.fd < 0);
    http_recordings_reply_free(&r);
    call(&p, file_path(&p, RECORDING_FILE), q, NULL, NULL, &r);
    ASSERT_EQ(403, r.status);
    http_recordings_reply_free(&r);
    const char *bad[] = {"/recordings/x/1/../../secret", "/recordings/%2e%2e/1/recording.webm",
                         "/recordings//1/recording.webm", "/recordings/a/01/recording.webm",
                         "/recordings/a/1/other.webm", "/recordings/a/1/recording.webm/x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        call(&p, bad[i], q, NULL, NULL, &r);
        if (r.status != 404) {
            test_fail(__FILE__, __LINE__, "%s: %d", bad[i], r.status);
            return;
        }
        http_recordings_reply_free(&r);
    }
    free(q);
    fixture_free(&p.f);
}

TEST(recording_timeline_is_a_json_array)
{
    struct play p;
    ASSERT(play_init(&p));
    char *q = t_query(&p, &p.f.def, "student");
    struct recordings_reply r;
    call(&p, file_path(&p, "timeline.json"), q, NULL, NULL, &r);
    ASSERT_EQ(200, r.status);
    ASSERT_STR_EQ("application/json", r.content_type);
    json_t *a = json_loadb(r.body, r.body_len, 0, NULL);
    ASSERT(json_is_array(a) && json_array_size(a) == 1);
    ASSERT_EQ(1500, ji(json_array_get(a, 0), "t"));
    json_decref(a);
    http_recordings_reply_free(&r);
    free(q);
    fixture_free(&p.f);
}

TEST(recordings_page_is_served_without_a_link)
{
    struct play p;
    ASSERT(play_init(&p));
    char path[120];
    snprintf(path, sizeof(path), "/recordings/%s", p.f.def.id);
    struct recordings_reply r;
    call(&p, path, NULL, NULL, NULL, &r);   /* cwd is the repo: web/recordings.html */
    ASSERT_EQ(200, r.status);
    ASSERT(r.fd >= 0);
    ASSERT(strncmp(r.content_type, "text/html", 9) == 0);
    http_recordings_reply_free(&r);
    struct http_request post = {"POST", path, "", "", "", "", NULL, 0, false};
    http_recordings_handle(p.f.h.sig, &post, "", "web", &r);
    ASSERT_EQ(405, r.status);
    http_recordings_reply_free(&r);
    fixture_free(&p.f);
}

TEST(lessons_api_takes_and_shows_auto_record)
{
    struct play p;
    ASSERT(play_init(&p));
    struct staff m;
    char err[128], cookie[1600];
    ASSERT(staff_add(p.f.st, "Aigerim", "teacher", FIXTURE_T0, &m, err, sizeof(err)) == 0);
    char *session = staff_session_token(p.f.h.sig->secret, m.id, FIXTURE_T0);
    snprintf(cookie, sizeof(cookie), "sabaq_session=%s", session);
    free(session);
    const char *good = "{\"title\":\"Physics\",\"auto_record\":true}";
    struct http_request rq = {"POST", "/api/lessons", "", cookie, "", "school.kz", good,
                              strlen(good), false};
    struct http_response rs;
    http_api_handle(p.f.h.sig, &rq, &rs);
    ASSERT_EQ(201, rs.status);
    json_t *o = json_loadb(rs.body, rs.body_len, 0, NULL);
    json_t *lesson = json_object_get(o, "lesson");
    ASSERT(json_is_true(json_object_get(lesson, "auto_record")));
    struct lesson_def d;
    ASSERT_EQ(0, lesson_store_get(p.f.st, js(lesson, "id"), &d));
    ASSERT(d.auto_record);
    json_decref(o);
    http_response_free(&rs);
    const char *bad = "{\"title\":\"Physics\",\"auto_record\":\"yes\"}";
    rq.body = bad;
    rq.body_len = strlen(bad);
    http_api_handle(p.f.h.sig, &rq, &rs);
    ASSERT_EQ(400, rs.status);
    http_response_free(&rs);
    fixture_free(&p.f);
}

TEST(recording_timeline_leaves_out_deleted_chat)
{
    struct play p;
    ASSERT(play_init(&p));
    char dir[400];
    ASSERT(recording_dir(p.f.st, &p.row, dir, sizeof(dir)));
    struct timeline *t = timeline_open(dir, FIXTURE_T0);
    ASSERT(t);
    json_t *bad = json_pack("{s:s, s:i, s:s}", "type", "chat", "id", 7, "text", "rude");
    json_t *del = json_pack("{s:s, s:i}", "type", "chat_deleted", "id", 7);
    json_t *ok = json_pack("{s:s, s:i, s:s}", "type", "chat", "id", 8, "text", "fine");
    ASSERT_EQ(0, timeline_append(t, FIXTURE_T0 + 2000, bad));
    ASSERT_EQ(0, timeline_append(t, FIXTURE_T0 + 2500, ok));
    ASSERT_EQ(0, timeline_append(t, FIXTURE_T0 + 3000, del));
    json_decref(bad);
    json_decref(del);
    json_decref(ok);
    timeline_close(t);
    char *q = t_query(&p, &p.f.def, "student");
    struct recordings_reply r;
    call(&p, file_path(&p, "timeline.json"), q, NULL, NULL, &r);
    ASSERT_EQ(200, r.status);
    ASSERT(!strstr(r.body, "rude"));
    ASSERT(strstr(r.body, "fine"));
    json_t *a = json_loadb(r.body, r.body_len, 0, NULL);
    ASSERT_EQ(3, json_array_size(a));   /* hello, fine, the deletion (without text) */
    json_decref(a);
    http_recordings_reply_free(&r);
    free(q);
    fixture_free(&p.f);
}

TEST(recordings_with_a_lesson_link_go_to_that_lessons_page)
{
    struct play p;
    ASSERT(play_init(&p));
    ASSERT(http_recordings_wants("/recordings"));
    char *q = t_query(&p, &p.other, "student");
    struct recordings_reply r;
    call(&p, "/recordings", q, NULL, NULL, &r);
    ASSERT_EQ(302, r.status);
    char want[1400];
    snprintf(want, sizeof(want), "/recordings/%s?%s", p.other.id, q);
    ASSERT_STR_EQ(want, r.location);
    http_recordings_reply_free(&r);
    call(&p, "/recordings/", "t=forged.x", NULL, NULL, &r);
    ASSERT_EQ(403, r.status);
    ASSERT_STR_EQ("", r.location);
    http_recordings_reply_free(&r);
    free(q);
    fixture_free(&p.f);
}
