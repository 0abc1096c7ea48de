/* The recording's jitter buffer: order, bounded waits for gaps, late and
 * duplicate packets, stream jumps. Simulated time. */
#include "test.h"

#include "sabaq/clock.h"
#include "sabaq/error.h"
#include "record/jitter_buffer.h"

#define MS 1000ull
#define WAIT_US (100 * MS)

static struct jitter_buffer jb;

static int setup(uint32_t capacity)
{
    struct jitter_buffer_config cfg = {.capacity = capacity, .max_payload = 64,
                                       .max_wait_us = WAIT_US};
    return jitter_buffer_init(&jb, &cfg);
}

static int push(uint64_t seq, uint64_t at_us)
{
    uint8_t payload[4] = {(uint8_t)seq, 0xAB, 0xCD, 0xEF};
    struct jitter_packet p = {.ext_seq = seq, .rtp_timestamp = (uint32_t)seq * 960,
                              .arrival_us = at_us, .payload = payload, .payload_len = 4};
    return jitter_buffer_push(&jb, &p);
}

/* Pops everything ready at `now` into seqs[] (lost_before into lost[]). */
static int pop_all(uint64_t now, uint64_t *seqs, uint32_t *lost, int cap)
{
    struct jitter_packet p;
    int n = 0;
    while (n < cap && jitter_buffer_pop(&jb, now, &p) == 1) {
        seqs[n] = p.ext_seq;
        lost[n] = p.lost_before;
        if (p.payload_len != 4 || p.payload[0] != (uint8_t)p.ext_seq || p.payload[1] != 0xAB)
            return -1;           /* the payload must be the packet's own */
        n++;
    }
    return n;
}

TEST(jitter_buffer_gives_in_order_packets_at_once)
{
    uint64_t seqs[8];
    uint32_t lost[8];
    ASSERT_EQ(0, setup(16));
    for (uint64_t s = 100; s < 104; s++)
        ASSERT_EQ(0, push(s, s * MS));
    ASSERT_EQ(4, pop_all(104 * MS, seqs, lost, 8));
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ(100 + i, seqs[i]);
        ASSERT_EQ(0, lost[i]);
    }
    ASSERT_EQ(SQ_NEVER, jitter_buffer_next_deadline_us(&jb));
    jitter_buffer_destroy(&jb);
}

TEST(jitter_buffer_reorders_a_late_packet_within_the_wait)
{
    uint64_t seqs[8];
    uint32_t lost[8];
    ASSERT_EQ(0, setup(16));
    ASSERT_EQ(0, push(10, 0));
    ASSERT_EQ(0, push(12, 20 * MS));
    ASSERT_EQ(0, push(13, 40 * MS));
    /* 11 is missing: only 10 comes out, and the buffer says when it gives up. */
    ASSERT_EQ(1, pop_all(40 * MS, seqs, lost, 8));
    ASSERT_EQ(10, seqs[0]);
    ASSERT_EQ(20 * MS + WAIT_US, jitter_buffer_next_deadline_us(&jb));
    ASSERT_EQ(0, pop_all(60 * MS, seqs, lost, 8));
    ASSERT_EQ(0, push(11, 70 * MS)); /* 50 ms late, within the wait */
    ASSERT_EQ(3, pop_all(70 * MS, seqs, lost, 8));
    ASSERT_EQ(11, seqs[0]);
    ASSERT_EQ(12, seqs[1]);
    ASSERT_EQ(13, seqs[2]);
    ASSERT_EQ(0, lost[0] + lost[1] + lost[2]);
    ASSERT_EQ(0, (long long)jb.stats.lost);
    jitter_buffer_destroy(&jb);
}

TEST(jitter_buffer_gives_up_a_gap_after_the_wait_and_reports_the_loss)
{
    uint64_t seqs[8];
    uint32_t lost[8];
    ASSERT_EQ(0, setup(16));
    ASSERT_EQ(0, push(1, 0));
    ASSERT_EQ(1, pop_all(0, seqs, lost, 8));
    /* 2 and 3 never come. */
    ASSERT_EQ(0, push(4, 60 * MS));
    ASSERT_EQ(0, push(5, 80 * MS));
    ASSERT_EQ(0, pop_all(60 * MS + WAIT_US - 1, seqs, lost, 8));
    ASSERT_EQ(2, pop_all(60 * MS + WAIT_US, seqs, lost, 8));
    ASSERT_EQ(4, seqs[0]);
    ASSERT_EQ(2, lost[0]);
    ASSERT_EQ(5, seqs[1]);
    ASSERT_EQ(0, lost[1]);
    ASSERT_EQ(2, (long long)jb.stats.lost);
    /* 3 turns up after all: too late, dropped and counted. */
    ASSERT_EQ(-SQ_ESTATE, push(3, 200 * MS));
    ASSERT_EQ(1, (long long)jb.stats.late);
    ASSERT_EQ(0, pop_all(300 * MS, seqs, lost, 8));
    jitter_buffer_destroy(&jb);
}

