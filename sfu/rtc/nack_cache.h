/* The last NACK_CACHE_SIZE packets of one video producer, by extended
 * sequence number, kept to answer subscribers' NACKs (RFC 4585 sec. 6.2.1)
 * with retransmissions (RFC 4588). Plain RTP as received, after unprotect.
 * All memory is allocated when the producer is made: storing is a memcpy. */
#ifndef SABAQ_RTC_NACK_CACHE_H
#define SABAQ_RTC_NACK_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "sabaq/rtp.h"

#define NACK_CACHE_SIZE 512      /* a power of two: slot = seq % size */

struct nack_cache_slot {
    uint64_t ext_seq;
    uint16_t len;                /* 0 = empty */
    uint8_t data[RTP_MAX_PACKET];
};

struct nack_cache {
    struct nack_cache_slot *slots; /* owned: mask + 1 of them */
    uint32_t mask;               /* slot = ext_seq & mask */
};

/* NACK_CACHE_SIZE slots (about 774 KB). */
struct nack_cache *nack_cache_new(void);
/* n_slots slots of sizeof(struct nack_cache_slot) bytes each; n_slots a
 * power of two (a simulcast layer needs fewer packets than a lone stream).
 * NULL when it is not or memory is short. */
struct nack_cache *nack_cache_new_sized(size_t n_slots);
void nack_cache_free(struct nack_cache *c);

/* Copies the packet in, replacing the one a cache size older in its slot.
 * A late packet older than its slot's occupant, or one larger than
 * RTP_MAX_PACKET, is not stored. */
void nack_cache_store(struct nack_cache *c, uint64_t ext_seq, const uint8_t *pkt, size_t len);

/* The stored packet with this extended seq (its length in *len), or NULL
 * when it never arrived or has been overwritten. */
const uint8_t *nack_cache_lookup(const struct nack_cache *c, uint64_t ext_seq, size_t *len);

#endif
