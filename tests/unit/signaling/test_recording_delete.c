/* Deleting recordings: DELETE /api/lessons/<lesson>/recordings/<id>
 * (http_recordings.c) without sockets, the deletion path and its start-up
 * sweep (recording_delete.c), retention's choice and schedule
 * (recording_retention.c) on virtual time, and its option (config.c). */
#include "test.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sabaq/error.h"
#include "lesson_helpers.h"
#include "signaling/access.h"
#include "signaling/config.h"
#include "signaling/http_recordings.h"
#include "signaling/recording.h"
#include "signaling/recording_delete.h"
#include "signaling/recording_retention.h"
#include "signaling/recording_store.h"
#include "signaling/signaling.h"
#include "signaling/staff.h"

#define DAY_MS 86400000LL

struct del {
    struct fixture f;
    struct lesson_def other;       /* a second lesson, with the same owner */
    char owner_cookie[1600];       /* the lesson's teacher (staff 1 = f.def.owner) */
    char staff_cookie[1600];       /* another teacher of the school */
};

static bool cookie_of(struct del *d, const char *name, char *out, size_t cap)
{
    struct staff m;
    char err[128];
    if (staff_add(d->f.st, name, "teacher", (int64_t)FIXTURE_T0, &m, err, sizeof(err)) != 0)
        return false;
    char *session = staff_session_token(d->f.h.sig->secret, m.id, (int64_t)FIXTURE_T0);
    if (!session)
        return false;
    snprintf(out, cap, "theme=dark; sabaq_session=%s", session);
    free(session);
    return true;
}

static bool del_init(struct del *d)
{
    if (!fixture_init(&d->f) || !lh_lesson(&d->f, false, 500, false, true))
        return false;
    d->other = d->f.def;
    return lesson_store_create(d->f.st, &d->other) == 0 &&
           cookie_of(d, "Aigerim", d->owner_cookie, sizeof(d->owner_cookie)) &&
           cookie_of(d, "Dana", d->staff_cookie, sizeof(d->staff_cookie)) &&
           d->f.def.owner == 1;
}

/* <data-dir>/<path> */
static const char *full(struct del *d, const char *path)
{
    static char out[600];
    snprintf(out, sizeof(out), "%s/%s", d->f.dir, path);
    return out;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static bool write_file(const char *path, size_t n)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return false;
    for (size_t i = 0; i < n; i++)
        fputc('x', fp);
    return fclose(fp) == 0;
}

/* A recording of lesson with its folder and two files; state "recording"
 * when stopped_ms is 0, else `state` ending then. */
static bool make_recording(struct del *d, const char *lesson, int64_t started_ms,
                           int64_t stopped_ms, const char *state, struct recording_row *row)
{
    if (recording_store_insert(d->f.st, lesson, started_ms, row) != 0)
        return false;
    char dir[500], file[600], cmd[600];
    if (!recording_dir(d->f.st, row, dir, sizeof(dir)))
        return false;
    snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
    if (system(cmd) != 0)
        return false;
    snprintf(file, sizeof(file), "%s/%s", dir, RECORDING_FILE);
    if (!write_file(file, 3000))
        return false;
    snprintf(file, sizeof(file), "%s/timeline.jsonl", dir);
    if (!write_file(file, 10))
        return false;
    if (!stopped_ms)
        return true;
    row->stopped_ms = stopped_ms;
    row->duration_ms = stopped_ms - started_ms;
    row->bytes = 3000;
    snprintf(row->state, sizeof(row->state), "%s", state);
    snprintf(row->reason, sizeof(row->reason), "stopped");
    return recording_store_finish(d->f.st, row) == 0;
}

static int call(struct del *d, const char *method, const char *path, const char *query,
                const char *cookie, const char *auth, struct recordings_reply *out)
{
    struct http_request rq = {method, path, query ? query : "", cookie ? cookie : "",
                              auth ? auth : "", "", NULL, 0, false};
    http_recordings_handle(d->f.h.sig, &rq, "", "web", out);
    return out->status;
}

static const char *one_path(const char *lesson, int64_t id)
{
    static char out[200];
    snprintf(out, sizeof(out), "/api/lessons/%s/recordings/%lld", lesson, (long long)id);
    return out;
}

