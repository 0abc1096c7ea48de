/* The subscribe connection as a fixed set of slots: the first offer (3 audio,
 * stage, N speakers), one consumer per slot, assignments switched on the
 * consumers with `slots` messages and no renegotiation when people publish,
 * leave or speak, a renegotiation only when N changes, the stage, one's own
 * media never received, receive modes, ICE restart and the end of a
 * connection. */
#include "test.h"

#include <stdlib.h>

#include "harness.h"
#include "signaling/lesson.h"
#include "signaling/subscribe.h"

#define N_SLOTS (SUB_FIRST_SPEAKER + SLOTS_DEFAULT_SPEAKERS)

static void publish(struct harness *h, struct fake_conn *c, char *sdp)
{
    char *msg = harness_publish_msg(sdp);
    harness_send(h, c, msg);
    free(msg);
    free(sdp);
}

/* Answers the subscribe_offer m (borrowed) as Chromium would. */
static void answer(struct harness *h, struct fake_conn *c, json_t *offer)
{
    char *sdp = harness_answer(js(offer, "sdp"));
    char *msg = harness_answer_msg(sdp, ji(offer, "version"));
    harness_send(h, c, msg);
    free(msg);
    free(sdp);
}

static void join_as(struct harness *h, struct fake_conn *c, const char *name, const char *role)
{
    char buf[160];
    snprintf(buf, sizeof(buf), "{\"type\":\"join\",\"lesson\":\"math\",\"name\":\"%s\","
             "\"role\":\"%s\"}", name, role);
    harness_send(h, c, buf);
    json_decref(harness_next_of(c, "joined"));
}

static uint32_t sdp_ssrc_of_mid(const char *sdp, const char *mid)
{
    char want[48];
    snprintf(want, sizeof(want), "a=mid:%s\r\n", mid);
    const char *m = strstr(sdp, want);
    const char *s = m ? strstr(m, "a=ssrc:") : NULL;
    return s ? (uint32_t)strtoul(s + 7, NULL, 10) : 0;
}

static json_t *slot(json_t *msg, size_t i)
{
    json_t *list = json_object_get(msg, "tracks");
    if (!list)
        list = json_object_get(msg, "slots");
    return json_array_get(list, i);
}

/* The participant slot i shows, "" when idle. */
static const char *who(json_t *msg, size_t i)
{
    const char *p = js(slot(msg, i), "participant");
    return p ? p : "";
}

/* The producer ids of a participant's mic and camera (the harness offer:
 * mid 0 audio, mid 1 video). */
static uint32_t producer_of(struct fake_conn *c, const char *mid)
{
    struct producer_ref *r = participant_producer_find(c->p, mid);
    return r ? r->id : 0;
}

/* The last consumer_source call for consumer id, or NULL. */
static const struct fake_call *last_switch(struct harness *h, uint32_t consumer_id)
{
    const struct fake_call *found = NULL;
    for (size_t i = 0; i < h->media.n; i++)
        if (strcmp(h->media.calls[i].op, "consumer_source") == 0 &&
            h->media.calls[i].id == consumer_id)
            found = &h->media.calls[i];
    return found;
}

/* a (student) publishes, b joins and answers its first offer. */
static json_t *two(struct harness *h, struct fake_conn **a, struct fake_conn **b)
{
    harness_init(h);
    *a = harness_connect(h);
    *b = harness_connect(h);
    harness_join(h, *a, "A");
    harness_join(h, *b, "B");
    publish(h, *a, harness_offer("AAAA", 1111, 2222));
    json_t *offer = harness_next_of(*b, "subscribe_offer");
    if (offer)
        answer(h, *b, offer);
    return offer;
}

