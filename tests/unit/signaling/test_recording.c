/* Recording control (signaling/recording.c) against the fake media plane:
 * who may start and stop, what everyone is told, the store's row, the audio
 * that follows the producers, auto_record, the media plane's errors, the
 * timeline, and the recovery of rows a crash left open. */
#include "test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sabaq/error.h"
#include "harness.h"
#include "lesson_helpers.h"
#include "signaling/lesson.h"
#include "signaling/recording.h"
#include "signaling/recording_store.h"
#include "signaling/timeline.h"

/* A stored lesson with every table, students allowed to publish. */
static bool setup(struct fixture *f, bool auto_record)
{
    if (!fixture_init(f))
        return false;
    f->def.auto_record = auto_record;
    return lh_lesson(f, false, 500, true, true);
}

static void publish(struct fixture *f, struct fake_conn *c, const char *tag, uint32_t audio,
                    uint32_t video)
{
    char *sdp = harness_offer(tag, audio, video);
    char *msg = harness_publish_msg(sdp);
    harness_send(&f->h, c, msg);
    free(msg);
    free(sdp);
}

/* The id of c's producer of this kind (the last producer_create of it). */
static uint32_t producer_of(struct fixture *f, struct fake_conn *c, enum sdp_media_kind kind)
{
    struct participant *p = c->p;
    for (size_t i = 0; i < p->pub.n_producers; i++)
        if (p->pub.producers[i].track.kind == kind)
            return p->pub.producers[i].id;
    (void)f;
    return 0;
}

static bool row_of(struct fixture *f, int64_t id, struct recording_row *r)
{
    return recording_store_get(f->st, id, r) == 0;
}

static bool audio_added(struct fixture *f, uint32_t producer)
{
    for (size_t i = 0; i < f->h.media.n; i++)
        if (strcmp(f->h.media.calls[i].op, "recording_add_audio") == 0 &&
            f->h.media.calls[i].producer_id == producer)
            return true;
    return false;
}

static bool audio_removed(struct fixture *f, uint32_t producer)
{
    for (size_t i = 0; i < f->h.media.n; i++)
        if (strcmp(f->h.media.calls[i].op, "recording_remove_audio") == 0 &&
            f->h.media.calls[i].producer_id == producer)
            return true;
    return false;
}

TEST(staff_start_recording_and_everyone_sees_it)
{
    struct fixture f;
    ASSERT(setup(&f, false));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    publish(&f, t, "TTTT", 1111, 2222);
    uint32_t mic = producer_of(&f, t, SDP_KIND_AUDIO);
    ASSERT(mic);
    fixture_drain(t);
    fixture_drain(s);
    f.h.sig->now_ms = FIXTURE_T0 + 5000;
    fixture_send(&f, t, "{\"type\":\"recording_start\",\"req\":7}");

    const struct fake_call *c = fake_find(&f.h.media, "recording_start", 0);
    ASSERT(c);
    struct recording_row row;
    ASSERT(row_of(&f, c->id, &row));
    ASSERT_STR_EQ("recording", row.state);
    ASSERT_STR_EQ(f.def.id, row.lesson);
    ASSERT_EQ(FIXTURE_T0 + 5000, row.started_ms);
    char want[512];
    snprintf(want, sizeof(want), "%s/recordings/%s/%lld", f.dir, f.def.id, (long long)row.id);
    ASSERT_STR_EQ(want, c->fingerprint);   /* the harness keeps dir_path there */
    struct stat st;
    ASSERT(stat(want, &st) == 0 && S_ISDIR(st.st_mode));
    ASSERT(audio_added(&f, mic));

    json_t *m = harness_next_of(t, "recording");
    ASSERT(m);
    ASSERT_EQ(7, ji(m, "req"));
    ASSERT(json_is_true(json_object_get(m, "active")));
    ASSERT_EQ(row.id, ji(m, "recording"));
    ASSERT_EQ(FIXTURE_T0 + 5000, ji(m, "since_ms"));
    ASSERT(json_is_null(json_object_get(m, "reason")));
    json_decref(m);
    m = harness_next_of(s, "recording");
    ASSERT(m && json_is_true(json_object_get(m, "active")) && !json_object_get(m, "req"));
    json_decref(m);

    /* A second start changes nothing and says so. */
    fixture_send(&f, t, "{\"type\":\"recording_start\",\"req\":8}");
    ASSERT_EQ(1, fake_count(&f.h.media, "recording_start"));
    m = harness_next_of(t, "recording");
    ASSERT(m && ji(m, "req") == 8 && json_is_true(json_object_get(m, "active")));
    json_decref(m);
    ASSERT_EQ(0, fixture_count(s, "recording"));
    fixture_free(&f);
}