static char *t_query(struct del *d, const char *role)
{
    char *tok = access_lesson_token(d->f.h.sig->secret, &d->f.def, role, 0, NULL), *q = NULL;
    if (tok && asprintf(&q, "t=%s", tok) < 0)
        q = NULL;
    free(tok);
    return q;
}

static bool row_exists(struct del *d, int64_t id)
{
    struct recording_row r;
    return recording_store_get(d->f.st, id, &r) == 0;
}

TEST(recording_delete_is_for_the_lessons_teacher_signed_in)
{
    struct del d;
    ASSERT(del_init(&d));
    struct recording_row row;
    ASSERT(make_recording(&d, d.f.def.id, (int64_t)FIXTURE_T0, (int64_t)FIXTURE_T0 + 60000,
                          "finished", &row));
    const char *path = one_path(d.f.def.id, row.id);
    ASSERT(http_recordings_wants(path));
    struct recordings_reply r;
    ASSERT_EQ(401, call(&d, "DELETE", path, NULL, NULL, NULL, &r));
    http_recordings_reply_free(&r);
    char *student = t_query(&d, "student"), *teacher = t_query(&d, "teacher");
    ASSERT(student && teacher);
    ASSERT_EQ(403, call(&d, "DELETE", path, student, NULL, NULL, &r));
    http_recordings_reply_free(&r);
    ASSERT_EQ(403, call(&d, "DELETE", path, teacher, NULL, NULL, &r));   /* a link, even staff's */
    http_recordings_reply_free(&r);
    char bearer[1400];
    snprintf(bearer, sizeof(bearer), "Bearer %s", teacher + 2);
    ASSERT_EQ(403, call(&d, "DELETE", path, NULL, NULL, bearer, &r));
    http_recordings_reply_free(&r);
    ASSERT_EQ(403, call(&d, "DELETE", path, NULL, d.staff_cookie, NULL, &r));   /* not the owner */
    http_recordings_reply_free(&r);
    ASSERT(row_exists(&d, row.id));
    ASSERT(exists(full(&d, row.path)));

    ASSERT_EQ(204, call(&d, "DELETE", path, NULL, d.owner_cookie, NULL, &r));
    ASSERT(r.body == NULL && r.fd < 0);
    http_recordings_reply_free(&r);
    ASSERT(!row_exists(&d, row.id));
    ASSERT(!exists(full(&d, row.path)));
    char gone[300];
    snprintf(gone, sizeof(gone), "%s%s", row.path, RECORDING_DELETING_SUFFIX);
    ASSERT(!exists(full(&d, gone)));
    ASSERT(strstr(harness_log(&d.f.h), "staff 1 (Aigerim) deleted recording"));
    /* Gone: a second DELETE and a GET of its file find nothing. */
    ASSERT_EQ(404, call(&d, "DELETE", path, NULL, d.owner_cookie, NULL, &r));
    http_recordings_reply_free(&r);
    char file[200];
    snprintf(file, sizeof(file), "/recordings/%s/%lld/%s", d.f.def.id, (long long)row.id,
             RECORDING_FILE);
    ASSERT_EQ(404, call(&d, "GET", file, student, NULL, NULL, &r));
    http_recordings_reply_free(&r);
    free(student);
    free(teacher);
    fixture_free(&d.f);
}

