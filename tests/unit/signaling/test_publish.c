/* The publish connection: a Chromium-shaped offer gets an ICE-lite answer,
 * one transport and one producer per accepted m-line, kept in step with
 * re-offers; a re-offer with new ICE credentials restarts ICE. */
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

static bool is_ice_chars(const char *s)
{
    for (; *s; s++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", *s))
            return false;
    return true;
}

TEST(publish_answers_with_ice_lite_and_the_accepted_tracks)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    harness_join(&h, a, "A");
    char *offer = harness_offer("AAAA", 1111, 2222);
    char *msg = harness_publish_msg(offer);
    /* with a req, to see it echoed */
    msg[strlen(msg) - 1] = '\0';
    char framed[65536];
    snprintf(framed, sizeof(framed), "%s,\"req\":2}", msg);
    harness_send(&h, a, framed);
    free(msg);
    free(offer);

    json_t *m = harness_next(a);
    ASSERT_STR_EQ("publish_answer", js(m, "type"));
    ASSERT_EQ(2, ji(m, "req"));
    json_t *tracks = json_object_get(m, "tracks");
    ASSERT_EQ(2, json_array_size(tracks));
    ASSERT_STR_EQ("0", js(json_array_get(tracks, 0), "mid"));
    ASSERT_STR_EQ("audio", js(json_array_get(tracks, 0), "kind"));
    ASSERT_STR_EQ("1", js(json_array_get(tracks, 1), "mid"));
    ASSERT_STR_EQ("video", js(json_array_get(tracks, 1), "kind"));

    const struct fake_call *t = fake_find(&h.media, "transport_create", 0);
    ASSERT(t);
    ASSERT_EQ(1, t->id);
    ASSERT_EQ(8, strlen(t->ufrag));
    ASSERT_EQ(24, strlen(t->pwd));
    ASSERT(is_ice_chars(t->ufrag) && is_ice_chars(t->pwd));
    ASSERT(strncmp(t->fingerprint, "sha-256 E6:99:CB", 16) == 0);

    const char *sdp = js(m, "sdp");
    char want[64];
    snprintf(want, sizeof(want), "a=ice-ufrag:%s\r\n", t->ufrag);
    ASSERT(strstr(sdp, want));
    ASSERT(strstr(sdp, "a=ice-lite"));
    ASSERT(strstr(sdp, "a=setup:passive"));
    ASSERT(strstr(sdp, "a=fingerprint:sha-256 5A:BA:0A"));
    ASSERT(strstr(sdp, "127.0.0.1 41000 typ host"));
    ASSERT(strstr(sdp, "m=application 0 "));   /* the data channel is refused */
    json_decref(m);

    ASSERT_EQ(2, fake_count(&h.media, "producer_create"));
    const struct fake_call *pa = fake_find(&h.media, "producer_create", 0);
    const struct fake_call *pv = fake_find(&h.media, "producer_create", 1);
    ASSERT_EQ(1, pa->transport_id);
    ASSERT_EQ(1, pv->transport_id);
    ASSERT(pa->id != pv->id);
    ASSERT_EQ(1111, pa->track.ssrc);
    ASSERT_EQ(SDP_KIND_AUDIO, pa->track.kind);
    ASSERT_EQ(2222, pv->track.ssrc);
    ASSERT_EQ(2223, pv->track.rtx_ssrc);
    ASSERT_EQ(SDP_KIND_VIDEO, pv->track.kind);
    ASSERT_EQ(0, harness_pending(a));   /* nobody else: no subscribe_offer to anyone */
    harness_free(&h);
}

