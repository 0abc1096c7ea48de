/* A bounded ring of fixed-size items from exactly one thread to exactly one
 * other (Lamport's single-producer single-consumer queue with C11
 * acquire/release indexes): no lock and no syscall, so it can carry one
 * message per packet between two media workers. Waking the consumer is the
 * caller's business (the workers write the target's eventfd once per batch,
 * not per item). */
#ifndef SABAQ_IO_SPSC_RING_H
#define SABAQ_IO_SPSC_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct spsc_ring {
    /* Each index on its own cache line: the producer writes tail, the
     * consumer head, and neither should invalidate the other's line. */
    _Alignas(64) atomic_size_t head;  /* next item to pop; written by the consumer */
    _Alignas(64) atomic_size_t tail;  /* next slot to fill; written by the producer */
    _Alignas(64) size_t mask;         /* capacity - 1 (a power of two) */
    size_t item_size;
    uint8_t *items;                   /* owned: (mask + 1) * item_size bytes */
};

/* cap is rounded up to a power of two. 0, -SQ_EINVAL or -SQ_ENOMEM. */
int spsc_ring_init(struct spsc_ring *r, size_t item_size, size_t cap);
void spsc_ring_destroy(struct spsc_ring *r);

/* Producer thread only. 0, or -SQ_ELIMIT when full (nothing copied). */
int spsc_ring_push(struct spsc_ring *r, const void *item);
/* Consumer thread only. 1 with the oldest item copied to out, 0 when empty. */
int spsc_ring_pop(struct spsc_ring *r, void *out);
/* Either thread; a snapshot that may be stale by the time it is used. */
size_t spsc_ring_len(struct spsc_ring *r);

#endif