TEST(students_may_not_record)
{
    struct fixture f;
    ASSERT(setup(&f, false));
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(s);
    fixture_send(&f, s, "{\"type\":\"recording_start\"}");
    json_t *e = fixture_error(s);
    ASSERT(e);
    ASSERT_STR_EQ("forbidden", js(e, "code"));
    ASSERT_STR_EQ("record", js(e, "right"));
    json_decref(e);
    fixture_send(&f, s, "{\"type\":\"recording_stop\"}");
    e = fixture_error(s);
    ASSERT(e && strcmp(js(e, "right"), "record") == 0);
    json_decref(e);
    ASSERT_EQ(0, fake_count(&f.h.media, "recording_start"));
    ASSERT_EQ(0, fixture_rows(&f, "SELECT COUNT(*) FROM recordings"));
    fixture_free(&f);
}

TEST(stop_finishes_the_row_and_tells_everyone_why)
{
    struct fixture f;
    ASSERT(setup(&f, false));
    struct fake_conn *t = fixture_join(&f, "assistant", "Asel");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    fixture_send(&f, t, "{\"type\":\"recording_start\"}");
    const struct fake_call *c = fake_find(&f.h.media, "recording_start", 0);
    ASSERT(c);
    int64_t id = c->id;
    f.h.sig->now_ms = FIXTURE_T0 + 20000;
    fixture_drain(s);
    fixture_send(&f, t, "{\"type\":\"recording_stop\",\"req\":\"x\"}");
    c = fake_find(&f.h.media, "recording_stop", 0);
    ASSERT(c && c->id == id);
    struct recording_row row;
    ASSERT(row_of(&f, id, &row));
    ASSERT_STR_EQ("finished", row.state);
    ASSERT_STR_EQ("stopped", row.reason);
    ASSERT_EQ(FIXTURE_T0 + 20000, row.stopped_ms);
    ASSERT_EQ(20000, row.duration_ms);
    json_t *m = harness_next_of(s, "recording");
    ASSERT(m);
    ASSERT(json_is_false(json_object_get(m, "active")));
    ASSERT(json_is_null(json_object_get(m, "recording")));
    ASSERT(json_is_null(json_object_get(m, "since_ms")));
    ASSERT_STR_EQ("stopped", js(m, "reason"));
    json_decref(m);
    /* The media plane's word that the file is done changes nothing people see. */
    struct sfu_event ev = {.type = SFU_EVENT_RECORDING_STOPPED, .id = (uint32_t)id};
    snprintf(ev.detail, sizeof(ev.detail), "stopped");
    fixture_drain(s);
    signaling_media_event(f.h.sig, &ev);
    ASSERT_EQ(0, fixture_count(s, "recording"));
    ASSERT(row_of(&f, id, &row));
    ASSERT_STR_EQ("finished", row.state);
    fixture_free(&f);
}

