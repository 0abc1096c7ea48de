/* The NACK cache: what was stored comes back, what was overwritten or never
 * stored does not, across the 16-bit wrap. */
#include "test.h"

#include "rtc/nack_cache.h"

static void fill(uint8_t *buf, size_t len, uint8_t v)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(v + i);
}

TEST(nack_cache_returns_stored_packet)
{
    struct nack_cache *c = nack_cache_new();
    uint8_t pkt[300];
    size_t len = 0;
    ASSERT(c);
    fill(pkt, sizeof pkt, 7);
    nack_cache_store(c, 0x10000 + 42, pkt, sizeof pkt);
    const uint8_t *got = nack_cache_lookup(c, 0x10000 + 42, &len);
    ASSERT(got);
    ASSERT_EQ(sizeof pkt, len);
    ASSERT_MEM_EQ(pkt, got, len);
    ASSERT(!nack_cache_lookup(c, 0x10000 + 43, &len));
    nack_cache_free(c);
}

TEST(nack_cache_forgets_overwritten_packet)
{
    struct nack_cache *c = nack_cache_new();
    uint8_t a[100], b[120];
    size_t len;
    fill(a, sizeof a, 1);
    fill(b, sizeof b, 9);
    nack_cache_store(c, 1000, a, sizeof a);
    nack_cache_store(c, 1000 + NACK_CACHE_SIZE, b, sizeof b);
    ASSERT(!nack_cache_lookup(c, 1000, &len));
    const uint8_t *got = nack_cache_lookup(c, 1000 + NACK_CACHE_SIZE, &len);
    ASSERT(got);
    ASSERT_EQ(sizeof b, len);
    ASSERT_MEM_EQ(b, got, len);
    /* A late packet older than the slot's occupant does not evict it. */
    nack_cache_store(c, 1000, a, sizeof a);
    ASSERT(nack_cache_lookup(c, 1000 + NACK_CACHE_SIZE, &len));
    ASSERT(!nack_cache_lookup(c, 1000, &len));
    nack_cache_free(c);
}

TEST(nack_cache_keeps_last_window_across_seq_wrap)
{
    struct nack_cache *c = nack_cache_new();
    uint8_t pkt[64];
    size_t len;
    /* Extended seqs 0x1FF00 .. 0x20100 cross 16-bit 65535 -> 0. */
    for (uint64_t e = 0x1FF00; e <= 0x20100; e++) {
        fill(pkt, sizeof pkt, (uint8_t)e);
        nack_cache_store(c, e, pkt, sizeof pkt);
    }
    for (uint64_t e = 0x20100 - NACK_CACHE_SIZE + 1; e <= 0x20100; e++) {
        const uint8_t *got = nack_cache_lookup(c, e, &len);
        ASSERT(got);
        ASSERT_EQ((uint8_t)e, got[0]);
    }
    ASSERT(!nack_cache_lookup(c, 0x20100 - NACK_CACHE_SIZE, &len));
    /* Same 16-bit seq, one cycle earlier: not the stored packet. */
    ASSERT(!nack_cache_lookup(c, 0x20100 - 0x10000, &len));
    nack_cache_free(c);
}

TEST(nack_cache_refuses_oversized_and_empty)
{
    struct nack_cache *c = nack_cache_new();
    static uint8_t big[RTP_MAX_PACKET + 1];
    size_t len;
    nack_cache_store(c, 5, big, sizeof big);
    nack_cache_store(c, 6, big, 0);
    ASSERT(!nack_cache_lookup(c, 5, &len));
    ASSERT(!nack_cache_lookup(c, 6, &len));
    nack_cache_free(c);
}