TEST(jitter_buffer_drops_duplicates)
{
    uint64_t seqs[8];
    uint32_t lost[8];
    ASSERT_EQ(0, setup(16));
    ASSERT_EQ(0, push(7, 0));
    ASSERT_EQ(0, push(9, 0));
    ASSERT_EQ(-SQ_EEXIST, push(9, 1));
    ASSERT_EQ(1, pop_all(1, seqs, lost, 8));
    ASSERT_EQ(-SQ_ESTATE, push(7, 2)); /* already given out */
    ASSERT_EQ(1, (long long)jb.stats.duplicates);
    jitter_buffer_destroy(&jb);
}

TEST(jitter_buffer_accepts_reordering_before_the_first_pop)
{
    uint64_t seqs[8];
    uint32_t lost[8];
    ASSERT_EQ(0, setup(16));
    ASSERT_EQ(0, push(21, 0));
    ASSERT_EQ(0, push(20, 1));
    ASSERT_EQ(2, pop_all(2, seqs, lost, 8));
    ASSERT_EQ(20, seqs[0]);
    ASSERT_EQ(21, seqs[1]);
    jitter_buffer_destroy(&jb);
}

TEST(jitter_buffer_restarts_on_a_jump_beyond_its_capacity)
{
    uint64_t seqs[8];
    uint32_t lost[8];
    ASSERT_EQ(0, setup(16));
    ASSERT_EQ(0, push(100, 0));
    ASSERT_EQ(1, pop_all(0, seqs, lost, 8));
    ASSERT_EQ(0, push(5000, 10 * MS));
    ASSERT_EQ(1, pop_all(10 * MS, seqs, lost, 8));
    ASSERT_EQ(5000, seqs[0]);
    ASSERT_EQ(5000 - 101, lost[0]);
    ASSERT_EQ(1, (long long)jb.stats.restarts);
    jitter_buffer_destroy(&jb);
}

TEST(jitter_buffer_refuses_oversized_packets)
{
    uint8_t big[65] = {0};
    ASSERT_EQ(0, setup(16));
    struct jitter_packet p = {.ext_seq = 1, .payload = big, .payload_len = sizeof(big)};
    ASSERT_EQ(-SQ_ELIMIT, jitter_buffer_push(&jb, &p));
    ASSERT_EQ(1, (long long)jb.stats.refused);
    jitter_buffer_destroy(&jb);
}

TEST(jitter_buffer_survives_random_loss_and_reordering_in_order)
{
    /* 2000 packets, 5% lost, neighbours swapped 10% of the time: what comes
     * out is strictly increasing and received + lost covers every seq. */
    uint64_t seqs[64];
    uint32_t lost[64];
    ASSERT_EQ(0, setup(64));
    uint32_t rng = 12345;
    uint64_t last = 0, out = 0, lost_sum = 0, first = 0;
    uint64_t t = 0;
    uint64_t order[2000];
    for (uint64_t i = 0; i < 2000; i++)
        order[i] = 1000 + i;
    for (int i = 0; i + 1 < 2000; i++) {
        rng = rng * 1103515245u + 12345u;
        if ((rng >> 16) % 10 == 0) {
            uint64_t x = order[i];
            order[i] = order[i + 1];
            order[i + 1] = x;
        }
    }
    for (int i = 0; i < 2000; i++) {
        rng = rng * 1103515245u + 12345u;
        t += 20 * MS;
        if ((rng >> 16) % 20 != 0 || i == 0)
            push(order[i], t);
        int n = pop_all(t, seqs, lost, 64);
        ASSERT(n >= 0);
        for (int k = 0; k < n; k++) {
            if (!first)
                first = seqs[k];
            ASSERT(seqs[k] > last);
            last = seqs[k];
            lost_sum += lost[k];
            out++;
        }
    }
    int n = pop_all(t + 10 * WAIT_US, seqs, lost, 64);
    for (int k = 0; k < n; k++) {
        ASSERT(seqs[k] > last);
        last = seqs[k];
        lost_sum += lost[k];
        out++;
    }
    ASSERT_EQ(last - first + 1, out + lost_sum);
    ASSERT(lost_sum > 50 && lost_sum < 200);
    jitter_buffer_destroy(&jb);
}