TEST(recording_audio_follows_every_audio_producer)
{
    struct fixture f;
    ASSERT(setup(&f, false));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    publish(&f, t, "TTTT", 1111, 2222);
    fixture_send(&f, t, "{\"type\":\"recording_start\"}");
    ASSERT_EQ(1, fake_count(&f.h.media, "recording_add_audio"));
    publish(&f, s, "SSSS", 3333, 0);   /* a student's mic, after the start */
    uint32_t smic = producer_of(&f, s, SDP_KIND_AUDIO);
    ASSERT(smic);
    ASSERT(audio_added(&f, smic));
    ASSERT_EQ(2, fake_count(&f.h.media, "recording_add_audio"));
    /* No video producer is ever mixed in as audio. */
    ASSERT(!audio_added(&f, producer_of(&f, t, SDP_KIND_VIDEO)));
    fixture_send(&f, s, "{\"type\":\"leave\"}");
    ASSERT(audio_removed(&f, smic));
    ASSERT_EQ(1, fake_count(&f.h.media, "recording_remove_audio"));
    fixture_free(&f);
}

TEST(joined_carries_the_recording_state)
{
    struct fixture f;
    ASSERT(setup(&f, false));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    ASSERT(t);
    fixture_send(&f, t, "{\"type\":\"recording_start\"}");
    char *token = lh_token(&f, "student", 0, NULL);
    struct fake_conn *s = lh_join(&f, token, "Dana", NULL);
    free(token);
    json_t *j = harness_next_of(s, "joined");
    ASSERT(j);
    json_t *r = json_object_get(j, "recording");
    ASSERT(json_is_object(r));
    ASSERT(json_is_true(json_object_get(r, "active")));
    ASSERT(ji(r, "recording") > 0);
    ASSERT_EQ(FIXTURE_T0, ji(r, "since_ms"));
    json_decref(j);
    fixture_free(&f);
}

TEST(a_media_error_stops_the_recording_and_the_lesson_goes_on)
{
    struct fixture f;
    ASSERT(setup(&f, false));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    fixture_send(&f, t, "{\"type\":\"recording_start\"}");
    int64_t id = fake_find(&f.h.media, "recording_start", 0)->id;
    fixture_drain(t);
    fixture_drain(s);
    f.h.sig->now_ms = FIXTURE_T0 + 3000;
    struct sfu_event ev = {.type = SFU_EVENT_RECORDING_STOPPED, .id = (uint32_t)id,
                           .value = -SQ_EIO};
    snprintf(ev.detail, sizeof(ev.detail), "disk_full");
    signaling_media_event(f.h.sig, &ev);
    json_t *m = harness_next_of(t, "recording");
    ASSERT(m);
    ASSERT(json_is_false(json_object_get(m, "active")));
    ASSERT_STR_EQ("disk_full", js(m, "reason"));
    json_decref(m);
    ASSERT_EQ(1, fixture_count(s, "recording"));
    /* Already stopped in the media plane: no stop command is sent to it. */
    ASSERT_EQ(0, fake_count(&f.h.media, "recording_stop"));
    struct recording_row row;
    ASSERT(row_of(&f, id, &row));
    ASSERT_STR_EQ("failed", row.state);
    ASSERT_STR_EQ("disk_full", row.reason);
    ASSERT_EQ(3000, row.duration_ms);
    /* The lesson goes on: chat still works, staff may start again. */
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"still here\"}");
    m = harness_next_of(t, "chat");
    ASSERT(m);
    json_decref(m);
    fixture_send(&f, t, "{\"type\":\"recording_start\"}");
    ASSERT_EQ(2, fake_count(&f.h.media, "recording_start"));
    /* An unknown reason from the media plane is a write error. */
    id = fake_find(&f.h.media, "recording_start", 1)->id;
    ev.id = (uint32_t)id;
    snprintf(ev.detail, sizeof(ev.detail), "weird\"text");
    fixture_drain(t);
    signaling_media_event(f.h.sig, &ev);
    m = harness_next_of(t, "recording");
    ASSERT(m && strcmp(js(m, "reason"), "write_error") == 0);
    json_decref(m);
    fixture_free(&f);
}