TEST(first_offer_has_three_audio_slots_a_stage_and_n_speaker_slots)
{
    struct harness h;
    struct fake_conn *a, *b;
    harness_init(&h);
    a = harness_connect(&h);
    b = harness_connect(&h);
    harness_join(&h, a, "A");
    harness_join(&h, b, "B");
    ASSERT_EQ(0, harness_pending(b));   /* nothing to receive yet: no offer */
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    json_t *m = harness_next_of(b, "subscribe_offer");
    ASSERT(m);
    ASSERT_EQ(1, ji(m, "version"));
    ASSERT_EQ(N_SLOTS, json_array_size(json_object_get(m, "tracks")));
    for (size_t i = 0; i < N_SLOTS; i++) {
        char mid[8];
        snprintf(mid, sizeof(mid), "%zu", i);
        ASSERT_STR_EQ(mid, js(slot(m, i), "mid"));
        ASSERT_STR_EQ(i < 3 ? "audio" : "video", js(slot(m, i), "kind"));
        ASSERT_STR_EQ(i < 3 ? "audio" : i == 3 ? "stage" : "speaker", js(slot(m, i), "role"));
        ASSERT(sdp_ssrc_of_mid(js(m, "sdp"), mid) != 0);   /* every slot sendonly, SSRC fixed */
    }
    /* A student's mic and camera: an audio slot and a speaker slot; no
     * teacher, so no stage. */
    ASSERT_STR_EQ("p1", who(m, 0));
    ASSERT_STR_EQ("mic", js(slot(m, 0), "source"));
    ASSERT_STR_EQ("", who(m, 1));
    ASSERT(json_is_false(json_object_get(slot(m, 1), "active")));
    ASSERT_STR_EQ("", who(m, 3));
    ASSERT_STR_EQ("p1", who(m, 4));
    ASSERT_STR_EQ("camera", js(slot(m, 4), "source"));
    ASSERT(json_is_true(json_object_get(slot(m, 4), "active")));
    const char *sdp = js(m, "sdp");
    ASSERT(strstr(sdp, "a=ice-lite"));
    ASSERT(strstr(sdp, "a=setup:actpass"));
    ASSERT(strstr(sdp, "a=msid:slot-4 speaker-4"));
    ASSERT(strstr(sdp, "a=ssrc-group:FID"));
    ASSERT(!strstr(sdp, "a=inactive"));
    json_decref(m);
    json_decref(harness_next_of(a, "publish_answer"));
    ASSERT(!harness_next_of(a, "subscribe_offer"));   /* never one's own media */
    harness_free(&h);
}

TEST(answer_makes_the_transport_and_one_consumer_per_slot_idle_ones_too)
{
    struct harness h;
    struct fake_conn *a, *b;
    json_t *offer = two(&h, &a, &b);
    ASSERT(offer);
    ASSERT_EQ(0, harness_pending(b));   /* a good answer gets no reply */
    ASSERT_EQ(2, fake_count(&h.media, "transport_create"));
    const struct fake_call *t = fake_find(&h.media, "transport_create", 1);
    char want[64];
    snprintf(want, sizeof(want), "a=ice-ufrag:%s\r\n", t->ufrag);
    ASSERT(strstr(js(offer, "sdp"), want));
    ASSERT_EQ(N_SLOTS, fake_count(&h.media, "consumer_create"));
    for (size_t i = 0; i < N_SLOTS; i++) {
        const struct fake_call *c = fake_find(&h.media, "consumer_create", i);
        char mid[8];
        snprintf(mid, sizeof(mid), "%zu", i);
        ASSERT_STR_EQ(mid, c->out.mid);
        ASSERT_EQ(t->id, c->transport_id);
        ASSERT_EQ(sdp_ssrc_of_mid(js(offer, "sdp"), mid), c->out.ssrc);
        uint32_t want_producer = i == 0 ? producer_of(a, "0") : i == 4 ? producer_of(a, "1") : 0;
        ASSERT_EQ(want_producer, c->producer_id);
    }
    json_decref(offer);
    harness_free(&h);
}

TEST(a_new_publisher_fills_idle_slots_without_a_new_offer)
{
    struct harness h;
    struct fake_conn *a, *b;
    json_decref(two(&h, &a, &b));
    struct fake_conn *c = harness_connect(&h);
    harness_join(&h, c, "C");
    json_t *cv = harness_next_of(c, "subscribe_offer");   /* c gets a's media at once */
    ASSERT(cv);
    ASSERT_STR_EQ("p1", who(cv, 0));
    json_decref(cv);
    size_t creates = fake_count(&h.media, "consumer_create");
    publish(&h, c, harness_offer("CCCC", 3333, 4444));
    uint64_t version = b->p->sub.version;
    json_t *s = harness_next_of(b, "slots");
    ASSERT(s);
    ASSERT_EQ(version, b->p->sub.version);   /* no subscribe_offer */
    ASSERT_STR_EQ("p1", who(s, 0));   /* a stays where it was */
    ASSERT_STR_EQ("p3", who(s, 1));
    ASSERT_STR_EQ("p1", who(s, 4));
    ASSERT_STR_EQ("p3", who(s, 5));
    json_decref(s);
    ASSERT_EQ(creates, fake_count(&h.media, "consumer_create"));   /* no new consumer */
    ASSERT_EQ(producer_of(c, "0"), last_switch(&h, b->p->sub.slots[1].consumer_id)->producer_id);
    ASSERT_EQ(producer_of(c, "1"), last_switch(&h, b->p->sub.slots[5].consumer_id)->producer_id);
    harness_free(&h);
}