TEST(publish_offers_the_tracks_to_the_other_member)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_join(&h, a, "A");
    harness_join(&h, b, "B");
    ASSERT_EQ(0, harness_pending(b));   /* nothing published yet: no offer */
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    json_t *m = harness_next_of(b, "subscribe_offer");
    ASSERT(m);
    ASSERT_EQ(1, ji(m, "version"));
    /* The slots (test_subscribe.c): a's mic in the first audio slot (mid 0),
     * its camera in the first speaker slot (mid 4). */
    json_t *tracks = json_object_get(m, "tracks");
    ASSERT_EQ(8, json_array_size(tracks));
    for (size_t i = 0; i < 8; i++) {
        json_t *t = json_array_get(tracks, i);
        bool is_a = i == 0 || i == 4;
        ASSERT_STR_EQ(i < 3 ? "audio" : "video", js(t, "kind"));
        ASSERT(is_a ? strcmp(js(t, "participant"), "p1") == 0
                    : json_is_null(json_object_get(t, "participant")));
        ASSERT(json_is_true(json_object_get(t, "active")) == is_a);
    }
    const char *sdp = js(m, "sdp");
    ASSERT(strstr(sdp, "a=ice-lite"));
    ASSERT(strstr(sdp, "a=setup:actpass"));
    ASSERT(strstr(sdp, "a=msid:slot-0 audio-0"));
    ASSERT(strstr(sdp, "a=msid:slot-4 speaker-4"));
    ASSERT(strstr(sdp, "a=ssrc-group:FID"));
    json_decref(m);
    ASSERT_EQ(0, harness_pending(b));
    json_decref(harness_next_of(a, "publish_answer"));
    ASSERT(!harness_next_of(a, "subscribe_offer"));   /* never one's own tracks */
    harness_free(&h);
}

TEST(reoffer_keeps_unchanged_producers_and_closes_rejected_ones)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    harness_join(&h, a, "A");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    uint32_t video = fake_find(&h.media, "producer_create", 1)->id;
    publish(&h, a, harness_offer("AAAA", 1111, 0));   /* camera off: video port 0 */
    json_t *m = harness_next_of(a, "publish_answer");
    json_decref(m);
    m = harness_next_of(a, "publish_answer");
    ASSERT(m);
    ASSERT_EQ(1, json_array_size(json_object_get(m, "tracks")));
    json_decref(m);
    ASSERT_EQ(1, fake_count(&h.media, "transport_create"));
    ASSERT_EQ(2, fake_count(&h.media, "producer_create"));
    ASSERT_EQ(1, fake_count(&h.media, "producer_close"));
    ASSERT_EQ(video, fake_find(&h.media, "producer_close", 0)->id);

    publish(&h, a, harness_offer3("AAAA", 1111, 0, 5555));   /* screen share on a new mid */
    ASSERT_EQ(3, fake_count(&h.media, "producer_create"));
    const struct fake_call *c = fake_find(&h.media, "producer_create", 2);
    ASSERT_STR_EQ("3", c->track.mid);
    ASSERT_EQ(5555, c->track.ssrc);
    ASSERT_EQ(1, fake_count(&h.media, "producer_close"));
    harness_free(&h);
}

TEST(reoffer_with_a_new_ssrc_replaces_the_producer)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    harness_join(&h, a, "A");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    publish(&h, a, harness_offer("AAAA", 1111, 3333));
    ASSERT_EQ(3, fake_count(&h.media, "producer_create"));
    ASSERT_EQ(1, fake_count(&h.media, "producer_close"));
    ASSERT_EQ(3333, fake_find(&h.media, "producer_create", 2)->track.ssrc);
    harness_free(&h);
}

TEST(unanswerable_offer_is_bad_sdp_with_the_reason)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    harness_join(&h, a, "A");
    char *offer = harness_offer("AAAA", 1111, 2222);
    /* No DTLS fingerprint anywhere: nothing Sabaq can check the peer with. */
    char *p;
    while ((p = strstr(offer, "a=fingerprint:")))
        memcpy(p, "a=xingerprint:", 14);
    publish(&h, a, offer);
    json_t *m = harness_next(a);
    ASSERT_STR_EQ("error", js(m, "type"));
    ASSERT_STR_EQ("bad_sdp", js(m, "code"));
    ASSERT_STR_EQ("publish", js(m, "ref"));
    ASSERT(strstr(js(m, "message"), "fingerprint"));
    json_decref(m);
    ASSERT_EQ(0, h.media.n);
    harness_free(&h);
}