TEST(auto_record_starts_when_staff_first_publish_and_only_once)
{
    struct fixture f;
    ASSERT(setup(&f, true));
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    ASSERT(s && t);
    ASSERT_EQ(0, fake_count(&f.h.media, "recording_start"));   /* nobody publishes yet */
    publish(&f, s, "SSSS", 3333, 0);
    ASSERT_EQ(0, fake_count(&f.h.media, "recording_start"));   /* a student is not enough */
    fixture_drain(s);
    publish(&f, t, "TTTT", 1111, 2222);
    ASSERT_EQ(1, fake_count(&f.h.media, "recording_start"));
    ASSERT_EQ(2, fake_count(&f.h.media, "recording_add_audio"));
    json_t *m = harness_next_of(s, "recording");
    ASSERT(m && json_is_true(json_object_get(m, "active")));
    json_decref(m);
    /* Staff stop it: a re-publish does not start it again. */
    fixture_send(&f, t, "{\"type\":\"recording_stop\"}");
    publish(&f, t, "TTT2", 1112, 0);
    ASSERT_EQ(1, fake_count(&f.h.media, "recording_start"));
    fixture_free(&f);
}

/* A media plane without the recording engine. */
static int unsupported_start(void *arg, uint32_t id, const char *dir)
{
    (void)arg, (void)id, (void)dir;
    return -SQ_EUNSUPPORTED;
}

TEST(the_media_plane_refusing_leaves_no_row)
{
    struct fixture f;
    ASSERT(setup(&f, false));
    struct media_ops ops = fake_media_ops;
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    ASSERT(t);
    ops.recording_start = unsupported_start;
    f.h.sig->media = &ops;
    fixture_send(&f, t, "{\"type\":\"recording_start\",\"req\":1}");
    json_t *e = fixture_error(t);
    ASSERT(e);
    ASSERT_STR_EQ("internal", js(e, "code"));
    ASSERT(strstr(js(e, "message"), "cannot record"));
    json_decref(e);
    ASSERT_EQ(0, fixture_rows(&f, "SELECT COUNT(*) FROM recordings"));
    f.h.sig->media = &fake_media_ops;
    fixture_free(&f);
}

TEST(closing_the_lesson_stops_its_recording)
{
    struct fixture f;
    ASSERT(setup(&f, false));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    ASSERT(t);
    fixture_send(&f, t, "{\"type\":\"recording_start\"}");
    int64_t id = fake_find(&f.h.media, "recording_start", 0)->id;
    fixture_send(&f, t, "{\"type\":\"leave\"}");   /* the last one out: the lesson closes */
    ASSERT(lesson_find(f.h.sig, f.def.id) == NULL);
    ASSERT_EQ(1, fake_count(&f.h.media, "recording_stop"));
    struct recording_row row;
    ASSERT(row_of(&f, id, &row));
    ASSERT_STR_EQ("finished", row.state);
    fixture_free(&f);
}

/* The timeline file of recording id, as the array the player gets. */
static json_t *timeline_of(struct fixture *f, int64_t id)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/recordings/%s/%lld/%s", f->dir, f->def.id, (long long)id,
             TIMELINE_FILE);
    char *text = NULL;
    size_t len = 0;
    if (timeline_read_array(path, &text, &len) != 0)
        return NULL;
    json_t *a = json_loadb(text, len, 0, NULL);
    free(text);
    return a;
}

/* The first event of this type at or after index *from, or NULL. */
static json_t *event(json_t *a, const char *type, size_t *from)
{
    for (size_t i = *from; i < json_array_size(a); i++)
        if (strcmp(js(json_array_get(a, i), "type"), type) == 0) {
            *from = i + 1;
            return json_array_get(a, i);
        }
    return NULL;
}