TEST(leave_idles_the_slots_and_keeps_the_connection)
{
    struct harness h;
    struct fake_conn *a, *b;
    json_decref(two(&h, &a, &b));
    uint32_t audio = b->p->sub.slots[0].consumer_id, video = b->p->sub.slots[4].consumer_id;
    harness_send(&h, a, "{\"type\":\"leave\"}");
    ASSERT(a->closed);
    ASSERT_EQ(0, fake_count(&h.media, "consumer_close"));   /* b's consumers stay */
    ASSERT_EQ(2, fake_count(&h.media, "producer_close"));
    ASSERT_EQ(0, last_switch(&h, audio)->producer_id);
    ASSERT_EQ(0, last_switch(&h, video)->producer_id);
    json_t *m = harness_next(b);
    ASSERT_STR_EQ("participant_left", js(m, "type"));
    json_decref(m);
    m = harness_next(b);
    ASSERT_STR_EQ("slots", js(m, "type"));
    ASSERT_EQ(N_SLOTS, json_array_size(json_object_get(m, "slots")));
    for (size_t i = 0; i < N_SLOTS; i++)
        ASSERT_STR_EQ("", who(m, i));
    json_decref(m);
    ASSERT_EQ(0, harness_pending(b));   /* no subscribe_offer */
    harness_free(&h);
}

TEST(answer_to_an_old_or_unknown_version_is_bad_message)
{
    struct harness h;
    struct fake_conn *a, *b;
    json_t *v1 = two(&h, &a, &b);
    ASSERT(v1);
    answer(&h, b, v1);   /* again: v1 is no longer waiting */
    json_t *m = harness_next_of(b, "error");
    ASSERT(m);
    ASSERT_STR_EQ("bad_message", js(m, "code"));
    ASSERT_STR_EQ("subscribe_answer", js(m, "ref"));
    json_decref(m);
    json_decref(v1);
    harness_free(&h);
}

TEST(answer_that_does_not_match_the_offer_is_bad_sdp)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_join(&h, a, "A");
    harness_join(&h, b, "B");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    json_t *v1 = harness_next_of(b, "subscribe_offer");
    char *good = harness_answer(js(v1, "sdp"));
    char *bad = strdup(good);
    char *setup = strstr(bad, "a=setup:active");
    memcpy(setup, "a=setup:passiv", 14);   /* the client may not take the DTLS server role */
    char *msg = harness_answer_msg(bad, 1);
    harness_send(&h, b, msg);
    free(msg);
    json_t *m = harness_next_of(b, "error");
    ASSERT(m);
    ASSERT_STR_EQ("bad_sdp", js(m, "code"));
    json_decref(m);
    ASSERT_EQ(0, fake_count(&h.media, "consumer_create"));
    msg = harness_answer_msg(good, 1);   /* the offer is still waiting */
    harness_send(&h, b, msg);
    free(msg);
    ASSERT_EQ(N_SLOTS, fake_count(&h.media, "consumer_create"));
    free(bad);
    free(good);
    json_decref(v1);
    harness_free(&h);
}

TEST(teacher_camera_is_the_stage_and_the_teacher_never_gets_it)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *t = harness_connect(&h), *s = harness_connect(&h);
    join_as(&h, t, "T", "teacher");
    join_as(&h, s, "S", "student");
    publish(&h, t, harness_offer("TTTT", 1111, 2222));
    json_t *m = harness_next_of(s, "subscribe_offer");
    ASSERT(m);
    ASSERT_STR_EQ("p1", who(m, 3));
    ASSERT_STR_EQ("camera", js(slot(m, 3), "source"));
    for (size_t i = 4; i < N_SLOTS; i++)
        ASSERT_STR_EQ("", who(m, i));   /* not again in a speaker slot */
    json_decref(m);
    publish(&h, s, harness_offer("SSSS", 3333, 4444));
    m = harness_next_of(t, "subscribe_offer");
    ASSERT(m);
    ASSERT_STR_EQ("", who(m, 3));       /* its own camera: the stage slot stays idle */
    ASSERT_STR_EQ("p2", who(m, 4));
    ASSERT_STR_EQ("p2", who(m, 0));
    json_decref(m);
    harness_free(&h);
}