TEST(recording_delete_refuses_a_recording_being_written_and_other_lessons_ids)
{
    struct del d;
    ASSERT(del_init(&d));
    struct recording_row live, theirs;
    ASSERT(make_recording(&d, d.f.def.id, (int64_t)FIXTURE_T0, 0, "", &live));
    ASSERT(make_recording(&d, d.other.id, (int64_t)FIXTURE_T0, (int64_t)FIXTURE_T0 + 5000,
                          "finished", &theirs));
    struct recordings_reply r;
    ASSERT_EQ(409, call(&d, "DELETE", one_path(d.f.def.id, live.id), NULL, d.owner_cookie, NULL,
                        &r));
    ASSERT(strstr(r.body, "still_recording"));
    http_recordings_reply_free(&r);
    ASSERT(row_exists(&d, live.id) && exists(full(&d, live.path)));
    /* The other lesson's recording, asked for under this lesson: not found, untouched. */
    ASSERT_EQ(404, call(&d, "DELETE", one_path(d.f.def.id, theirs.id), NULL, d.owner_cookie,
                        NULL, &r));
    http_recordings_reply_free(&r);
    ASSERT_EQ(404, call(&d, "DELETE", one_path(d.f.def.id, 999), NULL, d.owner_cookie, NULL, &r));
    http_recordings_reply_free(&r);
    ASSERT_EQ(404, call(&d, "DELETE", one_path("nosuchlesson", theirs.id), NULL, d.owner_cookie,
                        NULL, &r));
    http_recordings_reply_free(&r);
    ASSERT(row_exists(&d, theirs.id) && exists(full(&d, theirs.path)));
    /* Paths that are not one recording of a lesson never delete anything. */
    char bad[4][200];
    snprintf(bad[0], sizeof(bad[0]), "/api/lessons/%s/recordings/0%lld", d.other.id,
             (long long)theirs.id);
    snprintf(bad[1], sizeof(bad[1]), "/api/lessons/%s/recordings/%lld/x", d.other.id,
             (long long)theirs.id);
    snprintf(bad[2], sizeof(bad[2]), "/api/lessons/%s/recordings/..", d.other.id);
    snprintf(bad[3], sizeof(bad[3]), "/api/lessons/%s/recordings/", d.other.id);
    for (int i = 0; i < 4; i++) {
        ASSERT(http_recordings_wants(bad[i]));
        call(&d, "DELETE", bad[i], NULL, d.owner_cookie, NULL, &r);
        if (r.status != 405 && r.status != 404) {
            test_fail(__FILE__, __LINE__, "%s: %d", bad[i], r.status);
            return;
        }
        http_recordings_reply_free(&r);
    }
    ASSERT(row_exists(&d, theirs.id) && exists(full(&d, theirs.path)));
    fixture_free(&d.f);
}

TEST(recording_routes_answer_other_methods_with_405_and_allow)
{
    struct del d;
    ASSERT(del_init(&d));
    struct recording_row row;
    ASSERT(make_recording(&d, d.f.def.id, (int64_t)FIXTURE_T0, (int64_t)FIXTURE_T0 + 1,
                          "finished", &row));
    struct recordings_reply r;
    const char *methods[] = {"GET", "POST", "PUT", "OPTIONS", "PATCH"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        ASSERT_EQ(405, call(&d, methods[i], one_path(d.f.def.id, row.id), NULL, d.owner_cookie,
                            NULL, &r));
        ASSERT_STR_EQ("DELETE", r.allow);
        http_recordings_reply_free(&r);
    }
    char list[160];
    snprintf(list, sizeof(list), "/api/lessons/%s/recordings", d.f.def.id);
    ASSERT_EQ(405, call(&d, "DELETE", list, NULL, d.owner_cookie, NULL, &r));
    ASSERT_STR_EQ("GET", r.allow);
    http_recordings_reply_free(&r);
    ASSERT(row_exists(&d, row.id));
    fixture_free(&d.f);
}

TEST(recordings_list_says_who_may_delete)
{
    struct del d;
    ASSERT(del_init(&d));
    char list[160];
    snprintf(list, sizeof(list), "/api/lessons/%s/recordings", d.f.def.id);
    char *student = t_query(&d, "student");
    struct {
        const char *query, *cookie;
        bool can;
    } cases[] = {{student, NULL, false}, {NULL, d.staff_cookie, false},
                 {NULL, d.owner_cookie, true}, {student, d.owner_cookie, true}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct recordings_reply r;
        ASSERT_EQ(200, call(&d, "GET", list, cases[i].query, cases[i].cookie, NULL, &r));
        json_t *o = json_loadb(r.body, r.body_len, 0, NULL);
        ASSERT(json_is_boolean(json_object_get(o, "can_delete")));
        ASSERT_EQ(cases[i].can, json_is_true(json_object_get(o, "can_delete")));
        json_decref(o);
        http_recordings_reply_free(&r);
    }
    free(student);
    fixture_free(&d.f);
}

