/* The control <-> worker queue: order, bound, wake-ups, several pushers. */
#include "test.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "sabaq/error.h"
#include "io/cmd_queue.h"

struct item {
    uint32_t producer;
    uint32_t seq;
    char pad[40];
};

static void count_wake(void *arg)
{
    atomic_fetch_add((atomic_int *)arg, 1);
}

TEST(cmd_queue_pops_in_push_order_across_wraparound)
{
    struct cmd_queue q;
    ASSERT_EQ(0, cmd_queue_init(&q, sizeof(struct item), 4, NULL, NULL));
    uint32_t next_in = 0, next_out = 0;
    /* Three pushes, two pops, many times: head and tail wrap around the ring. */
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 3 && cmd_queue_len(&q) < 4; i++) {
            struct item it = {.seq = next_in++};
            ASSERT_EQ(0, cmd_queue_push(&q, &it));
        }
        for (int i = 0; i < 2; i++) {
            struct item out;
            ASSERT_EQ(1, cmd_queue_pop(&q, &out));
            ASSERT_EQ(next_out++, out.seq);
        }
    }
    struct item out;
    while (cmd_queue_pop(&q, &out))
        ASSERT_EQ(next_out++, out.seq);
    ASSERT_EQ(next_in, next_out);
    ASSERT_EQ(0, cmd_queue_pop(&q, &out));
    cmd_queue_destroy(&q);
}

TEST(cmd_queue_refuses_push_when_full_and_accepts_after_pop)
{
    struct cmd_queue q;
    atomic_int wakes = 0;
    ASSERT_EQ(0, cmd_queue_init(&q, sizeof(struct item), 3, count_wake, &wakes));
    struct item it = {0}, out;
    for (uint32_t i = 0; i < 3; i++) {
        it.seq = i;
        ASSERT_EQ(0, cmd_queue_push(&q, &it));
    }
    it.seq = 99;
    ASSERT_EQ(-SQ_ELIMIT, cmd_queue_push(&q, &it));
    ASSERT_EQ(3, atomic_load(&wakes)); /* a refused push wakes no one */
    ASSERT_EQ(3, cmd_queue_len(&q));
    ASSERT_EQ(1, cmd_queue_pop(&q, &out));
    ASSERT_EQ(0, out.seq);
    it.seq = 3;
    ASSERT_EQ(0, cmd_queue_push(&q, &it));
    for (uint32_t i = 1; i <= 3; i++) {
        ASSERT_EQ(1, cmd_queue_pop(&q, &out));
        ASSERT_EQ(i, out.seq);
    }
    cmd_queue_destroy(&q);
}

TEST(cmd_queue_wakes_after_each_push)
{
    struct cmd_queue q;
    atomic_int wakes = 0;
    ASSERT_EQ(0, cmd_queue_init(&q, sizeof(struct item), 8, count_wake, &wakes));
    struct item it = {0}, out;
    ASSERT_EQ(0, atomic_load(&wakes));
    ASSERT_EQ(0, cmd_queue_push(&q, &it));
    ASSERT_EQ(1, atomic_load(&wakes));
    /* Also when not empty: the consumer may have stopped draining half-way. */
    ASSERT_EQ(0, cmd_queue_push(&q, &it));
    ASSERT_EQ(2, atomic_load(&wakes));
    ASSERT_EQ(1, cmd_queue_pop(&q, &out));
    ASSERT_EQ(2, atomic_load(&wakes)); /* popping wakes no one */
    cmd_queue_destroy(&q);
}

TEST(cmd_queue_init_refuses_zero_sizes)
{
    struct cmd_queue q;
    ASSERT_EQ(-SQ_EINVAL, cmd_queue_init(&q, 0, 4, NULL, NULL));
    ASSERT_EQ(-SQ_EINVAL, cmd_queue_init(&q, 8, 0, NULL, NULL));
    cmd_queue_destroy(&q); /* harmless after a failed init */
}

#define PUSHERS 4
#define PER_PUSHER 5000

struct pusher {
    struct cmd_queue *q;
    uint32_t id;
};

static void *push_all(void *arg)
{
    struct pusher *p = arg;
    for (uint32_t i = 0; i < PER_PUSHER; i++) {
        struct item it = {.producer = p->id, .seq = i};
        while (cmd_queue_push(p->q, &it) == -SQ_ELIMIT)
            sched_yield();
    }
    return NULL;
}

TEST(cmd_queue_keeps_each_pushers_order_across_threads)
{
    struct cmd_queue q;
    atomic_int wakes = 0;
    ASSERT_EQ(0, cmd_queue_init(&q, sizeof(struct item), 64, count_wake, &wakes));
    pthread_t th[PUSHERS];
    struct pusher ps[PUSHERS];
    for (uint32_t i = 0; i < PUSHERS; i++) {
        ps[i] = (struct pusher){.q = &q, .id = i};
        ASSERT_EQ(0, pthread_create(&th[i], NULL, push_all, &ps[i]));
    }
    uint32_t next[PUSHERS] = {0};
    int got = 0, bad = 0;
    while (got < PUSHERS * PER_PUSHER) {
        struct item out;
        if (!cmd_queue_pop(&q, &out)) {
            sched_yield();
            continue;
        }
        if (out.producer >= PUSHERS || out.seq != next[out.producer])
            bad++;
        else
            next[out.producer]++;
        got++;
    }
    for (int i = 0; i < PUSHERS; i++)
        pthread_join(th[i], NULL);
    ASSERT_EQ(0, bad);
    ASSERT_EQ(PUSHERS * PER_PUSHER, atomic_load(&wakes));
    ASSERT_EQ(0, cmd_queue_len(&q));
    cmd_queue_destroy(&q);
}