/* a, b, c publish (students); d only watches, with N = 1. */
static void four_with_one_speaker(struct harness *h, struct fake_conn **c)
{
    harness_init(h);
    for (int i = 0; i < 4; i++) {
        c[i] = harness_connect(h);
        char name[4] = {(char)('A' + i), 0};
        harness_join(h, c[i], name);
    }
    subscribe_set_last_n(lesson_find(h->sig, "math"), 1);
    for (int i = 0; i < 3; i++) {
        char tag[8];
        snprintf(tag, sizeof(tag), "%c%c%c%c", 'A' + i, 'A' + i, 'A' + i, 'A' + i);
        publish(h, c[i], harness_offer(tag, 1000u + (uint32_t)i, 2000u + (uint32_t)i));
    }
    json_t *offer = harness_next_of(c[3], "subscribe_offer");
    answer(h, c[3], offer);
    json_decref(offer);
}

static void speaking(struct harness *h, uint32_t mic, int on)
{
    struct sfu_event ev = {.type = SFU_EVENT_SPEAKING_CHANGED, .id = mic, .value = on};
    signaling_media_event(h->sig, &ev);
}

/* The last `slots` message waiting on c, or NULL (consumes the rest). */
static json_t *last_slots(struct fake_conn *c)
{
    json_t *found = NULL;
    while (harness_pending(c)) {
        json_t *m = harness_next(c);
        if (strcmp(js(m, "type"), "slots") == 0) {
            json_decref(found);
            found = m;
        } else {
            json_decref(m);
        }
    }
    return found;
}

TEST(speaker_slot_follows_who_speaks_without_renegotiation)
{
    struct harness h;
    struct fake_conn *c[4];
    four_with_one_speaker(&h, c);
    struct participant *d = c[3]->p;
    ASSERT_EQ(SUB_FIRST_SPEAKER + 1, d->sub.n_slots);
    ASSERT_EQ(producer_of(c[0], "1"), d->sub.slots[4].producer_id);   /* a filler: first camera */
    uint32_t consumer = d->sub.slots[4].consumer_id;
    uint64_t version = d->sub.version;
    json_decref(last_slots(c[3]));
    speaking(&h, producer_of(c[2], "0"), 1);   /* C speaks */
    json_t *m = last_slots(c[3]);
    ASSERT(m);
    ASSERT_STR_EQ("p3", who(m, 4));
    ASSERT_STR_EQ("camera", js(slot(m, 4), "source"));
    json_decref(m);
    ASSERT_EQ(producer_of(c[2], "1"), last_switch(&h, consumer)->producer_id);
    speaking(&h, producer_of(c[2], "0"), 0);
    speaking(&h, producer_of(c[1], "0"), 1);   /* then B */
    m = last_slots(c[3]);
    ASSERT(m);
    ASSERT_STR_EQ("p2", who(m, 4));
    json_decref(m);
    ASSERT_EQ(producer_of(c[1], "1"), last_switch(&h, consumer)->producer_id);
    ASSERT_EQ(version, d->sub.version);   /* never a new offer */
    /* B itself sees C, the last speaker but itself. */
    ASSERT_EQ(producer_of(c[2], "1"), c[1]->p->sub.slots[4].producer_id);
    harness_free(&h);
}

TEST(changing_n_renegotiates_and_keeps_the_ssrcs)
{
    struct harness h;
    struct fake_conn *c[4];
    four_with_one_speaker(&h, c);
    struct participant *d = c[3]->p;
    uint32_t ssrc4 = d->sub.slots[4].ssrc;
    json_decref(last_slots(c[3]));
    subscribe_set_last_n(lesson_find(h.sig, "math"), 3);
    json_t *m = harness_next_of(c[3], "subscribe_offer");
    ASSERT(m);
    ASSERT_EQ(SUB_FIRST_SPEAKER + 3, json_array_size(json_object_get(m, "tracks")));
    ASSERT_EQ(ssrc4, sdp_ssrc_of_mid(js(m, "sdp"), "4"));
    ASSERT_STR_EQ("p1", who(m, 4));
    ASSERT_STR_EQ("p2", who(m, 5));
    ASSERT_STR_EQ("p3", who(m, 6));
    size_t creates = fake_count(&h.media, "consumer_create");
    answer(&h, c[3], m);
    json_decref(m);
    ASSERT_EQ(creates + 2, fake_count(&h.media, "consumer_create"));   /* the two new slots */
    /* Back to 1: the extra m-lines stay, inactive, and their consumers close. */
    subscribe_set_last_n(lesson_find(h.sig, "math"), 1);
    m = harness_next_of(c[3], "subscribe_offer");
    ASSERT(m);
    ASSERT_EQ(SUB_FIRST_SPEAKER + 3, json_array_size(json_object_get(m, "tracks")));
    ASSERT(strstr(js(m, "sdp"), "a=inactive"));
    ASSERT_EQ(0, sdp_ssrc_of_mid(js(m, "sdp"), "5"));   /* inactive: no SSRC */
    ASSERT_EQ(0, sdp_ssrc_of_mid(js(m, "sdp"), "6"));
    size_t closes = fake_count(&h.media, "consumer_close");
    answer(&h, c[3], m);
    json_decref(m);
    ASSERT_EQ(closes + 2, fake_count(&h.media, "consumer_close"));
    harness_free(&h);
}