TEST(recording_delete_takes_the_row_when_the_folder_was_removed_by_hand)
{
    struct del d;
    ASSERT(del_init(&d));
    struct recording_row row;
    ASSERT(make_recording(&d, d.f.def.id, (int64_t)FIXTURE_T0, (int64_t)FIXTURE_T0 + 1,
                          "crashed", &row));
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", full(&d, row.path));
    ASSERT(system(cmd) == 0);
    char why[300];
    ASSERT_EQ(0, recording_delete(d.f.st, &row, why, sizeof(why)));
    ASSERT(!row_exists(&d, row.id));
    fixture_free(&d.f);
}

TEST(recording_delete_never_renames_a_folder_the_row_does_not_own)
{
    struct del d;
    ASSERT(del_init(&d));
    struct recording_row row;
    ASSERT(make_recording(&d, d.f.def.id, (int64_t)FIXTURE_T0, (int64_t)FIXTURE_T0 + 1,
                          "finished", &row));
    struct recording_row forged = row;
    snprintf(forged.path, sizeof(forged.path), "recordings/%s", d.f.def.id);
    char why[300];
    ASSERT_EQ(-SQ_EINVAL, recording_delete(d.f.st, &forged, why, sizeof(why)));
    ASSERT(row_exists(&d, row.id) && exists(full(&d, row.path)));
    /* An earlier attempt's leftover <id>.deleting does not stop a new one. */
    char left[700];
    snprintf(left, sizeof(left), "%s%s", full(&d, row.path), RECORDING_DELETING_SUFFIX);
    ASSERT_EQ(0, mkdir(left, 0755));
    char junk[760];
    snprintf(junk, sizeof(junk), "%s/old.webm", left);
    ASSERT(write_file(junk, 10));
    ASSERT_EQ(0, recording_delete(d.f.st, &row, why, sizeof(why)));
    ASSERT(!exists(left) && !exists(full(&d, row.path)) && !row_exists(&d, row.id));
    fixture_free(&d.f);
}

TEST(recording_sweep_finishes_interrupted_deletions_and_touches_nothing_else)
{
    struct del d;
    ASSERT(del_init(&d));
    struct recording_row cut, kept;
    ASSERT(make_recording(&d, d.f.def.id, (int64_t)FIXTURE_T0, (int64_t)FIXTURE_T0 + 1,
                          "finished", &cut));
    ASSERT(make_recording(&d, d.f.def.id, (int64_t)FIXTURE_T0, (int64_t)FIXTURE_T0 + 1,
                          "finished", &kept));
    /* A crash right after the rename: the folder renamed, its row still there. */
    char dir[600], gone[700];
    snprintf(dir, sizeof(dir), "%s", full(&d, cut.path));
    snprintf(gone, sizeof(gone), "%s%s", dir, RECORDING_DELETING_SUFFIX);
    ASSERT_EQ(0, rename(dir, gone));
    /* Things that look alike and must stay. */
    char lesson_dir[600], p[800], outside[700];
    snprintf(lesson_dir, sizeof(lesson_dir), "%s/recordings/%s", d.f.dir, d.f.def.id);
    const char *alike_dirs[] = {"junk.deleting", "0012.deleting", "12.deleting.old", "12"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "%s/%s", lesson_dir, alike_dirs[i]);
        ASSERT_EQ(0, mkdir(p, 0755));
    }
    snprintf(p, sizeof(p), "%s/55.deleting", lesson_dir);   /* a file, not a folder */
    ASSERT(write_file(p, 5));
    snprintf(outside, sizeof(outside), "%s/precious", d.f.dir);
    ASSERT_EQ(0, mkdir(outside, 0755));
    snprintf(p, sizeof(p), "%s/keep.txt", outside);
    ASSERT(write_file(p, 5));
    snprintf(p, sizeof(p), "%s/77.deleting", lesson_dir);   /* a link to elsewhere */
    ASSERT_EQ(0, symlink(outside, p));
    snprintf(p, sizeof(p), "%s/recordings/not a lesson", d.f.dir);
    ASSERT_EQ(0, mkdir(p, 0755));
    snprintf(p, sizeof(p), "%s/recordings/not a lesson/9.deleting", d.f.dir);
    ASSERT_EQ(0, mkdir(p, 0755));

    char *log = NULL;
    size_t log_len = 0;
    FILE *lf = open_memstream(&log, &log_len);
    ASSERT_EQ(1, recording_delete_sweep(d.f.st, lf));
    fclose(lf);
    ASSERT(strstr(log, "finished deleting recording"));
    free(log);
    ASSERT(!exists(gone) && !row_exists(&d, cut.id));
    ASSERT(exists(full(&d, kept.path)) && row_exists(&d, kept.id));
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "%s/%s", lesson_dir, alike_dirs[i]);
        ASSERT(exists(p));
    }
    snprintf(p, sizeof(p), "%s/55.deleting", lesson_dir);
    ASSERT(exists(p));
    snprintf(p, sizeof(p), "%s/keep.txt", outside);
    ASSERT(exists(p));
    snprintf(p, sizeof(p), "%s/recordings/not a lesson/9.deleting", d.f.dir);
    ASSERT(exists(p));
    /* Nothing to do the second time; none at all without a recordings folder. */
    ASSERT_EQ(0, recording_delete_sweep(d.f.st, NULL));
    fixture_free(&d.f);
}

