/* Hands, floor and mutes (floor.c): the hand queue, the publish right of
 * students, and media paused at the server (the fake media plane records
 * producer_pause / producer_resume). */
#include "test.h"

#include <stdlib.h>

#include "lesson_helpers.h"

static void sendf(struct fixture *f, struct fake_conn *c, const char *fmt, const char *who)
{
    char frame[200];
    snprintf(frame, sizeof(frame), fmt, who);
    harness_send(&f->h, c, frame);
}

static void publish(struct fixture *f, struct fake_conn *c, const char *tag, uint32_t a,
                    uint32_t v)
{
    char *sdp = harness_offer(tag, a, v);
    char *msg = harness_publish_msg(sdp);
    harness_send(&f->h, c, msg);
    free(msg);
    free(sdp);
}

/* Producer id of c's track of kind ("audio"/"video"), 0 when none. */
static uint32_t producer_of(struct fake_conn *c, enum sdp_media_kind kind)
{
    for (size_t i = 0; i < c->p->pub.n_producers; i++)
        if (c->p->pub.producers[i].track.kind == kind)
            return c->p->pub.producers[i].id;
    return 0;
}

/* Whether the last pause/resume call for producer id was a pause. */
static int paused_at_server(struct fixture *f, uint32_t id)
{
    int state = -1;
    for (size_t i = 0; i < f->h.media.n; i++) {
        const struct fake_call *c = &f->h.media.calls[i];
        if (c->id == id && strcmp(c->op, "producer_pause") == 0)
            state = 1;
        if (c->id == id && strcmp(c->op, "producer_resume") == 0)
            state = 0;
    }
    return state;
}

TEST(hands_queue_is_in_raising_order_and_for_staff_only)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    struct fake_conn *s1 = lh_joined(&f, "student", "S1");
    struct fake_conn *s2 = lh_joined(&f, "student", "S2");
    harness_send(&f.h, t, "{\"type\":\"hand_raise\"}");
    ASSERT_STR_EQ("raise_hand", lh_field(t, "error", "right"));
    harness_send(&f.h, s2, "{\"type\":\"hand_raise\"}");
    f.h.sig->now_ms += 1000;
    harness_send(&f.h, s1, "{\"type\":\"hand_raise\",\"req\":3}");
    ASSERT_STR_EQ("hand_raise", lh_field(s1, "ok", "ref"));
    ASSERT(lh_has(s1, "hand") && !lh_has(s1, "hands"));
    json_t *h = NULL, *m;
    while ((m = harness_next_of(t, "hands"))) {
        json_decref(h);
        h = m;
    }
    json_t *q = json_object_get(h, "queue");
    ASSERT_EQ(2, json_array_size(q));
    ASSERT_STR_EQ(lh_id(s2), js(json_array_get(q, 0), "participant"));
    ASSERT_STR_EQ("S1", js(json_array_get(q, 1), "name"));
    ASSERT_EQ(FIXTURE_T0, ji(json_array_get(q, 0), "since"));
    json_decref(h);
    /* Someone else's hand: staff only. */
    sendf(&f, s1, "{\"type\":\"hand_lower\",\"participant\":\"%s\"}", lh_id(s2));
    ASSERT_STR_EQ("give_floor", lh_field(s1, "error", "right"));
    sendf(&f, t, "{\"type\":\"hand_lower\",\"participant\":\"%s\"}", lh_id(s2));
    ASSERT(!s2->p->hand_raised);
    harness_send(&f.h, s1, "{\"type\":\"hand_lower\"}");
    ASSERT(!s1->p->hand_raised);
    fixture_free(&f);
}

TEST(student_publish_is_refused_without_the_floor)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, true));
    struct fake_conn *s = lh_joined(&f, "student", "S");
    publish(&f, s, "SSSS", 1111, 2222);
    json_t *e = harness_next_of(s, "error");
    ASSERT(e);
    ASSERT_STR_EQ("forbidden", js(e, "code"));
    ASSERT_STR_EQ("publish", js(e, "right"));
    ASSERT_STR_EQ("publish", js(e, "ref"));
    json_decref(e);
    ASSERT_EQ(0, fake_count(&f.h.media, "transport_create"));
    fixture_free(&f);
}