TEST(receive_mode_audio_only_detaches_video_and_low_caps_sizes)
{
    struct harness h;
    struct fake_conn *a, *b;
    json_decref(two(&h, &a, &b));
    uint32_t video = b->p->sub.slots[4].consumer_id;
    harness_send(&h, b, "{\"type\":\"receive_mode\",\"mode\":\"audio_only\",\"req\":7}");
    json_t *ok = harness_next_of(b, "receive_mode_ok");
    ASSERT(ok);
    ASSERT_EQ(7, ji(ok, "req"));
    ASSERT_STR_EQ("audio_only", js(ok, "mode"));
    json_decref(ok);
    ASSERT_EQ(0, last_switch(&h, video)->producer_id);
    json_t *m = last_slots(b);
    ASSERT(m);
    ASSERT_STR_EQ("p1", who(m, 0));   /* audio goes on */
    ASSERT_STR_EQ("", who(m, 4));
    json_decref(m);
    harness_send(&h, b, "{\"type\":\"receive_mode\",\"mode\":\"low\"}");
    json_decref(harness_next_of(b, "receive_mode_ok"));
    ASSERT_EQ(producer_of(a, "1"), last_switch(&h, video)->producer_id);
    /* Every video consumer capped at 320x180, a reported size too. */
    const struct fake_call *size = NULL;
    for (size_t i = 0; i < h.media.n; i++)
        if (strcmp(h.media.calls[i].op, "consumer_size") == 0 && h.media.calls[i].id == video)
            size = &h.media.calls[i];
    ASSERT(size);
    ASSERT_EQ(320, size->width);
    ASSERT_EQ(180, size->height);
    harness_send(&h, b, "{\"type\":\"video_size\",\"mid\":\"4\",\"width\":1280,\"height\":720}");
    size = &h.media.calls[h.media.n - 1];
    ASSERT_STR_EQ("consumer_size", size->op);
    ASSERT_EQ(320, size->width);
    harness_send(&h, b, "{\"type\":\"receive_mode\",\"mode\":\"auto\"}");
    json_decref(harness_next_of(b, "receive_mode_ok"));
    size = NULL;
    for (size_t i = 0; i < h.media.n; i++)
        if (strcmp(h.media.calls[i].op, "consumer_size") == 0 && h.media.calls[i].id == video)
            size = &h.media.calls[i];
    ASSERT_EQ(1280, size->width);   /* the tile's own size again */
    harness_send(&h, b, "{\"type\":\"receive_mode\",\"mode\":\"tiny\"}");
    json_t *e = harness_next_of(b, "error");
    ASSERT(e);
    ASSERT_STR_EQ("bad_message", js(e, "code"));
    json_decref(e);
    harness_free(&h);
}

TEST(disconnect_of_a_subscriber_closes_its_consumers_and_transport)
{
    struct harness h;
    struct fake_conn *a, *b;
    json_decref(two(&h, &a, &b));
    uint32_t sub_transport = fake_find(&h.media, "transport_create", 1)->id;
    harness_disconnect(&h, b);
    ASSERT_EQ(N_SLOTS, fake_count(&h.media, "consumer_close"));
    ASSERT_EQ(0, fake_count(&h.media, "producer_close"));
    ASSERT_EQ(sub_transport, fake_find(&h.media, "transport_close", 0)->id);
    json_t *m = harness_next_of(a, "participant_left");
    ASSERT_STR_EQ("p2", js(m, "id"));
    json_decref(m);
    ASSERT(!harness_next_of(a, "subscribe_offer"));
    harness_free(&h);
}