TEST(retention_is_due_after_keep_days_from_the_end)
{
    struct recording_row r;
    memset(&r, 0, sizeof(r));
    snprintf(r.state, sizeof(r.state), "finished");
    r.started_ms = 1000;
    r.stopped_ms = 1000 + 3600000;
    int64_t end = r.stopped_ms;
    ASSERT(!recording_retention_due(&r, 0, end + 1000 * DAY_MS));   /* 0: keep forever */
    ASSERT(!recording_retention_due(&r, 7, end + 7 * DAY_MS - 1));
    ASSERT(recording_retention_due(&r, 7, end + 7 * DAY_MS));
    ASSERT(recording_retention_due(&r, 1, end + 30 * DAY_MS));
    snprintf(r.state, sizeof(r.state), "recording");   /* never while written */
    ASSERT(!recording_retention_due(&r, 1, end + 30 * DAY_MS));
    snprintf(r.state, sizeof(r.state), "crashed");
    r.stopped_ms = 0;   /* no end known: its start counts */
    ASSERT(recording_retention_due(&r, 1, r.started_ms + DAY_MS));
    ASSERT(!recording_retention_due(&r, 1, r.started_ms + DAY_MS - 1));
}

TEST(retention_deletes_only_old_finished_recordings_and_runs_hourly)
{
    struct del d;
    ASSERT(del_init(&d));
    struct signaling *s = d.f.h.sig;
    int64_t now = (int64_t)FIXTURE_T0 + 40 * DAY_MS;
    struct recording_row old_fin, old_crash, young, live, other_old;
    ASSERT(make_recording(&d, d.f.def.id, now - 20 * DAY_MS, now - 20 * DAY_MS + 60000,
                          "finished", &old_fin));
    ASSERT(make_recording(&d, d.f.def.id, now - 9 * DAY_MS, now - 9 * DAY_MS, "crashed",
                          &old_crash));
    ASSERT(make_recording(&d, d.f.def.id, now - 6 * DAY_MS, now - 6 * DAY_MS + 1, "failed",
                          &young));
    ASSERT(make_recording(&d, d.f.def.id, now - 30 * DAY_MS, 0, "", &live));
    ASSERT(make_recording(&d, d.other.id, now - 10 * DAY_MS, now - 10 * DAY_MS, "finished",
                          &other_old));
    /* Off (0, the default): nothing goes, however old. */
    s->now_ms = (uint64_t)now;
    signaling_tick(s);
    ASSERT(row_exists(&d, old_fin.id) && exists(full(&d, old_fin.path)));

    s->recordings_keep_days = 7;
    signaling_tick(s);   /* the first tick after start-up runs it */
    ASSERT(!row_exists(&d, old_fin.id) && !exists(full(&d, old_fin.path)));
    ASSERT(!row_exists(&d, old_crash.id) && !exists(full(&d, old_crash.path)));
    ASSERT(!row_exists(&d, other_old.id) && !exists(full(&d, other_old.path)));
    ASSERT(row_exists(&d, young.id) && exists(full(&d, young.path)));
    ASSERT(row_exists(&d, live.id) && exists(full(&d, live.path)));
    ASSERT(strstr(harness_log(&d.f.h), "retention (7 days) deleted recording"));
    ASSERT_EQ(now + RECORDING_RETENTION_EVERY_MS, (int64_t)s->retention_next_ms);

    /* young turns 7 days old 1 day later: not before the next hourly run. */
    s->now_ms = (uint64_t)(now + DAY_MS);
    s->retention_next_ms = (uint64_t)(now + DAY_MS + 1000);
    signaling_tick(s);
    ASSERT(row_exists(&d, young.id));
    s->now_ms += 1000;
    signaling_tick(s);
    ASSERT(!row_exists(&d, young.id) && !exists(full(&d, young.path)));
    ASSERT(row_exists(&d, live.id));
    fixture_free(&d.f);
}

