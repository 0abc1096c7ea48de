/* The lesson's stage (stage.c): the newest screen share of someone allowed to
 * send it, else the teacher's camera, else an assistant's; announced with
 * `stage` and passed to listeners. Track sources come from `sources`. */
#include "test.h"

#include <stdlib.h>

#include "lesson_helpers.h"
#include "signaling/lesson.h"
#include "signaling/stage.h"

/* Publishes audio + video (ssrcs a, v) with the video m-line (mid 1) shown as
 * `video_source` (NULL: no `sources` at all). */
static void publish_as(struct fixture *f, struct fake_conn *c, const char *tag, uint32_t a,
                       uint32_t v, const char *video_source)
{
    char *sdp = harness_offer(tag, a, v);
    json_t *m = json_pack("{s:s, s:s}", "type", "publish", "sdp", sdp);
    if (video_source)
        json_object_set_new(m, "sources", json_pack("{s:s}", "1", video_source));
    char *text = json_dumps(m, 0);
    harness_send(&f->h, c, text);
    free(text);
    json_decref(m);
    free(sdp);
}

static uint32_t video_of(struct fake_conn *c)
{
    for (size_t i = 0; i < c->p->pub.n_producers; i++)
        if (c->p->pub.producers[i].track.kind == SDP_KIND_VIDEO)
            return c->p->pub.producers[i].id;
    return 0;
}

/* The last `stage` frame pending on c (consumed), or NULL. */
static json_t *last_stage(struct fake_conn *c)
{
    json_t *last = NULL, *m;
    while ((m = harness_next_of(c, "stage"))) {
        json_decref(last);
        last = m;
    }
    return last;
}

struct seen {
    uint32_t calls, last;
};

static void on_stage(void *ctx, struct lesson *l, uint32_t producer_id)
{
    struct seen *s = ctx;
    (void)l;
    s->calls++;
    s->last = producer_id;
}

TEST(stage_follows_teacher_camera_then_screen_shares)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 50, true, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    struct fake_conn *a = lh_joined(&f, "assistant", "A");
    struct fake_conn *s = lh_joined(&f, "student", "S");
    struct lesson *l = t->p->lesson;
    struct seen seen = {0};
    ASSERT_EQ(0, stage_listen(l, on_stage, &seen));
    ASSERT_EQ(0, stage_listen(l, on_stage, &seen)); /* once per fn + ctx */
    ASSERT_EQ(0u, stage_producer(l));

    /* An assistant's camera is the stage while the teacher has none. */
    publish_as(&f, a, "a", 21, 22, NULL);
    ASSERT_EQ(video_of(a), stage_producer(l));
    json_t *m = last_stage(s);
    ASSERT(m);
    ASSERT_STR_EQ(lh_id(a), js(m, "participant"));
    ASSERT_STR_EQ("camera", js(m, "source"));
    json_decref(m);

    publish_as(&f, t, "t", 11, 12, "camera");
    uint32_t teacher_cam = video_of(t);
    ASSERT_EQ(teacher_cam, stage_producer(l));
    ASSERT_EQ(2u, seen.calls);
    ASSERT_EQ(teacher_cam, seen.last);
    json_t *ans = harness_next_of(t, "publish_answer");
    ASSERT(ans);
    ASSERT_STR_EQ("camera", js(json_array_get(json_object_get(ans, "tracks"), 1), "source"));
    ASSERT_STR_EQ("mic", js(json_array_get(json_object_get(ans, "tracks"), 0), "source"));
    json_decref(ans);

    /* A student's screen share (the lesson lets students publish) wins. */
    publish_as(&f, s, "s", 31, 32, "screen");
    uint32_t screen = video_of(s);
    ASSERT_EQ(screen, stage_producer(l));
    m = last_stage(t);
    ASSERT(m);
    ASSERT_STR_EQ(lh_id(s), js(m, "participant"));
    ASSERT_STR_EQ("1", js(m, "mid"));
    ASSERT_STR_EQ("screen", js(m, "source"));
    json_decref(m);

    /* Staff mute that video: paused producers are never the stage. */
    char frame[160];
    snprintf(frame, sizeof frame, "{\"type\":\"mute\",\"participant\":\"%s\",\"kind\":\"video\"}",
             lh_id(s));
    harness_send(&f.h, t, frame);
    ASSERT_EQ(teacher_cam, stage_producer(l));

    /* A joiner learns the stage in `joined`. */
    char *token = lh_token(&f, "student", 0, NULL);
    struct fake_conn *late = lh_join(&f, token, "L", NULL);
    free(token);
    json_t *j = harness_next_of(late, "joined");
    ASSERT(j);
    ASSERT_STR_EQ(lh_id(t), js(json_object_get(j, "stage"), "participant"));
    ASSERT_STR_EQ("camera", js(json_object_get(j, "stage"), "source"));
    json_decref(j);

    /* The teacher leaves: back to the assistant's camera. */
    harness_send(&f.h, t, "{\"type\":\"leave\"}");
    ASSERT_EQ(video_of(a), stage_producer(l));
    ASSERT_EQ(video_of(a), seen.last);
    stage_unlisten(l, on_stage, &seen);
    uint32_t calls = seen.calls;
    harness_send(&f.h, a, "{\"type\":\"leave\"}");
    ASSERT_EQ(0u, stage_producer(l));
    ASSERT_EQ(calls, seen.calls);
    m = last_stage(s);
    ASSERT(m);
    ASSERT(json_is_null(json_object_get(m, "participant")));
    json_decref(m);
    fixture_free(&f);
}

TEST(stage_sources_are_checked_against_the_kind)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 50, false, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    publish_as(&f, t, "t", 11, 12, "mic");
    ASSERT_STR_EQ("bad_message", lh_error(t));
    ASSERT_EQ(0u, (unsigned)t->p->pub.n_producers);
    publish_as(&f, t, "t", 11, 12, "projector");
    ASSERT_STR_EQ("bad_message", lh_error(t));
    /* A re-offer may turn the same sender into a screen share. */
    publish_as(&f, t, "t", 11, 12, NULL);
    uint32_t v = video_of(t);
    ASSERT(v);
    publish_as(&f, t, "t", 11, 12, "screen");
    ASSERT_EQ(v, video_of(t));
    ASSERT_EQ(v, stage_producer(t->p->lesson));
    json_t *m = last_stage(t);
    ASSERT(m);
    ASSERT_STR_EQ("screen", js(m, "source"));
    json_decref(m);
    fixture_free(&f);
}