TEST(subscribe_transport_closed_starts_a_new_connection)
{
    struct harness h;
    struct fake_conn *a, *b;
    json_t *v1 = two(&h, &a, &b);
    const struct fake_call *t = fake_find(&h.media, "transport_create", 1);
    struct sfu_event ev = {.type = SFU_EVENT_TRANSPORT_CLOSED, .id = t->id, .detail = "DTLS failed"};
    signaling_media_event(h.sig, &ev);
    json_t *m = harness_next(b);
    ASSERT_STR_EQ("transport_closed", js(m, "type"));
    ASSERT_STR_EQ("subscribe", js(m, "transport"));
    ASSERT_STR_EQ("DTLS failed", js(m, "reason"));
    json_decref(m);
    ASSERT_EQ(N_SLOTS, fake_count(&h.media, "consumer_close"));
    ASSERT_EQ(t->id, fake_find(&h.media, "transport_close", 0)->id);
    json_t *v2 = harness_next(b);
    ASSERT_STR_EQ("subscribe_offer", js(v2, "type"));
    ASSERT_EQ(2, ji(v2, "version"));
    ASSERT_EQ(N_SLOTS, json_array_size(json_object_get(v2, "tracks")));
    ASSERT_STR_EQ("p1", who(v2, 0));
    ASSERT_STR_EQ("p1", who(v2, 4));
    ASSERT(strcmp(js(v1, "sdp"), js(v2, "sdp")) != 0);
    answer(&h, b, v2);
    ASSERT_EQ(3, fake_count(&h.media, "transport_create"));
    ASSERT(strcmp(fake_find(&h.media, "transport_create", 2)->ufrag, t->ufrag) != 0);
    ASSERT_EQ(2 * N_SLOTS, fake_count(&h.media, "consumer_create"));
    json_decref(v1);
    json_decref(v2);
    harness_free(&h);
}

TEST(layers_wanted_reach_the_publisher_by_mid)
{
    struct harness h;
    struct fake_conn *a, *b;
    json_decref(two(&h, &a, &b));
    struct producer_ref *cam = participant_producer_find(a->p, "1");
    ASSERT(cam);
    /* The harness offer has no rids: give the track three, as a simulcast
     * publisher's would have. */
    cam->track.n_rids = 3;
    snprintf(cam->track.rids[0].id, sizeof(cam->track.rids[0].id), "q");
    snprintf(cam->track.rids[1].id, sizeof(cam->track.rids[1].id), "h");
    snprintf(cam->track.rids[2].id, sizeof(cam->track.rids[2].id), "f");
    while (harness_pending(a))
        json_decref(harness_next(a));
    struct sfu_event ev = {.type = SFU_EVENT_LAYERS_CHANGED, .id = cam->id, .value = 5,
                           .detail = "q,f"};
    signaling_media_event(h.sig, &ev);
    json_t *m = harness_next_of(a, "layers");
    ASSERT(m);
    ASSERT_STR_EQ("1", js(m, "mid"));
    json_t *active = json_object_get(m, "active");
    ASSERT_EQ(2, json_array_size(active));
    ASSERT_STR_EQ("q", json_string_value(json_array_get(active, 0)));
    ASSERT_STR_EQ("f", json_string_value(json_array_get(active, 1)));
    json_decref(m);
    ASSERT(!harness_next_of(b, "layers"));   /* only its publisher hears it */
    /* The mic (no rids) and unknown producers: nothing. */
    ev.id = producer_of(a, "0");
    signaling_media_event(h.sig, &ev);
    ev.id = 999;
    signaling_media_event(h.sig, &ev);
    ASSERT_EQ(0, harness_pending(a));
    harness_free(&h);
}

TEST(events_for_unknown_transports_and_producers_are_ignored)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    harness_join(&h, a, "A");
    struct sfu_event ev = {.type = SFU_EVENT_TRANSPORT_CLOSED, .id = 99, .detail = "gone"};
    signaling_media_event(h.sig, &ev);
    ev.type = SFU_EVENT_PRODUCER_ACTIVE;
    signaling_media_event(h.sig, &ev);
    ev.type = SFU_EVENT_SPEAKING_CHANGED;
    ev.value = 1;
    signaling_media_event(h.sig, &ev);
    ev.type = SFU_EVENT_AUDIO_LEVEL;
    ev.value = 30;
    signaling_media_event(h.sig, &ev);
    ASSERT_EQ(0, harness_pending(a));
    harness_free(&h);
}

