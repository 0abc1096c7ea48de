/* Ring of recent packets for retransmission (see nack_cache.h). */
#include "rtc/nack_cache.h"

#include <stdlib.h>
#include <string.h>

struct nack_cache *nack_cache_new(void)
{
    struct nack_cache *c = malloc(sizeof(*c));
    if (!c)
        return NULL;
    c->slots = calloc(NACK_CACHE_SIZE, sizeof(*c->slots));
    if (!c->slots) {
        free(c);
        return NULL;
    }
    return c;
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
    struct nack_cache_slot *s = &c->slots[ext_seq & (NACK_CACHE_SIZE - 1)];
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
    const struct nack_cache_slot *s = &c->slots[ext_seq & (NACK_CACHE_SIZE - 1)];
    if (!s->len || s->ext_seq != ext_seq)
        return NULL;
    *len = s->len;
    return s->data;
}
