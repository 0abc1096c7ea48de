/* The ring between two media workers: order, bound, wraparound, and one
 * producer thread against one consumer thread (run it under
 * -fsanitize=thread too: see the README's "Workers" notes). */
#include "test.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

#include "sabaq/error.h"
#include "io/spsc_ring.h"

struct item {
    uint64_t seq;
    uint64_t check;
    void *ptr;
};

TEST(spsc_ring_pops_in_push_order_and_refuses_when_full)
{
    struct spsc_ring r;
    ASSERT_EQ(0, spsc_ring_init(&r, sizeof(struct item), 3)); /* rounded up to 4 */
    uint64_t in = 0, out = 0;
    /* Fill, then pop one and push one many times: the indexes wrap. */
    for (int i = 0; i < 4; i++) {
        struct item it = {.seq = in++};
        ASSERT_EQ(0, spsc_ring_push(&r, &it));
    }
    struct item extra = {.seq = 999};
    ASSERT_EQ(-SQ_ELIMIT, spsc_ring_push(&r, &extra));
    ASSERT_EQ(4, spsc_ring_len(&r));
    for (int round = 0; round < 50; round++) {
        struct item got;
        ASSERT_EQ(1, spsc_ring_pop(&r, &got));
        ASSERT_EQ(out++, got.seq);
        struct item it = {.seq = in++};
        ASSERT_EQ(0, spsc_ring_push(&r, &it));
        ASSERT_EQ(-SQ_ELIMIT, spsc_ring_push(&r, &extra));
    }
    struct item got;
    while (spsc_ring_pop(&r, &got))
        ASSERT_EQ(out++, got.seq);
    ASSERT_EQ(in, out);
    ASSERT_EQ(0, spsc_ring_len(&r));
    spsc_ring_destroy(&r);
}

TEST(spsc_ring_init_refuses_zero_sizes)
{
    struct spsc_ring r;
    ASSERT_EQ(-SQ_EINVAL, spsc_ring_init(&r, 0, 8));
    ASSERT_EQ(-SQ_EINVAL, spsc_ring_init(&r, 8, 0));
}

#define THREAD_ITEMS 300000

static void *produce(void *arg)
{
    struct spsc_ring *r = arg;
    for (uint64_t i = 0; i < THREAD_ITEMS;) {
        struct item it = {.seq = i, .check = i * 2654435761u, .ptr = (void *)(uintptr_t)(i + 1)};
        if (spsc_ring_push(r, &it) == 0)
            i++;
        else
            sched_yield();
    }
    return NULL;
}

TEST(spsc_ring_carries_items_between_two_threads_in_order_and_intact)
{
    struct spsc_ring r;
    ASSERT_EQ(0, spsc_ring_init(&r, sizeof(struct item), 64)); /* small: often full */
    pthread_t t;
    ASSERT_EQ(0, pthread_create(&t, NULL, produce, &r));
    uint64_t next = 0;
    bool is_intact = true, is_ordered = true;
    while (next < THREAD_ITEMS) {
        struct item got;
        if (!spsc_ring_pop(&r, &got)) {
            sched_yield();
            continue;
        }
        if (got.seq != next)
            is_ordered = false;
        if (got.check != got.seq * 2654435761u || got.ptr != (void *)(uintptr_t)(got.seq + 1))
            is_intact = false;
        next++;
    }
    pthread_join(t, NULL);
    ASSERT(is_ordered);
    ASSERT(is_intact);
    struct item got;
    ASSERT_EQ(0, spsc_ring_pop(&r, &got));
    spsc_ring_destroy(&r);
}
