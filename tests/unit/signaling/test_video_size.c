/* The `video_size` message: the size at which a client shows a subscribed
 * video reaches that slot's consumer (which picks a simulcast layer), also
 * when it comes before the answer; bad fields and unknown mids are refused. */
#include "test.h"

#include <stdlib.h>

#include "harness.h"

/* b joins after a, a publishes audio + video, which b gets in slots 0 and 4
 * (its first audio and first speaker slot). Returns
 * b's first subscribe_offer (owned). */
static json_t *setup(struct harness *h, struct fake_conn **a, struct fake_conn **b)
{
    harness_init(h);
    *a = harness_connect(h);
    *b = harness_connect(h);
    harness_join(h, *a, "A");
    harness_join(h, *b, "B");
    char *sdp = harness_offer("AAAA", 1111, 2222);
    char *msg = harness_publish_msg(sdp);
    harness_send(h, *a, msg);
    free(msg);
    free(sdp);
    return harness_next_of(*b, "subscribe_offer");
}

static void answer(struct harness *h, struct fake_conn *c, json_t *offer)
{
    char *sdp = harness_answer(js(offer, "sdp"));
    char *msg = harness_answer_msg(sdp, ji(offer, "version"));
    harness_send(h, c, msg);
    free(msg);
    free(sdp);
}

static void expect_bad_message(struct harness *h, struct fake_conn *c, const char *text)
{
    harness_send(h, c, text);
    json_t *e = harness_next_of(c, "error");
    ASSERT(e);
    ASSERT_STR_EQ("bad_message", js(e, "code"));
    ASSERT_STR_EQ("video_size", js(e, "ref"));
    json_decref(e);
}

TEST(video_size_reaches_the_consumer_of_that_mid)
{
    struct harness h;
    struct fake_conn *a, *b;
    json_t *offer = setup(&h, &a, &b);
    ASSERT(offer);
    answer(&h, b, offer);
    json_decref(offer);
    const struct fake_call *video = fake_find(&h.media, "consumer_create", 4);
    ASSERT_STR_EQ("4", video->out.mid);   /* a's camera: the first speaker slot */
    uint32_t video_id = video->id;

    harness_send(&h, b, "{\"type\":\"video_size\",\"mid\":\"4\",\"width\":320,\"height\":180}");
    ASSERT_EQ(0, harness_pending(b));   /* accepted silently */
    ASSERT_EQ(1, fake_count(&h.media, "consumer_size"));
    const struct fake_call *c = fake_find(&h.media, "consumer_size", 0);
    ASSERT_EQ(video_id, c->id);
    ASSERT_EQ(320, c->width);
    ASSERT_EQ(180, c->height);

    /* A repeat does not reach the media plane; a change and 0x0 do. */
    harness_send(&h, b, "{\"type\":\"video_size\",\"mid\":\"4\",\"width\":320,\"height\":180}");
    ASSERT_EQ(1, fake_count(&h.media, "consumer_size"));
    harness_send(&h, b, "{\"type\":\"video_size\",\"mid\":\"4\",\"width\":0,\"height\":0}");
    ASSERT_EQ(2, fake_count(&h.media, "consumer_size"));
    c = fake_find(&h.media, "consumer_size", 1);
    ASSERT_EQ(video_id, c->id);
    ASSERT_EQ(0, c->width);
    ASSERT_EQ(0, c->height);
    harness_send(&h, b, "{\"type\":\"video_size\",\"mid\":\"4\",\"width\":7680,\"height\":4320}");
    ASSERT_EQ(7680, fake_find(&h.media, "consumer_size", 2)->width);
    ASSERT_EQ(0, harness_pending(b));
    harness_free(&h);
}

TEST(video_size_before_the_answer_is_given_when_the_consumer_is_made)
{
    struct harness h;
    struct fake_conn *a, *b;
    json_t *offer = setup(&h, &a, &b);
    ASSERT(offer);
    harness_send(&h, b, "{\"type\":\"video_size\",\"mid\":\"4\",\"width\":160,\"height\":120}");
    ASSERT_EQ(0, harness_pending(b));
    ASSERT_EQ(0, fake_count(&h.media, "consumer_size"));   /* no consumer yet */
    answer(&h, b, offer);
    json_decref(offer);
    ASSERT_EQ(1, fake_count(&h.media, "consumer_size"));
    const struct fake_call *c = fake_find(&h.media, "consumer_size", 0);
    ASSERT_EQ(fake_find(&h.media, "consumer_create", 4)->id, c->id);
    ASSERT_EQ(160, c->width);
    ASSERT_EQ(120, c->height);
    harness_free(&h);
}

TEST(video_size_with_unknown_mid_or_bad_fields_is_bad_message)
{
    struct harness h;
    struct fake_conn *a, *b;
    json_t *offer = setup(&h, &a, &b);
    ASSERT(offer);
    answer(&h, b, offer);
    json_decref(offer);
    expect_bad_message(&h, b, "{\"type\":\"video_size\",\"mid\":\"9\",\"width\":1,\"height\":1}");
    expect_bad_message(&h, b, "{\"type\":\"video_size\",\"mid\":\"0\",\"width\":1,\"height\":1}");
    expect_bad_message(&h, b, "{\"type\":\"video_size\",\"mid\":1,\"width\":1,\"height\":1}");
    expect_bad_message(&h, b, "{\"type\":\"video_size\",\"mid\":\"4\",\"height\":1}");
    expect_bad_message(&h, b, "{\"type\":\"video_size\",\"mid\":\"4\",\"width\":-1,\"height\":1}");
    expect_bad_message(&h, b, "{\"type\":\"video_size\",\"mid\":\"4\",\"width\":7681,\"height\":1}");
    expect_bad_message(&h, b, "{\"type\":\"video_size\",\"mid\":\"4\",\"width\":1.5,\"height\":1}");
    /* a's own subscribe connection was never offered: no slots yet. */
    expect_bad_message(&h, a, "{\"type\":\"video_size\",\"mid\":\"4\",\"width\":1,\"height\":1}");
    ASSERT_EQ(0, fake_count(&h.media, "consumer_size"));
    harness_free(&h);
}