TEST(loudest_speakers_take_the_audio_slots_from_level_events)
{
    struct harness h;
    struct fake_conn *c[6];
    harness_init(&h);
    for (int i = 0; i < 6; i++) {
        c[i] = harness_connect(&h);
        char name[4] = {(char)('A' + i), 0};
        harness_join(&h, c[i], name);
    }
    for (int i = 0; i < 5; i++) {   /* A..E publish, F only listens */
        char tag[8];
        snprintf(tag, sizeof(tag), "%c%c%c%c", 'A' + i, 'A' + i, 'A' + i, 'A' + i);
        publish(&h, c[i], harness_offer(tag, 1000u + (uint32_t)i, 2000u + (uint32_t)i));
    }
    json_t *offer = harness_next_of(c[5], "subscribe_offer");   /* since A published */
    ASSERT(offer);
    answer(&h, c[5], offer);
    json_decref(offer);
    /* Nobody spoke: the first three microphones. */
    json_t *m = last_slots(c[5]);
    ASSERT(m);
    ASSERT_STR_EQ("p1", who(m, 0));
    ASSERT_STR_EQ("p2", who(m, 1));
    ASSERT_STR_EQ("p3", who(m, 2));
    json_decref(m);
    uint64_t version = c[5]->p->sub.version;
    /* D and E speak, E louder: they take the audio slots of B and C, A
     * (a filler) stays where it was. */
    for (int round = 0; round < 4; round++) {
        h.sig->now_ms = 1000 + 250 * (uint64_t)round;
        for (int i = 3; i < 5; i++) {
            uint32_t mic = producer_of(c[i], "0");
            if (round == 0)
                speaking(&h, mic, 1);
            struct sfu_event ev = {.type = SFU_EVENT_AUDIO_LEVEL, .id = mic, .value = 10 + 5 * i};
            signaling_media_event(h.sig, &ev);
        }
    }
    m = last_slots(c[5]);
    ASSERT(m);
    ASSERT_STR_EQ("p1", who(m, 0));
    ASSERT(strcmp(who(m, 1), "p4") == 0 || strcmp(who(m, 1), "p5") == 0);
    ASSERT(strcmp(who(m, 2), "p4") == 0 || strcmp(who(m, 2), "p5") == 0);
    ASSERT(strcmp(who(m, 1), who(m, 2)) != 0);
    json_decref(m);
    ASSERT_EQ(version, c[5]->p->sub.version);   /* switched, not renegotiated */
    /* D hears E and the others, never itself. */
    struct participant *d = c[3]->p;
    for (size_t i = 0; i < SLOTS_AUDIO; i++)
        ASSERT(d->sub.slots[i].producer_id != producer_of(c[3], "0"));
    harness_free(&h);
}

TEST(screen_share_takes_the_stage_and_the_presenters_camera_a_speaker_slot)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *t = harness_connect(&h), *s = harness_connect(&h);
    join_as(&h, t, "T", "teacher");
    join_as(&h, s, "S", "student");
    publish(&h, t, harness_offer("TTTT", 1111, 2222));
    json_t *offer = harness_next_of(s, "subscribe_offer");
    ASSERT(offer);
    ASSERT_STR_EQ("camera", js(slot(offer, 3), "source"));
    answer(&h, s, offer);
    json_decref(offer);
    uint32_t stage_consumer = s->p->sub.slots[3].consumer_id;
    /* The teacher starts sharing her screen: a second video m-line, mid 3. */
    char *sdp = harness_offer3("TTTT", 1111, 2222, 3333);
    json_t *msg = json_pack("{s:s, s:s, s:{s:s}}", "type", "publish", "sdp", sdp, "sources", "3",
                            "screen");
    char *text = json_dumps(msg, 0);
    harness_send(&h, t, text);
    free(text);
    json_decref(msg);
    free(sdp);
    json_t *m = last_slots(s);
    ASSERT(m);
    ASSERT_STR_EQ("p1", who(m, 3));
    ASSERT_STR_EQ("screen", js(slot(m, 3), "source"));
    ASSERT_STR_EQ("p1", who(m, 4));   /* her face, in the first speaker slot */
    ASSERT_STR_EQ("camera", js(slot(m, 4), "source"));
    json_decref(m);
    ASSERT_EQ(producer_of(t, "3"), last_switch(&h, stage_consumer)->producer_id);
    ASSERT_EQ(1, s->p->sub.version);   /* no renegotiation */
    harness_free(&h);
}

