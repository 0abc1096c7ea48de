/* The subscribe connection: Sabaq's offers, the client's answers, the
 * consumers they create, one outstanding offer at a time, inactive slots,
 * and renegotiation when people leave. */
#include "test.h"

#include <stdlib.h>

#include "harness.h"

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

static uint32_t sdp_ssrc_of_mid(const char *sdp, const char *mid)
{
    char want[48];
    snprintf(want, sizeof(want), "a=mid:%s\r\n", mid);
    const char *m = strstr(sdp, want);
    const char *s = m ? strstr(m, "a=ssrc:") : NULL;
    return s ? (uint32_t)strtoul(s + 7, NULL, 10) : 0;
}

static bool slot_active(json_t *offer, size_t i)
{
    return json_is_true(json_object_get(json_array_get(json_object_get(offer, "tracks"), i),
                                        "active"));
}

TEST(answer_creates_the_subscribe_transport_and_consumers)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_join(&h, a, "A");
    harness_join(&h, b, "B");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    json_t *offer = harness_next_of(b, "subscribe_offer");
    ASSERT(offer);
    ASSERT_EQ(1, fake_count(&h.media, "transport_create"));
    answer(&h, b, offer);
    ASSERT_EQ(0, harness_pending(b));   /* a good answer gets no reply */

    ASSERT_EQ(2, fake_count(&h.media, "transport_create"));
    const struct fake_call *t = fake_find(&h.media, "transport_create", 1);
    char want[64];
    snprintf(want, sizeof(want), "a=ice-ufrag:%s\r\n", t->ufrag);
    ASSERT(strstr(js(offer, "sdp"), want));   /* the offer's credentials */
    ASSERT(strstr(t->fingerprint, "sha-256 90:BC:DB"));   /* the answer's fingerprint */

    ASSERT_EQ(2, fake_count(&h.media, "consumer_create"));
    for (size_t i = 0; i < 2; i++) {
        const struct fake_call *c = fake_find(&h.media, "consumer_create", i);
        const struct fake_call *p = fake_find(&h.media, "producer_create", i);
        ASSERT_EQ(t->id, c->transport_id);
        ASSERT_EQ(p->id, c->producer_id);
        ASSERT_STR_EQ(i ? "1" : "0", c->out.mid);
        ASSERT(c->out.active);
        ASSERT(c->out.ssrc != 0);
        ASSERT_EQ(sdp_ssrc_of_mid(js(offer, "sdp"), c->out.mid), c->out.ssrc);
        ASSERT_STR_EQ("p1", c->out.stream_id);
        ASSERT_STR_EQ("p1", c->out.cname);
        ASSERT_STR_EQ(i ? "p1-1" : "p1-0", c->out.track_id);
    }
    const struct fake_call *cv = fake_find(&h.media, "consumer_create", 1);
    ASSERT(cv->out.rtx_ssrc != 0 && cv->out.rtx_ssrc != cv->out.ssrc);
    json_decref(offer);
    harness_free(&h);
}

TEST(late_joiner_gets_an_offer_right_after_joined)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_join(&h, a, "A");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    harness_send(&h, b, "{\"type\":\"join\",\"lesson\":\"math\",\"name\":\"B\"}");
    ASSERT_EQ(2, harness_pending(b));
    json_t *m = harness_next(b);
    ASSERT_STR_EQ("joined", js(m, "type"));
    json_decref(m);
    m = harness_next(b);
    ASSERT_STR_EQ("subscribe_offer", js(m, "type"));
    ASSERT_EQ(2, json_array_size(json_object_get(m, "tracks")));
    json_decref(m);
    harness_free(&h);
}

TEST(only_one_offer_is_outstanding_and_changes_follow_the_answer)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h), *c = harness_connect(&h);
    harness_join(&h, a, "A");
    harness_join(&h, b, "B");
    harness_join(&h, c, "C");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    json_t *v1 = harness_next_of(b, "subscribe_offer");
    ASSERT(v1);
    publish(&h, c, harness_offer("CCCC", 3333, 4444));
    ASSERT(!harness_next_of(b, "subscribe_offer"));   /* v1 is still unanswered */
    answer(&h, b, v1);
    json_decref(v1);
    json_t *v2 = harness_next_of(b, "subscribe_offer");
    ASSERT(v2);
    ASSERT_EQ(2, ji(v2, "version"));
    json_t *tracks = json_object_get(v2, "tracks");
    ASSERT_EQ(4, json_array_size(tracks));
    ASSERT_STR_EQ("p1", js(json_array_get(tracks, 0), "participant"));
    ASSERT_STR_EQ("p3", js(json_array_get(tracks, 2), "participant"));
    ASSERT_STR_EQ("2", js(json_array_get(tracks, 2), "mid"));
    ASSERT_EQ(2, fake_count(&h.media, "consumer_create"));   /* only what v1 carried */
    answer(&h, b, v2);
    json_decref(v2);
    /* b's consumers: 2 of p1 then 2 of p3; c's answer is pending. */
    ASSERT_EQ(4, fake_count(&h.media, "consumer_create"));
    ASSERT_EQ(3, fake_count(&h.media, "transport_create"));   /* a, c publish; b subscribes */
    harness_free(&h);
}