TEST(retention_works_a_backlog_off_in_batches)
{
    struct del d;
    ASSERT(del_init(&d));
    struct signaling *s = d.f.h.sig;
    int64_t now = (int64_t)FIXTURE_T0 + 400 * DAY_MS;
    struct recording_row rows[RECORDING_RETENTION_BATCH + 5];
    size_t n = sizeof(rows) / sizeof(rows[0]);
    for (size_t i = 0; i < n; i++)
        ASSERT(make_recording(&d, d.f.def.id, now - 300 * DAY_MS + (int64_t)i,
                              now - 300 * DAY_MS + (int64_t)i + 1, "finished", &rows[i]));
    s->now_ms = (uint64_t)now;
    s->recordings_keep_days = 30;
    signaling_tick(s);
    ASSERT(!row_exists(&d, rows[0].id));                                   /* oldest first */
    ASSERT(!row_exists(&d, rows[RECORDING_RETENTION_BATCH - 1].id));
    ASSERT(row_exists(&d, rows[RECORDING_RETENTION_BATCH].id));
    ASSERT_EQ(now + 1000, (int64_t)s->retention_next_ms);                  /* more: soon */
    s->now_ms += 1000;
    signaling_tick(s);
    ASSERT(!row_exists(&d, rows[n - 1].id) && !exists(full(&d, rows[n - 1].path)));
    ASSERT_EQ(now + 1000 + RECORDING_RETENTION_EVERY_MS, (int64_t)s->retention_next_ms);
    fixture_free(&d.f);
}

TEST(config_takes_recordings_keep_days_from_flags_and_file)
{
    struct config c;
    char err[512];
    char *dflt[] = {"sabaq"};
    ASSERT_EQ(CONFIG_OK, config_parse(&c, 1, dflt, err, sizeof(err)));
    ASSERT_EQ(0, c.recordings_keep_days);   /* keep forever unless asked */
    char *flag[] = {"sabaq", "--recordings-keep-days", "90"};
    ASSERT_EQ(CONFIG_OK, config_parse(&c, 3, flag, err, sizeof(err)));
    ASSERT_EQ(90, c.recordings_keep_days);
    char path[] = "/tmp/sabaq-keep-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    const char *text = "# two weeks\nrecordings-keep-days = 14\n";
    ASSERT_EQ((ssize_t)strlen(text), write(fd, text, strlen(text)));
    close(fd);
    char cfg[64];
    snprintf(cfg, sizeof(cfg), "--config=%s", path);
    char *file[] = {"sabaq", cfg};
    ASSERT_EQ(CONFIG_OK, config_parse(&c, 2, file, err, sizeof(err)));
    ASSERT_EQ(14, c.recordings_keep_days);
    char *both[] = {"sabaq", cfg, "--recordings-keep-days=0"};   /* the flag wins */
    ASSERT_EQ(CONFIG_OK, config_parse(&c, 3, both, err, sizeof(err)));
    ASSERT_EQ(0, c.recordings_keep_days);
    unlink(path);
    const char *bad[] = {"-1", "x", "7d", "", "36501", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *argv[] = {"sabaq", "--recordings-keep-days", (char *)bad[i]};
        if (config_parse(&c, 3, argv, err, sizeof(err)) != CONFIG_ERROR) {
            test_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
            return;
        }
    }
    ASSERT(strstr(err, "recordings-keep-days"));
}
