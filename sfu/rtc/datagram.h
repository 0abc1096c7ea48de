/* Outgoing datagrams, batched. The fan-out writes each consumer's packet
 * straight into the next free slot (no copy afterwards), and the owner of the
 * batch (the media worker: sendmmsg; tests: a capture) flushes it when it is
 * full or at the end of a loop turn. Sans-IO: the batch never touches a socket
 * itself, the flush callback does. */
#ifndef SABAQ_RTC_DATAGRAM_H
#define SABAQ_RTC_DATAGRAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DATAGRAM_MAX 1500

struct datagram {
    size_t len;
    struct sockaddr_storage to;
    socklen_t to_len;
    uint8_t data[DATAGRAM_MAX];
};

struct tx_batch {
    struct datagram *slots;      /* owned by whoever made the batch */
    size_t cap;
    size_t n;                    /* committed slots */
    /* Sends slots[0..n) and must leave n == 0. */
    void (*flush)(struct tx_batch *b, void *arg);
    void *flush_arg;
};

/* The slot to write the next datagram into (flushes first when full). */
static inline struct datagram *tx_batch_next(struct tx_batch *b)
{
    if (b->n == b->cap)
        b->flush(b, b->flush_arg);
    return &b->slots[b->n];
}

/* Commits the slot returned by tx_batch_next() with its length and address. */
static inline void tx_batch_commit(struct tx_batch *b, size_t len, const struct sockaddr_storage *to,
                                   socklen_t to_len)
{
    struct datagram *d = &b->slots[b->n++];
    d->len = len;
    d->to = *to;
    d->to_len = to_len;
}

static inline void tx_batch_flush(struct tx_batch *b)
{
    if (b->n)
        b->flush(b, b->flush_arg);
}

#endif