TEST(the_timeline_has_public_events_in_recording_time)
{
    struct fixture f;
    ASSERT(setup(&f, false));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    f.h.sig->now_ms = FIXTURE_T0 + 1000;
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"before the start\"}");
    fixture_send(&f, t, "{\"type\":\"recording_start\"}");
    int64_t id = fake_find(&f.h.media, "recording_start", 0)->id;
    f.h.sig->now_ms = FIXTURE_T0 + 2500;
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"hello\\nall\"}");
    f.h.sig->now_ms = FIXTURE_T0 + 3000;
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"secret\",\"to\":\"staff\"}");
    fixture_send(&f, s, "{\"type\":\"hand_raise\"}");
    f.h.sig->now_ms = FIXTURE_T0 + 4000;
    fixture_send(&f, t, "{\"type\":\"poll_create\",\"question\":\"2+2?\",\"kind\":\"single\","
                        "\"options\":[\"4\",\"5\"]}");
    fixture_send(&f, s, "{\"type\":\"poll_answer\",\"poll\":1,\"choices\":[0]}");
    f.h.sig->now_ms = FIXTURE_T0 + 6000;
    fixture_send(&f, t, "{\"type\":\"poll_publish\",\"poll\":1}");
    struct fake_conn *late = fixture_join(&f, "student", "Erlan");
    ASSERT(late);
    f.h.sig->now_ms = FIXTURE_T0 + 7000;
    fixture_send(&f, late, "{\"type\":\"leave\"}");
    f.h.sig->now_ms = FIXTURE_T0 + 9000;
    fixture_send(&f, t, "{\"type\":\"recording_stop\"}");

    json_t *a = timeline_of(&f, id);
    ASSERT(json_is_array(a));
    size_t i = 0;
    json_t *e = event(a, "start", &i);
    ASSERT(e);
    ASSERT_EQ(0, ji(e, "t"));
    ASSERT_EQ(2, json_array_size(json_object_get(e, "participants")));
    i = 0;
    e = event(a, "chat", &i);
    ASSERT(e);
    ASSERT_STR_EQ("hello\nall", js(e, "text"));
    ASSERT_STR_EQ("Dana", js(e, "name"));
    ASSERT_EQ(1500, ji(e, "t"));
    ASSERT(event(a, "chat", &i) == NULL);   /* neither the private one nor the earlier one */
    i = 0;
    e = event(a, "hand", &i);
    ASSERT(e && json_is_true(json_object_get(e, "raised")) && ji(e, "t") == 2000);
    i = 0;
    e = event(a, "poll", &i);
    ASSERT(e && strcmp(js(e, "question"), "2+2?") == 0 && ji(e, "t") == 3000);
    i = 0;
    e = event(a, "poll_results", &i);
    ASSERT(e);
    ASSERT_EQ(5000, ji(e, "t"));
    ASSERT_EQ(1, json_integer_value(json_array_get(json_object_get(e, "counts"), 0)));
    ASSERT(!json_object_get(e, "voters"));
    i = 0;
    e = event(a, "join", &i);
    ASSERT(e && strcmp(js(e, "name"), "Erlan") == 0);
    e = event(a, "leave", &i);
    ASSERT(e && ji(e, "t") == 6000);
    i = 0;
    e = event(a, "stop", &i);
    ASSERT(e && ji(e, "t") == 8000 && strcmp(js(e, "reason"), "stopped") == 0);
    /* Nothing private or staff-only anywhere. */
    char *text = json_dumps(a, 0);
    ASSERT(text && !strstr(text, "secret") && !strstr(text, "poll_tally"));
    free(text);
    json_decref(a);
    fixture_free(&f);
}

