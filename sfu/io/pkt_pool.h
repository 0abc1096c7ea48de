/* A media worker's packet buffers: a fixed set allocated at start-up, taken
 * and reclaimed only by the owning worker, lent by reference to other
 * workers (a packet parsed and decrypted once, then forwarded by every
 * worker that holds consumers of it; a datagram that arrived on the wrong
 * worker's socket). A lent buffer carries an atomic count of the workers
 * still reading it; each drops its reference with pkt_buf_release() from
 * its own thread, and the owner puts buffers whose count reached zero back
 * on its free list (pkt_pool_reclaim, once per loop turn). No lock, no
 * malloc per packet; an empty pool makes the caller drop the copy. */
#ifndef SABAQ_IO_PKT_POOL_H
#define SABAQ_IO_PKT_POOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A received datagram (UDP_RX_BUF) fits. */
#define PKT_BUF_DATA 2048

struct pkt_buf {
    atomic_uint refs;            /* readers left; 0 = the owner may reuse it */
    uint16_t len;
    uint8_t layer;               /* shared RTP: the producer layer */
    socklen_t from_len;          /* forwarded datagram: its source */
    struct sockaddr_storage from;
    struct pkt_buf *next;        /* the owner's free list or lent FIFO */
    uint8_t data[PKT_BUF_DATA];
};

struct pkt_pool {
    struct pkt_buf *bufs;        /* owned: n of them */
    size_t n;
    size_t n_untouched;          /* bufs[n - n_untouched ..] never lent: their pages
                                  * stay untouched until needed (RSS) */
    struct pkt_buf *free;        /* owner only: lent before, back now */
    size_t n_free;
    struct pkt_buf *lent_head, *lent_tail; /* owner only: in the order lent */
    size_t n_lent;
};

/* 0, -SQ_EINVAL or -SQ_ENOMEM. */
int pkt_pool_init(struct pkt_pool *p, size_t n);
/* Every buffer must have come back (the workers that read them are gone). */
void pkt_pool_destroy(struct pkt_pool *p);

/* Owner only: a buffer lent to `refs` readers (>= 1) from now on, NULL when
 * none is free even after a reclaim. */
struct pkt_buf *pkt_pool_lend(struct pkt_pool *p, unsigned refs);
/* Owner only: gives back buffers no reader holds any more. Cheap when
 * readers keep up (it stops at the first buffer still held) unless the free
 * list is empty, when it looks at every lent buffer. Returns how many. */
size_t pkt_pool_reclaim(struct pkt_pool *p);

/* Owner only: how many could be lent now without a reclaim. */
static inline size_t pkt_pool_available(const struct pkt_pool *p)
{
    return p->n_free + p->n_untouched;
}

/* Any reader thread, once per reference it was given. */
static inline void pkt_buf_release(struct pkt_buf *b)
{
    atomic_fetch_sub_explicit(&b->refs, 1, memory_order_release);
}

#endif
