/* Ring of recent packets for retransmission (see nack_cache.h). */
#include "rtc/nack_cache.h"

#include <stdlib.h>
#include <string.h>

struct nack_cache *nack_cache_new_sized(size_t n_slots)
{
    if (n_slots == 0 || (n_slots & (n_slots - 1)) || n_slots > 0x10000)
        return NULL;
    struct nack_cache *c = malloc(sizeof(*c));
    if (!c)
        return NULL;
    c->slots = calloc(n_slots, sizeof(*c->slots));
    if (!c->slots) {
        free(c);
        return NULL;
    }
    c->mask = (uint32_t)(n_slots - 1);
    return c;
}

struct nack_cache *nack_cache_new(void)
{
    return nack_cache_new_sized(NACK_CACHE_SIZE);
}

void nack_cache_free(struct nack_cache *c)
{
    if (!c)
        return;
    free(c->slots);
    free(c);
}

void nack_cache_store(struct nack_cache *c, uint64_t ext_seq, const uint8_t *pkt, size_t len)
{
    struct nack_cache_slot *s = &c->slots[ext_seq & c->mask];
    if (len == 0 || len > RTP_MAX_PACKET)
        return;
    if (s->len && s->ext_seq > ext_seq)
        return;
    memcpy(s->data, pkt, len);
    s->len = (uint16_t)len;
    s->ext_seq = ext_seq;
}

const uint8_t *nack_cache_lookup(const struct nack_cache *c, uint64_t ext_seq, size_t *len)
{
    const struct nack_cache_slot *s = &c->slots[ext_seq & c->mask];
    if (!s->len || s->ext_seq != ext_seq)
        return NULL;
    *len = s->len;
    return s->data;
}
