/* Upstream NACK requests: gaps are asked for after the reorder wait, again
 * at the retry interval, given up after the tries; late and resent packets
 * end them; a long jump asks for a keyframe instead. */
#include "test.h"

#include "rtc/nack_request.h"

TEST(nack_request_asks_for_a_gap_after_the_reorder_wait_and_retries)
{
    struct nack_request r = {0};
    uint16_t seqs[16];
    ASSERT_EQ(NACK_REQUEST_OK, nack_request_on_packet(&r, 0x10000 + 100, 0));
    ASSERT_EQ(NACK_REQUEST_OK, nack_request_on_packet(&r, 0x10000 + 103, 1000));
    ASSERT_EQ(2, r.n);
    /* Not yet: a reordered packet may still come. */
    ASSERT_EQ(0u, nack_request_due(&r, 5000, seqs, 16));
    ASSERT_EQ(2u, nack_request_due(&r, 11000, seqs, 16));
    ASSERT_EQ(101, seqs[0]);
    ASSERT_EQ(102, seqs[1]);
    ASSERT_EQ(0u, nack_request_due(&r, 20000, seqs, 16));
    /* The resend of 101 arrives: only 102 is asked again. */
    ASSERT_EQ(NACK_REQUEST_OK, nack_request_on_packet(&r, 0x10000 + 101, 30000));
    ASSERT_EQ(1u, r.recovered);
    ASSERT_EQ(1u, nack_request_due(&r, 61000, seqs, 16));
    ASSERT_EQ(102, seqs[0]);
    /* Out of tries: given up, counted as lost. */
    uint64_t t = 61000;
    for (int i = 0; i < NACK_REQUEST_TRIES; i++)
        nack_request_due(&r, t += NACK_REQUEST_RETRY_US, seqs, 16);
    ASSERT_EQ(0, r.n);
    ASSERT_EQ(1u, r.lost);
    ASSERT_EQ((uint64_t)(1 + NACK_REQUEST_TRIES), r.asked); /* 101 once, 102 every try */
}

TEST(nack_request_forgets_reordered_packets_before_asking)
{
    struct nack_request r = {0};
    uint16_t seqs[4];
    nack_request_on_packet(&r, 500, 0);
    nack_request_on_packet(&r, 502, 100);
    nack_request_on_packet(&r, 501, 2000);   /* just reordered */
    ASSERT_EQ(0, r.n);
    ASSERT_EQ(0u, r.recovered);              /* never asked: not a recovery */
    ASSERT_EQ(0u, nack_request_due(&r, 100000, seqs, 4));
    /* A duplicate of an old packet changes nothing. */
    nack_request_on_packet(&r, 400, 3000);
    ASSERT_EQ(502u, r.highest);
}

TEST(nack_request_long_jump_asks_for_a_keyframe_and_bounded_table)
{
    struct nack_request r = {0};
    uint16_t seqs[NACK_REQUEST_MAX];
    nack_request_on_packet(&r, 1000, 0);
    ASSERT_EQ(NACK_REQUEST_KEYFRAME,
              nack_request_on_packet(&r, 1000 + NACK_REQUEST_MAX_GAP + 2, 10));
    ASSERT_EQ(0, r.n);
    /* A gap larger than the table keeps the newest ones. */
    uint64_t base = 1000 + NACK_REQUEST_MAX_GAP + 2;
    ASSERT_EQ(NACK_REQUEST_OK, nack_request_on_packet(&r, base + 81, 20));
    ASSERT_EQ(NACK_REQUEST_MAX, r.n);
    ASSERT_EQ(80u - NACK_REQUEST_MAX, r.lost);
    ASSERT_EQ((size_t)NACK_REQUEST_MAX, nack_request_due(&r, 50000, seqs, NACK_REQUEST_MAX));
    ASSERT_EQ((uint16_t)(base + 80), seqs[NACK_REQUEST_MAX - 1]);
    /* The sequence number wraps in 16 bits on the wire. */
    struct nack_request w = {0};
    nack_request_on_packet(&w, 0xFFFF, 0);
    nack_request_on_packet(&w, 0x10001, 0);
    ASSERT_EQ(1u, nack_request_due(&w, 20000, seqs, 4));
    ASSERT_EQ(0, seqs[0]);
    nack_request_reset(&w);
    ASSERT_EQ(0, w.n);
}
