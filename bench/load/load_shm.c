/* bench/load: the shared block (see load_shm.h) and the latency map. The map
 * is direct-mapped and written by one process (the publishers'): a slot holds
 * the last packet whose key landed there. A reader checks the key before and
 * after reading the time, so a slot being rewritten reads as a miss. */
#include "load_shm.h"

#include <string.h>
#include <sys/mman.h>

struct load_shm *load_shm_new(void)
{
    void *p = mmap(NULL, sizeof(struct load_shm), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void load_shm_free(struct load_shm *s)
{
    if (s)
        munmap(s, sizeof(*s));
}

void load_shm_reset(struct load_shm *s)
{
    memset(s, 0, sizeof(*s));
}

/* FNV-1a over the first 32 bytes and the length: the payloads are
 * compressed media, so 32 bytes tell them apart. */
uint64_t load_payload_key(const uint8_t *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)len;
    size_t n = len < 32 ? len : 32;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h | 1; /* 0 marks an empty slot */
}

#define TIME_MASK ((1ull << 56) - 1) /* CLOCK_MONOTONIC us: 2^56 is 2000 years */

void load_latmap_put(struct load_shm *s, uint64_t key, uint64_t sent_us, uint8_t source)
{
    struct load_latmap_slot *slot = &s->latmap[key & (LOAD_LATMAP_SLOTS - 1)];
    atomic_store_explicit(&slot->key, 0, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&slot->value, (sent_us & TIME_MASK) | (uint64_t)source << 56,
                          memory_order_relaxed);
    atomic_store_explicit(&slot->key, key, memory_order_release);
}

uint64_t load_latmap_get(const struct load_shm *s, uint64_t key, uint8_t *source)
{
    const struct load_latmap_slot *slot = &s->latmap[key & (LOAD_LATMAP_SLOTS - 1)];
    *source = LOAD_SRC_NONE;
    if (atomic_load_explicit(&slot->key, memory_order_acquire) != key)
        return 0;
    uint64_t v = atomic_load_explicit(&slot->value, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&slot->key, memory_order_relaxed) != key)
        return 0;
    *source = (uint8_t)(v >> 56);
    return v & TIME_MASK;
}