TEST(answer_to_an_old_or_unknown_version_is_bad_message)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_join(&h, a, "A");
    harness_join(&h, b, "B");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    json_t *v1 = harness_next_of(b, "subscribe_offer");
    json_object_set_new(v1, "version", json_integer(7));
    answer(&h, b, v1);
    json_t *m = harness_next(b);
    ASSERT_STR_EQ("bad_message", js(m, "code"));
    ASSERT_STR_EQ("subscribe_answer", js(m, "ref"));
    json_decref(m);
    json_object_set_new(v1, "version", json_integer(1));
    answer(&h, b, v1);
    ASSERT_EQ(0, harness_pending(b));
    answer(&h, b, v1);   /* answered already */
    m = harness_next(b);
    ASSERT_STR_EQ("bad_message", js(m, "code"));
    json_decref(m);
    ASSERT_EQ(2, fake_count(&h.media, "consumer_create"));
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
    char *p = strstr(bad, "a=setup:active");
    memcpy(p, "a=setup:passiv", 14);   /* Sabaq must stay the DTLS server */
    char *msg = harness_answer_msg(bad, 1);
    harness_send(&h, b, msg);
    free(msg);
    json_t *m = harness_next(b);
    ASSERT_STR_EQ("bad_sdp", js(m, "code"));
    json_decref(m);
    ASSERT_EQ(0, fake_count(&h.media, "consumer_create"));
    msg = harness_answer_msg(good, 1);   /* the offer is still waiting */
    harness_send(&h, b, msg);
    free(msg);
    ASSERT_EQ(0, harness_pending(b));
    ASSERT_EQ(2, fake_count(&h.media, "consumer_create"));
    free(bad);
    free(good);
    json_decref(v1);
    harness_free(&h);
}

TEST(leave_closes_media_and_the_next_offer_marks_slots_inactive)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_join(&h, a, "A");
    harness_join(&h, b, "B");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    json_t *v1 = harness_next_of(b, "subscribe_offer");
    answer(&h, b, v1);
    json_decref(v1);
    size_t before = h.media.n;
    harness_send(&h, a, "{\"type\":\"leave\"}");
    ASSERT(a->closed);
    /* b's two consumers, a's two producers, a's publish transport. */
    ASSERT_EQ(2, fake_count(&h.media, "consumer_close"));
    ASSERT_EQ(2, fake_count(&h.media, "producer_close"));
    ASSERT_EQ(1, fake_count(&h.media, "transport_close"));
    ASSERT_EQ(before + 5, h.media.n);
    ASSERT_EQ(1, fake_find(&h.media, "transport_close", 0)->id);
    json_t *m = harness_next(b);
    ASSERT_STR_EQ("participant_left", js(m, "type"));
    json_decref(m);
    json_t *v2 = harness_next(b);
    ASSERT_STR_EQ("subscribe_offer", js(v2, "type"));
    ASSERT_EQ(2, ji(v2, "version"));
    ASSERT_EQ(2, json_array_size(json_object_get(v2, "tracks")));
    ASSERT(!slot_active(v2, 0) && !slot_active(v2, 1));
    ASSERT_STR_EQ("p1", js(json_array_get(json_object_get(v2, "tracks"), 0), "participant"));
    ASSERT(strstr(js(v2, "sdp"), "a=inactive"));
    ASSERT(!strstr(js(v2, "sdp"), "a=ssrc:"));
    answer(&h, b, v2);
    json_decref(v2);
    ASSERT_EQ(2, fake_count(&h.media, "consumer_close"));   /* no double close */
    harness_free(&h);
}

TEST(disconnect_of_a_subscriber_closes_its_consumers_and_transport)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_join(&h, a, "A");
    harness_join(&h, b, "B");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    json_t *v1 = harness_next_of(b, "subscribe_offer");
    answer(&h, b, v1);
    json_decref(v1);
    uint32_t sub_transport = fake_find(&h.media, "transport_create", 1)->id;
    harness_disconnect(&h, b);
    ASSERT_EQ(2, fake_count(&h.media, "consumer_close"));
    ASSERT_EQ(0, fake_count(&h.media, "producer_close"));
    ASSERT_EQ(sub_transport, fake_find(&h.media, "transport_close", 0)->id);
    json_t *m = harness_next_of(a, "participant_left");
    ASSERT_STR_EQ("p2", js(m, "id"));
    json_decref(m);
    ASSERT(!harness_next_of(a, "subscribe_offer"));
    harness_free(&h);
}