TEST(recover_marks_rows_a_crash_left_open_and_keeps_them)
{
    struct fixture f;
    ASSERT(setup(&f, false));
    struct recording_row r;
    ASSERT_EQ(0, recording_store_insert(f.st, f.def.id, (int64_t)FIXTURE_T0, &r));
    char dir[512], file[600];
    ASSERT(recording_dir(f.st, &r, dir, sizeof(dir)));
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
    ASSERT_EQ(0, system(cmd));
    snprintf(file, sizeof(file), "%s/%s", dir, RECORDING_FILE);
    FILE *fp = fopen(file, "w");
    ASSERT(fp);
    fwrite("0123456789", 1, 10, fp);
    fclose(fp);
    struct recording_row done;
    ASSERT_EQ(0, recording_store_insert(f.st, f.def.id, (int64_t)FIXTURE_T0, &done));
    snprintf(done.state, sizeof(done.state), "finished");
    ASSERT_EQ(0, recording_store_finish(f.st, &done));

    ASSERT_EQ(1, recording_recover(f.st));
    struct recording_row got;
    ASSERT_EQ(0, recording_store_get(f.st, r.id, &got));
    ASSERT_STR_EQ("crashed", got.state);
    ASSERT_STR_EQ("crash", got.reason);
    ASSERT_EQ(10, got.bytes);
    ASSERT(got.stopped_ms >= got.started_ms);
    ASSERT_EQ(0, recording_store_get(f.st, done.id, &got));
    ASSERT_STR_EQ("finished", got.state);
    ASSERT_EQ(0, recording_recover(f.st));   /* nothing left open */
    fixture_free(&f);
}

/* Publishes audio + video with the video m-line (mid 1) as `source`. */
static void publish_source(struct fixture *f, struct fake_conn *c, const char *tag, uint32_t a,
                           uint32_t v, const char *source)
{
    char *sdp = harness_offer(tag, a, v);
    json_t *m = json_pack("{s:s, s:s, s:{s:s}}", "type", "publish", "sdp", sdp, "sources", "1",
                          source);
    char *text = json_dumps(m, 0);
    harness_send(&f->h, c, text);
    free(text);
    json_decref(m);
    free(sdp);
}

/* The producer of the last recording_video call, or -1 when none. */
static long long last_video(struct fixture *f)
{
    long long last = -1;
    for (size_t i = 0; i < f->h.media.n; i++)
        if (strcmp(f->h.media.calls[i].op, "recording_video") == 0)
            last = f->h.media.calls[i].producer_id;
    return last;
}

TEST(recording_video_follows_the_stage_screen_share_then_camera)
{
    struct fixture f;
    ASSERT(setup(&f, false));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    publish_source(&f, t, "TTTT", 1111, 2222, "camera");
    uint32_t camera = producer_of(&f, t, SDP_KIND_VIDEO);
    fixture_send(&f, t, "{\"type\":\"recording_start\"}");
    int64_t id = fake_find(&f.h.media, "recording_start", 0)->id;
    ASSERT_EQ(camera, last_video(&f));   /* at start: the teacher's camera */
    f.h.sig->now_ms = FIXTURE_T0 + 4000;
    publish_source(&f, s, "SSSS", 3333, 4444, "screen");
    uint32_t screen = producer_of(&f, s, SDP_KIND_VIDEO);
    ASSERT(screen && screen != camera);
    ASSERT_EQ(screen, last_video(&f));   /* a screen share takes the stage */
    f.h.sig->now_ms = FIXTURE_T0 + 6000;
    fixture_send(&f, s, "{\"type\":\"leave\"}");
    ASSERT_EQ(camera, last_video(&f));   /* back to the camera when it ends */
    fixture_send(&f, t, "{\"type\":\"recording_stop\"}");

    json_t *a = timeline_of(&f, id);
    ASSERT(a);
    size_t i = 0;
    json_t *e = event(a, "stage", &i);
    ASSERT(e && strcmp(js(e, "source"), "camera") == 0 && ji(e, "t") == 0);
    e = event(a, "stage", &i);
    ASSERT(e && strcmp(js(e, "source"), "screen") == 0 && ji(e, "t") == 4000);
    e = event(a, "stage", &i);
    ASSERT(e && strcmp(js(e, "source"), "camera") == 0 && ji(e, "t") == 6000);
    json_decref(a);
    fixture_free(&f);
}