/* ---- ICE restart ---------------------------------------------------------- */

TEST(subscribe_restart_offers_new_ice_credentials_on_the_same_connection)
{
    struct harness h;
    struct fake_conn *a, *b;
    json_t *o1 = two(&h, &a, &b);
    ASSERT(o1);
    char u1[64];
    snprintf(u1, sizeof(u1), "%s", harness_sdp_attr(js(o1, "sdp"), "ice-ufrag"));
    uint32_t transport = fake_find(&h.media, "transport_create", 1)->id;
    size_t consumers = fake_count(&h.media, "consumer_create");

    harness_send(&h, b, "{\"type\":\"subscribe_restart\",\"req\":5}");
    json_t *ok = harness_next(b);
    ASSERT_STR_EQ("subscribe_restart_ok", js(ok, "type"));
    ASSERT_EQ(5, ji(ok, "req"));
    json_decref(ok);
    json_t *o2 = harness_next_of(b, "subscribe_offer");
    ASSERT(o2);
    ASSERT_EQ(ji(o1, "version") + 1, ji(o2, "version"));
    const char *u2 = harness_sdp_attr(js(o2, "sdp"), "ice-ufrag");
    ASSERT(u2[0] && strcmp(u1, u2) != 0);
    const struct fake_call *r = fake_find(&h.media, "transport_restart_ice", 0);
    ASSERT(r);
    ASSERT_EQ(transport, r->id);
    ASSERT_STR_EQ(u2, r->ufrag);
    ASSERT_STR_EQ(harness_sdp_attr(js(o2, "sdp"), "ice-pwd"), r->pwd);
    /* The slots and their streams stay. */
    ASSERT_EQ(sdp_ssrc_of_mid(js(o1, "sdp"), "4"), sdp_ssrc_of_mid(js(o2, "sdp"), "4"));
    answer(&h, b, o2);
    ASSERT_EQ(2, fake_count(&h.media, "transport_create"));
    ASSERT_EQ(consumers, fake_count(&h.media, "consumer_create"));
    ASSERT_EQ(0, fake_count(&h.media, "consumer_close"));
    ASSERT(!harness_next_of(b, "error"));
    json_decref(o2);
    json_decref(o1);
    harness_free(&h);
}

TEST(subscribe_restart_while_an_offer_waits_comes_after_its_answer)
{
    struct harness h;
    struct fake_conn *a, *b;
    json_decref(two(&h, &a, &b));
    harness_send(&h, b, "{\"type\":\"subscribe_restart\"}");
    json_t *o2 = harness_next_of(b, "subscribe_offer");
    ASSERT(o2);
    char u2[64];
    snprintf(u2, sizeof(u2), "%s", harness_sdp_attr(js(o2, "sdp"), "ice-ufrag"));
    /* Again before answering: acknowledged, but one offer at a time. */
    harness_send(&h, b, "{\"type\":\"subscribe_restart\"}");
    json_decref(harness_next_of(b, "subscribe_restart_ok"));
    ASSERT_EQ(0, harness_pending(b));
    ASSERT_EQ(1, fake_count(&h.media, "transport_restart_ice"));
    answer(&h, b, o2);
    json_t *o3 = harness_next_of(b, "subscribe_offer");
    ASSERT(o3);
    ASSERT_EQ(ji(o2, "version") + 1, ji(o3, "version"));
    ASSERT(strcmp(u2, harness_sdp_attr(js(o3, "sdp"), "ice-ufrag")) != 0);
    ASSERT_EQ(2, fake_count(&h.media, "transport_restart_ice"));
    json_decref(o3);
    json_decref(o2);
    harness_free(&h);
}

TEST(subscribe_restart_without_a_connection_is_not_found)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *b = harness_connect(&h);
    harness_join(&h, b, "B");
    harness_send(&h, b, "{\"type\":\"subscribe_restart\",\"req\":\"r\"}");
    json_t *e = harness_next(b);
    ASSERT_STR_EQ("error", js(e, "type"));
    ASSERT_STR_EQ("not_found", js(e, "code"));
    ASSERT_STR_EQ("subscribe_restart", js(e, "ref"));
    ASSERT_STR_EQ("r", js(e, "req"));
    json_decref(e);
    ASSERT_EQ(0, fake_count(&h.media, "transport_restart_ice"));
    harness_free(&h);
}
