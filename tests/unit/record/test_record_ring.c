/* The worker -> recorder ring: order, a full ring drops (and counts)
 * instead of blocking, and a producer and a consumer thread agree on every
 * byte. */
#include "test.h"

#include <pthread.h>
#include <sched.h>

#include "sabaq/error.h"
#include "record/record_ring.h"

TEST(record_ring_keeps_order_and_drops_when_full)
{
    struct record_ring r;
    ASSERT_EQ(-SQ_EINVAL, record_ring_init(&r, 6));
    ASSERT_EQ(0, record_ring_init(&r, 4));
    ASSERT(record_ring_is_empty(&r));
    ASSERT(record_ring_peek(&r) == NULL);
    for (uint32_t i = 0; i < 4; i++) {
        struct record_packet *p = record_ring_reserve(&r);
        ASSERT(p != NULL);
        p->producer_id = i;
        record_ring_commit(&r);
    }
    ASSERT(record_ring_reserve(&r) == NULL);
    ASSERT_EQ(1, (long long)atomic_load(&r.dropped_full));
    for (uint32_t i = 0; i < 2; i++) {
        const struct record_packet *p = record_ring_peek(&r);
        ASSERT(p != NULL);
        ASSERT_EQ(i, p->producer_id);
        record_ring_release(&r);
    }
    /* Room again, and the order survives the wrap. */
    for (uint32_t i = 4; i < 6; i++) {
        struct record_packet *p = record_ring_reserve(&r);
        ASSERT(p != NULL);
        p->producer_id = i;
        record_ring_commit(&r);
    }
    for (uint32_t i = 2; i < 6; i++) {
        const struct record_packet *p = record_ring_peek(&r);
        ASSERT(p != NULL);
        ASSERT_EQ(i, p->producer_id);
        record_ring_release(&r);
    }
    ASSERT(record_ring_is_empty(&r));
    record_ring_destroy(&r);
}

#define STRESS_PACKETS 200000

struct stress {
    struct record_ring ring;
    uint64_t sent;
};

static void *produce(void *arg)
{
    struct stress *s = arg;
    for (uint64_t i = 0; i < STRESS_PACKETS; i++) {
        struct record_packet *p;
        while (!(p = record_ring_reserve(&s->ring)))
            sched_yield();       /* the test wants every packet; a worker would drop */
        p->ext_seq = i;
        p->payload_len = (uint16_t)(i % 200 + 1);
        for (uint16_t k = 0; k < p->payload_len; k++)
            p->payload[k] = (uint8_t)(i + k);
        record_ring_commit(&s->ring);
    }
    return NULL;
}

TEST(record_ring_hands_every_byte_across_threads)
{
    static struct stress s;
    pthread_t t;
    ASSERT_EQ(0, record_ring_init(&s.ring, 64));
    ASSERT_EQ(0, pthread_create(&t, NULL, produce, &s));
    uint64_t next = 0;
    int bad = 0;
    while (next < STRESS_PACKETS) {
        const struct record_packet *p = record_ring_peek(&s.ring);
        if (!p) {
            sched_yield();
            continue;
        }
        if (p->ext_seq != next || p->payload_len != next % 200 + 1)
            bad++;
        for (uint16_t k = 0; k < p->payload_len; k++)
            if (p->payload[k] != (uint8_t)(next + k))
                bad++;
        record_ring_release(&s.ring);
        next++;
    }
    pthread_join(t, NULL);
    ASSERT_EQ(0, bad);
    record_ring_destroy(&s.ring);
}
