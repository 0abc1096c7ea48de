/* Single-producer single-consumer ring (see record_ring.h). head and tail
 * only grow (size_t wraps after 2^64 packets, never in practice); the slot of
 * index i is slots[i & mask]. The producer caches the tail so that, while
 * the ring has room, it reads the consumer's cache line once per wrap
 * rather than once per packet. */
#include "record/record_ring.h"

#include <stdlib.h>

#include "sabaq/error.h"

int record_ring_init(struct record_ring *r, size_t slots)
{
    if (slots < 2 || (slots & (slots - 1)))
        return -SQ_EINVAL;
    r->slots = calloc(slots, sizeof(*r->slots));
    if (!r->slots)
        return -SQ_ENOMEM;
    r->mask = slots - 1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->dropped_full, 0);
    r->tail_seen = 0;
    return 0;
}

void record_ring_destroy(struct record_ring *r)
{
    free(r->slots);
    r->slots = NULL;
}

struct record_packet *record_ring_reserve(struct record_ring *r)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (head - r->tail_seen > r->mask) {
        r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (head - r->tail_seen > r->mask) {
            atomic_fetch_add_explicit(&r->dropped_full, 1, memory_order_relaxed);
            return NULL;
        }
    }
    return &r->slots[head & r->mask];
}

void record_ring_commit(struct record_ring *r)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    /* Release: the slot's bytes are visible before the new head is. */
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

const struct record_packet *record_ring_peek(struct record_ring *r)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (tail == atomic_load_explicit(&r->head, memory_order_acquire))
        return NULL;
    return &r->slots[tail & r->mask];
}

void record_ring_release(struct record_ring *r)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    /* Release: we are done reading the slot before the producer may reuse it. */
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

bool record_ring_is_empty(struct record_ring *r)
{
    return atomic_load_explicit(&r->tail, memory_order_relaxed) ==
           atomic_load_explicit(&r->head, memory_order_acquire);
}
