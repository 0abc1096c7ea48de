/* Single-producer single-consumer ring (see spsc_ring.h). The producer
 * publishes an item by storing tail with release order after copying it in;
 * the consumer reads tail with acquire order before copying it out, and
 * frees the slot by storing head with release order. Indexes run freely and
 * are masked on use, so full (tail - head == cap) and empty (tail == head)
 * are never confused. */
#include "io/spsc_ring.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"

int spsc_ring_init(struct spsc_ring *r, size_t item_size, size_t cap)
{
    memset(r, 0, sizeof(*r));
    if (item_size == 0 || cap == 0 || cap > ((size_t)1 << 24))
        return -SQ_EINVAL;
    size_t n = 1;
    while (n < cap)
        n <<= 1;
    r->items = calloc(n, item_size);
    if (!r->items)
        return -SQ_ENOMEM;
    r->mask = n - 1;
    r->item_size = item_size;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    return 0;
}

void spsc_ring_destroy(struct spsc_ring *r)
{
    free(r->items);
    r->items = NULL;
}

int spsc_ring_push(struct spsc_ring *r, const void *item)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (tail - head > r->mask)
        return -SQ_ELIMIT;
    memcpy(r->items + (tail & r->mask) * r->item_size, item, r->item_size);
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    return 0;
}

int spsc_ring_pop(struct spsc_ring *r, void *out)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (head == tail)
        return 0;
    memcpy(out, r->items + (head & r->mask) * r->item_size, r->item_size);
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    return 1;
}

size_t spsc_ring_len(struct spsc_ring *r)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    return tail - head;
}