TEST(floor_lets_a_student_speak_and_taking_it_pauses_the_media_at_the_server)
{
    struct fixture f;
    /* students_video off: with the floor only the mic goes through. */
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, false));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    struct fake_conn *a = lh_joined(&f, "assistant", "A");
    struct fake_conn *s = lh_joined(&f, "student", "S");
    sendf(&f, s, "{\"type\":\"floor_give\",\"participant\":\"%s\"}", lh_id(s));
    ASSERT_STR_EQ("give_floor", lh_field(s, "error", "right"));
    sendf(&f, a, "{\"type\":\"floor_give\",\"participant\":\"%s\"}", lh_id(t));
    ASSERT_STR_EQ("bad_message", lh_error(a));   /* staff need no floor */
    sendf(&f, a, "{\"type\":\"floor_give\",\"participant\":\"%s\"}", lh_id(s));
    ASSERT_STR_EQ("floor_give", lh_field(a, "ok", "ref"));
    json_t *fl = harness_next_of(t, "floor");
    ASSERT(fl && json_is_true(json_object_get(fl, "floor")));
    json_decref(fl);
    ASSERT(lh_has(s, "rights"));
    fixture_drain(s);
    publish(&f, s, "SSSS", 1111, 2222);
    json_t *ans = harness_next_of(s, "publish_answer");
    ASSERT(ans);
    json_t *tracks = json_object_get(ans, "tracks");
    ASSERT_EQ(2, json_array_size(tracks));
    ASSERT(!json_object_get(json_array_get(tracks, 0), "paused"));          /* audio */
    ASSERT(json_is_true(json_object_get(json_array_get(tracks, 1), "paused")));   /* video */
    json_decref(ans);
    uint32_t audio = producer_of(s, SDP_KIND_AUDIO), video = producer_of(s, SDP_KIND_VIDEO);
    ASSERT(audio && video);
    ASSERT_EQ(-1, paused_at_server(&f, audio));
    ASSERT_EQ(1, paused_at_server(&f, video));
    sendf(&f, t, "{\"type\":\"floor_take\",\"participant\":\"%s\"}", lh_id(s));
    ASSERT_EQ(1, paused_at_server(&f, audio));
    ASSERT(!s->p->has_floor);
    /* Given back: resumed without a new offer. */
    sendf(&f, t, "{\"type\":\"floor_give\",\"participant\":\"%s\"}", lh_id(s));
    ASSERT_EQ(0, paused_at_server(&f, audio));
    ASSERT_EQ(1, paused_at_server(&f, video));
    fixture_free(&f);
}

TEST(mute_stop_video_and_mute_all_pause_at_the_server_and_tell_the_person)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, true, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    struct fake_conn *a = lh_joined(&f, "assistant", "A");
    struct fake_conn *s = lh_joined(&f, "student", "S");
    publish(&f, t, "TTTT", 1111, 2222);
    publish(&f, s, "SSSS", 3333, 4444);
    uint32_t ta = producer_of(t, SDP_KIND_AUDIO), sv = producer_of(s, SDP_KIND_VIDEO);
    uint32_t sa = producer_of(s, SDP_KIND_AUDIO);
    sendf(&f, s, "{\"type\":\"mute\",\"participant\":\"%s\",\"kind\":\"audio\"}", lh_id(t));
    ASSERT_STR_EQ("mute_others", lh_field(s, "error", "right"));
    sendf(&f, a, "{\"type\":\"mute\",\"participant\":\"%s\",\"kind\":\"sound\"}", lh_id(t));
    ASSERT_STR_EQ("bad_message", lh_error(a));
    sendf(&f, a, "{\"type\":\"mute\",\"participant\":\"%s\",\"kind\":\"audio\"}", lh_id(t));
    ASSERT_EQ(1, paused_at_server(&f, ta));
    ASSERT_STR_EQ("audio", lh_field(t, "muted", "kind"));
    harness_send(&f.h, t, "{\"type\":\"unmute\",\"kind\":\"audio\"}");
    ASSERT_EQ(0, paused_at_server(&f, ta));
    sendf(&f, t, "{\"type\":\"stop_video\",\"participant\":\"%s\"}", lh_id(s));
    ASSERT_EQ(1, paused_at_server(&f, sv));
    ASSERT_STR_EQ("video", lh_field(s, "muted", "kind"));
    harness_send(&f.h, s, "{\"type\":\"mute_all\"}");
    ASSERT_STR_EQ("mute_others", lh_field(s, "error", "right"));
    harness_send(&f.h, t, "{\"type\":\"mute_all\"}");
    ASSERT_EQ(1, paused_at_server(&f, sa));
    ASSERT(a->p->muted_audio && !t->p->muted_audio);   /* everyone but the sender */
    fixture_free(&f);
}