TEST(publish_transport_event_logs_and_closed_releases_producers)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    harness_join(&h, a, "A");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    json_decref(harness_next_of(a, "publish_answer"));
    const struct fake_call *t = fake_find(&h.media, "transport_create", 0);
    char old_ufrag[33];
    snprintf(old_ufrag, sizeof(old_ufrag), "%s", t->ufrag);
    struct sfu_event ev = {.type = SFU_EVENT_TRANSPORT_CONNECTED, .id = t->id, .detail = "SRTP_AEAD_AES_128_GCM"};
    signaling_media_event(h.sig, &ev);
    ASSERT(strstr(harness_log(&h),
                  "participant p1 publish transport connected (SRTP AEAD_AES_128_GCM)"));
    struct sfu_event closed = {.type = SFU_EVENT_TRANSPORT_CLOSED, .id = t->id, .detail = "consent lost"};
    signaling_media_event(h.sig, &closed);
    json_t *m = harness_next(a);
    ASSERT_STR_EQ("transport_closed", js(m, "type"));
    ASSERT_STR_EQ("publish", js(m, "transport"));
    ASSERT_STR_EQ("consent lost", js(m, "reason"));
    json_decref(m);
    ASSERT_EQ(2, fake_count(&h.media, "producer_close"));
    ASSERT_EQ(1, fake_count(&h.media, "transport_close"));
    ASSERT(strstr(harness_log(&h), "participant p1 publish transport closed (consent lost)"));
    /* A new publish makes a new transport with new credentials. */
    publish(&h, a, harness_offer("BBBB", 1111, 2222));
    ASSERT_EQ(2, fake_count(&h.media, "transport_create"));
    const struct fake_call *t2 = fake_find(&h.media, "transport_create", 1);
    ASSERT(t2->id != 1);
    ASSERT(strcmp(t2->ufrag, old_ufrag) != 0);
    ASSERT_EQ(t2->id, fake_find(&h.media, "producer_create", 2)->transport_id);
    harness_free(&h);
}

/* The answer's ice-ufrag and ice-pwd, and the answer consumed. */
static void answer_credentials(struct fake_conn *c, char *ufrag, char *pwd)
{
    json_t *m = harness_next_of(c, "publish_answer");
    snprintf(ufrag, 64, "%s", harness_sdp_attr(js(m, "sdp"), "ice-ufrag"));
    snprintf(pwd, 64, "%s", harness_sdp_attr(js(m, "sdp"), "ice-pwd"));
    json_decref(m);
}

TEST(reoffer_with_new_ice_credentials_restarts_ice_on_the_same_transport)
{
    struct harness h;
    char u1[64], p1[64], u2[64], p2[64], u3[64], p3[64];
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    harness_join(&h, a, "A");
    publish(&h, a, harness_offer("AAAA", 1111, 2222));
    answer_credentials(a, u1, p1);
    ASSERT(u1[0] && p1[0]);
    uint32_t transport = fake_find(&h.media, "transport_create", 0)->id;

    /* The browser's restartIce(): same tracks, new ice-ufrag/ice-pwd. */
    publish(&h, a, harness_offer("BBBB", 1111, 2222));
    answer_credentials(a, u2, p2);
    ASSERT(strcmp(u1, u2) != 0 && strcmp(p1, p2) != 0);
    ASSERT(is_ice_chars(u2) && is_ice_chars(p2));
    ASSERT_EQ(1, fake_count(&h.media, "transport_restart_ice"));
    const struct fake_call *r = fake_find(&h.media, "transport_restart_ice", 0);
    ASSERT_EQ(transport, r->id);
    ASSERT_STR_EQ(u2, r->ufrag);
    ASSERT_STR_EQ(p2, r->pwd);
    /* Nothing else moved: one transport, the same two producers. */
    ASSERT_EQ(1, fake_count(&h.media, "transport_create"));
    ASSERT_EQ(2, fake_count(&h.media, "producer_create"));
    ASSERT_EQ(0, fake_count(&h.media, "producer_close"));
    ASSERT(strstr(harness_log(&h), "participant p1: publish ICE restart"));

    /* A re-offer with the credentials of the restart is no new restart. */
    publish(&h, a, harness_offer("BBBB", 1111, 0));
    answer_credentials(a, u3, p3);
    ASSERT_STR_EQ(u2, u3);
    ASSERT_STR_EQ(p2, p3);
    ASSERT_EQ(1, fake_count(&h.media, "transport_restart_ice"));
    harness_free(&h);
}