TEST(inactive_slot_is_reused_once_the_client_has_seen_it_inactive)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_join(&h, a, "A");
    harness_join(&h, b, "B");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    json_t *v = harness_next_of(b, "subscribe_offer");
    answer(&h, b, v);
    json_decref(v);
    publish(&h, a, harness_offer("AAAA", 1111, 0));   /* camera off */
    v = harness_next_of(b, "subscribe_offer");
    ASSERT(slot_active(v, 0) && !slot_active(v, 1));
    ASSERT_EQ(1, fake_count(&h.media, "consumer_close"));   /* closed at once */
    answer(&h, b, v);
    json_decref(v);
    publish(&h, a, harness_offer("AAAA", 1111, 7777));   /* camera on again */
    v = harness_next_of(b, "subscribe_offer");
    ASSERT_EQ(3, ji(v, "version"));
    ASSERT_EQ(2, json_array_size(json_object_get(v, "tracks")));   /* m-line 1 reused */
    ASSERT(slot_active(v, 1));
    uint32_t ssrc = sdp_ssrc_of_mid(js(v, "sdp"), "1");
    answer(&h, b, v);
    json_decref(v);
    ASSERT_EQ(3, fake_count(&h.media, "consumer_create"));
    const struct fake_call *c = fake_find(&h.media, "consumer_create", 2);
    ASSERT_STR_EQ("1", c->out.mid);
    ASSERT_EQ(ssrc, c->out.ssrc);
    ASSERT_EQ(fake_find(&h.media, "producer_create", 2)->id, c->producer_id);
    harness_free(&h);
}

TEST(slot_is_not_reused_before_the_client_answered_it_inactive)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_join(&h, a, "A");
    harness_join(&h, b, "B");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    json_t *v = harness_next_of(b, "subscribe_offer");
    answer(&h, b, v);
    json_decref(v);
    publish(&h, a, harness_offer("AAAA", 1111, 0));
    json_t *v2 = harness_next_of(b, "subscribe_offer");
    publish(&h, a, harness_offer("AAAA", 1111, 7777));   /* before b answered v2 */
    answer(&h, b, v2);
    json_decref(v2);
    v = harness_next_of(b, "subscribe_offer");
    ASSERT_EQ(3, ji(v, "version"));
    ASSERT_EQ(3, json_array_size(json_object_get(v, "tracks")));
    ASSERT(!slot_active(v, 1) && slot_active(v, 2));
    json_decref(v);
    harness_free(&h);
}

TEST(subscribe_transport_closed_starts_a_new_connection)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_join(&h, a, "A");
    harness_join(&h, b, "B");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    json_t *v1 = harness_next_of(b, "subscribe_offer");
    answer(&h, b, v1);
    const struct fake_call *t = fake_find(&h.media, "transport_create", 1);
    struct sfu_event ev = {.type = SFU_EVENT_TRANSPORT_CLOSED, .id = t->id, .detail = "DTLS failed"};
    signaling_media_event(h.sig, &ev);
    json_t *m = harness_next(b);
    ASSERT_STR_EQ("transport_closed", js(m, "type"));
    ASSERT_STR_EQ("subscribe", js(m, "transport"));
    ASSERT_STR_EQ("DTLS failed", js(m, "reason"));
    json_decref(m);
    ASSERT_EQ(2, fake_count(&h.media, "consumer_close"));
    ASSERT_EQ(t->id, fake_find(&h.media, "transport_close", 0)->id);
    json_t *v2 = harness_next(b);
    ASSERT_STR_EQ("subscribe_offer", js(v2, "type"));
    ASSERT_EQ(2, ji(v2, "version"));
    ASSERT_EQ(2, json_array_size(json_object_get(v2, "tracks")));
    ASSERT(slot_active(v2, 0) && slot_active(v2, 1));
    ASSERT(strcmp(js(v1, "sdp"), js(v2, "sdp")) != 0);
    answer(&h, b, v2);
    ASSERT_EQ(3, fake_count(&h.media, "transport_create"));
    ASSERT(strcmp(fake_find(&h.media, "transport_create", 2)->ufrag, t->ufrag) != 0);
    ASSERT_EQ(4, fake_count(&h.media, "consumer_create"));
    json_decref(v1);
    json_decref(v2);
    harness_free(&h);
}

TEST(events_for_unknown_transports_are_ignored)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    harness_join(&h, a, "A");
    struct sfu_event ev = {.type = SFU_EVENT_TRANSPORT_CLOSED, .id = 99, .detail = "gone"};
    signaling_media_event(h.sig, &ev);
    ev.type = SFU_EVENT_PRODUCER_ACTIVE;
    signaling_media_event(h.sig, &ev);
    ASSERT_EQ(0, harness_pending(a));
    harness_free(&h);
}
