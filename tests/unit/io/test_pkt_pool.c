/* A worker's packet pool: lending, release by readers, reclaim by the
 * owner, an empty pool, and a reader thread releasing while the owner
 * reuses buffers (the cross-worker fan-out's pattern). */
#include "test.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "sabaq/error.h"
#include "io/pkt_pool.h"
#include "io/spsc_ring.h"

TEST(pkt_pool_lends_until_empty_and_takes_back_what_readers_released)
{
    struct pkt_pool p;
    ASSERT_EQ(0, pkt_pool_init(&p, 4));
    struct pkt_buf *b[4];
    for (int i = 0; i < 4; i++) {
        b[i] = pkt_pool_lend(&p, 1);
        ASSERT(b[i] != NULL);
        for (int j = 0; j < i; j++)
            ASSERT(b[i] != b[j]);
    }
    ASSERT(pkt_pool_lend(&p, 1) == NULL); /* all held */
    /* A buffer in the middle comes back: an empty free list looks at every
     * lent buffer, not only the oldest. */
    pkt_buf_release(b[2]);
    struct pkt_buf *again = pkt_pool_lend(&p, 1);
    ASSERT(again == b[2]);
    ASSERT_EQ(4, p.n_lent);
    pkt_pool_destroy(&p);
}

TEST(pkt_pool_keeps_a_buffer_until_every_reader_released_it)
{
    struct pkt_pool p;
    ASSERT_EQ(0, pkt_pool_init(&p, 2));
    struct pkt_buf *shared = pkt_pool_lend(&p, 3); /* three workers read it */
    struct pkt_buf *other = pkt_pool_lend(&p, 1);
    ASSERT(shared && other);
    pkt_buf_release(shared);
    pkt_buf_release(shared);
    ASSERT_EQ(0, pkt_pool_reclaim(&p));
    ASSERT(pkt_pool_lend(&p, 1) == NULL);
    pkt_buf_release(shared);
    ASSERT(pkt_pool_lend(&p, 1) == shared);
    pkt_pool_destroy(&p);
}

TEST(pkt_pool_reclaims_in_lending_order_while_buffers_are_free)
{
    struct pkt_pool p;
    ASSERT_EQ(0, pkt_pool_init(&p, 8));
    struct pkt_buf *a = pkt_pool_lend(&p, 1), *b = pkt_pool_lend(&p, 1);
    ASSERT(a && b);
    pkt_buf_release(b);
    /* The oldest (a) is still held: the cheap reclaim stops there. */
    ASSERT_EQ(0, pkt_pool_reclaim(&p));
    pkt_buf_release(a);
    ASSERT_EQ(2, pkt_pool_reclaim(&p));
    ASSERT_EQ(0, p.n_lent);
    ASSERT_EQ(8, pkt_pool_available(&p));
    pkt_pool_destroy(&p);
}

TEST(pkt_pool_init_refuses_zero)
{
    struct pkt_pool p;
    ASSERT_EQ(-SQ_EINVAL, pkt_pool_init(&p, 0));
}

#define ROUNDS 200000

struct reader {
    struct spsc_ring ring;       /* owner -> reader: struct pkt_buf * */
    atomic_bool is_done;
    uint64_t bad;                /* buffers whose contents were not what was lent */
};

static void *read_and_release(void *arg)
{
    struct reader *r = arg;
    uint64_t seen = 0;
    while (seen < ROUNDS) {
        struct pkt_buf *b;
        if (!spsc_ring_pop(&r->ring, &b)) {
            sched_yield();
            continue;
        }
        uint64_t seq;
        memcpy(&seq, b->data, sizeof(seq));
        if (seq != seen || b->len != (uint16_t)(seq % 1000 + 9) || b->data[b->len - 1] != (uint8_t)seq)
            r->bad++;
        seen++;
        pkt_buf_release(b);
    }
    atomic_store(&r->is_done, true);
    return NULL;
}

TEST(pkt_pool_buffers_are_reused_only_after_the_reader_let_go)
{
    struct pkt_pool p;
    struct reader r = {.bad = 0};
    ASSERT_EQ(0, pkt_pool_init(&p, 32)); /* small: every buffer is reused thousands of times */
    ASSERT_EQ(0, spsc_ring_init(&r.ring, sizeof(struct pkt_buf *), 64));
    atomic_init(&r.is_done, false);
    pthread_t t;
    ASSERT_EQ(0, pthread_create(&t, NULL, read_and_release, &r));
    uint64_t empty = 0;
    for (uint64_t seq = 0; seq < ROUNDS;) {
        pkt_pool_reclaim(&p);
        struct pkt_buf *b = pkt_pool_lend(&p, 1);
        if (!b) {
            empty++;
            sched_yield();
            continue;
        }
        /* Written while no reader holds it: a reuse too early would show
         * as a reader seeing another sequence number. */
        memcpy(b->data, &seq, sizeof(seq));
        b->len = (uint16_t)(seq % 1000 + 9);
        b->data[b->len - 1] = (uint8_t)seq;
        while (spsc_ring_push(&r.ring, &b) != 0)
            sched_yield();
        seq++;
    }
    pthread_join(t, NULL);
    ASSERT(atomic_load(&r.is_done));
    ASSERT_EQ(0, r.bad);
    pkt_pool_reclaim(&p);
    ASSERT_EQ(0, p.n_lent);
    spsc_ring_destroy(&r.ring);
    pkt_pool_destroy(&p);
    (void)empty;
}