TEST(auto_record_column_is_added_to_an_old_lessons_table)
{
    char dir[] = "/tmp/sabaq-oldstore-XXXXXX", err[200];
    ASSERT(mkdtemp(dir));
    struct store *st = store_open(dir, err, sizeof(err));
    ASSERT(st);
    /* The lessons table as the first stores made it, with one lesson. */
    ASSERT_EQ(0, store_schema(st, "CREATE TABLE lessons (id TEXT PRIMARY KEY, title TEXT NOT NULL,"
                                  " language TEXT NOT NULL, start_ms INTEGER NOT NULL,"
                                  " duration_min INTEGER NOT NULL, max_participants INTEGER NOT "
                                  "NULL, lobby INTEGER NOT NULL, students_publish INTEGER NOT "
                                  "NULL, students_video INTEGER NOT NULL, single_use INTEGER NOT "
                                  "NULL, owner INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
                                  " ended_ms INTEGER NOT NULL DEFAULT 0);"
                                  "INSERT INTO lessons VALUES ('old1', 'Old', 'kk', 1, 45, 500,"
                                  " 0, 0, 1, 0, 1, 1, 0);"));
    ASSERT_EQ(0, lesson_store_init(st));
    ASSERT_EQ(0, lesson_store_init(st));   /* twice: the column is there already */
    struct lesson_def d;
    ASSERT_EQ(0, lesson_store_get(st, "old1", &d));
    ASSERT(!d.auto_record);
    lesson_store_defaults(&d, 5);
    snprintf(d.title, sizeof(d.title), "New");
    d.auto_record = true;
    ASSERT_EQ(0, lesson_store_create(st, &d));
    struct lesson_def back;
    ASSERT_EQ(0, lesson_store_get(st, d.id, &back));
    ASSERT(back.auto_record);
    store_close(st);
    char cmd[100];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ASSERT_EQ(0, system(cmd));
}

/* The harness offer with its video m-line reduced to H.264 (what OBS sends). */
static char *h264_only(const char *sdp)
{
    char *out = malloc(strlen(sdp) + 1), *o = out;
    for (const char *line = sdp; *line;) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) + 2 : strlen(line);
        bool vp8 = strncmp(line, "a=rtpmap:96 ", 12) == 0 || strncmp(line, "a=rtcp-fb:96 ", 13) == 0 ||
                   strncmp(line, "a=rtpmap:97 ", 12) == 0 || strncmp(line, "a=fmtp:97 ", 10) == 0;
        if (!vp8) {
            memcpy(o, line, len);
            o += len;
        }
        line += len;
    }
    *o = '\0';
    char *m = strstr(out, " 96 97 102 103");
    if (m)
        memmove(m, m + 6, strlen(m + 6) + 1);
    return out;
}

TEST(recording_leaves_out_an_h264_stage_that_webm_cannot_hold)
{
    struct fixture f;
    ASSERT(setup(&f, false));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    publish_source(&f, t, "TTTT", 1111, 2222, "camera");
    uint32_t camera = producer_of(&f, t, SDP_KIND_VIDEO);
    fixture_send(&f, t, "{\"type\":\"recording_start\"}");
    ASSERT_EQ(camera, last_video(&f));
    /* An H.264 screen share takes the stage: the file gets no video. */
    char *sdp = harness_offer("SSSS", 3333, 4444);
    char *h264 = h264_only(sdp);
    json_t *m = json_pack("{s:s, s:s, s:{s:s}}", "type", "publish", "sdp", h264, "sources", "1",
                          "screen");
    char *text = json_dumps(m, 0);
    harness_send(&f.h, s, text);
    free(text);
    json_decref(m);
    free(h264);
    free(sdp);
    uint32_t screen = producer_of(&f, s, SDP_KIND_VIDEO);
    ASSERT(screen);
    ASSERT_EQ(screen, stage_producer(t->p->lesson));
    ASSERT_EQ(0, last_video(&f));
    /* A VP8 stage again: recorded again. */
    fixture_send(&f, s, "{\"type\":\"leave\"}");
    ASSERT_EQ(camera, last_video(&f));
    fixture_free(&f);
}
