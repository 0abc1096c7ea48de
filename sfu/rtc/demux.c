/* Datagram -> transport lookup tables (see demux.h). Chained hashing with
 * intrusive nodes; a per-demux seed keeps chain lengths out of a remote
 * peer's control. */
#include "rtc/demux.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"

#define INITIAL_BUCKETS 64

/* FNV-1a over the bytes, seeded, then the murmur3 finalizer to mix the
 * low bits that index the buckets. */
static uint32_t hash_bytes(uint32_t seed, const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

int demux_init(struct demux *d, uint32_t seed)
{
    memset(d, 0, sizeof(*d));
    d->seed = seed;
    d->addr = calloc(INITIAL_BUCKETS, sizeof(*d->addr));
    d->ufrag = calloc(INITIAL_BUCKETS, sizeof(*d->ufrag));
    if (!d->addr || !d->ufrag) {
        demux_destroy(d);
        return -SQ_ENOMEM;
    }
    d->addr_mask = d->ufrag_mask = INITIAL_BUCKETS - 1;
    return 0;
}

void demux_destroy(struct demux *d)
{
    free(d->addr);
    free(d->ufrag);
    d->addr = NULL;
    d->ufrag = NULL;
}

int demux_addr_key(uint8_t key[DEMUX_KEY_LEN], const struct sockaddr_storage *a, socklen_t len)
{
    if (a->ss_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)a;
        memset(key, 0, 10);
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &in->sin_addr, 4);
        memcpy(key + 16, &in->sin_port, 2);
        return 0;
    }
    if (a->ss_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)a;
        memcpy(key, &in6->sin6_addr, 16);
        memcpy(key + 16, &in6->sin6_port, 2);
        return 0;
    }
    return -SQ_EINVAL;
}

/* Bucket arrays double when the load passes 1. A failed allocation only
 * leaves chains longer. */
static void grow_addr(struct demux *d)
{
    size_t cap = (d->addr_mask + 1) * 2;
    struct demux_addr_node **b = calloc(cap, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i <= d->addr_mask; i++) {
        for (struct demux_addr_node *n = d->addr[i], *next; n; n = next) {
            next = n->next;
            n->next = b[n->hash & (cap - 1)];
            b[n->hash & (cap - 1)] = n;
        }
    }
    free(d->addr);
    d->addr = b;
    d->addr_mask = cap - 1;
}

static void grow_ufrag(struct demux *d)
{
    size_t cap = (d->ufrag_mask + 1) * 2;
    struct demux_ufrag_node **b = calloc(cap, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i <= d->ufrag_mask; i++) {
        for (struct demux_ufrag_node *n = d->ufrag[i], *next; n; n = next) {
            next = n->next;
            n->next = b[n->hash & (cap - 1)];
            b[n->hash & (cap - 1)] = n;
        }
    }
    free(d->ufrag);
    d->ufrag = b;
    d->ufrag_mask = cap - 1;
}

static struct demux_addr_node *find_addr_node(const struct demux *d, const uint8_t *key,
                                              uint32_t hash)
{
    for (struct demux_addr_node *n = d->addr[hash & d->addr_mask]; n; n = n->next)
        if (n->hash == hash && memcmp(n->key, key, DEMUX_KEY_LEN) == 0)
            return n;
    return NULL;
}

int demux_add_addr(struct demux *d, struct demux_addr_node *n, const struct sockaddr_storage *a,
                   socklen_t len, void *owner)
{
    uint8_t key[DEMUX_KEY_LEN];
    if (demux_addr_key(key, a, len) < 0)
        return -SQ_EINVAL;
    if (n->is_linked)
        demux_remove_addr(d, n);
    uint32_t hash = hash_bytes(d->seed, key, DEMUX_KEY_LEN);
    struct demux_addr_node *old = find_addr_node(d, key, hash);
    if (old)
        demux_remove_addr(d, old);
    if (d->n_addr + 1 > d->addr_mask + 1)
        grow_addr(d);
    memcpy(n->key, key, DEMUX_KEY_LEN);
    n->hash = hash;
    n->owner = owner;
    n->next = d->addr[hash & d->addr_mask];
    d->addr[hash & d->addr_mask] = n;
    n->is_linked = true;
    d->n_addr++;
    return 0;
}

void demux_remove_addr(struct demux *d, struct demux_addr_node *n)
{
    if (!n->is_linked)
        return;
    for (struct demux_addr_node **pp = &d->addr[n->hash & d->addr_mask]; *pp; pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = n->next;
            d->n_addr--;
            break;
        }
    }
    n->next = NULL;
    n->is_linked = false;
}

void *demux_find_addr(const struct demux *d, const struct sockaddr_storage *a, socklen_t len)
{
    uint8_t key[DEMUX_KEY_LEN];
    if (demux_addr_key(key, a, len) < 0)
        return NULL;
    struct demux_addr_node *n = find_addr_node(d, key, hash_bytes(d->seed, key, DEMUX_KEY_LEN));
    return n ? n->owner : NULL;
}

int demux_add_ufrag(struct demux *d, struct demux_ufrag_node *n, const char *ufrag, void *owner)
{
    size_t len = strlen(ufrag);
    if (demux_find_ufrag(d, (const uint8_t *)ufrag, len))
        return -SQ_EEXIST;
    if (n->is_linked)
        demux_remove_ufrag(d, n);
    if (d->n_ufrag + 1 > d->ufrag_mask + 1)
        grow_ufrag(d);
    n->ufrag = ufrag;
    n->len = len;
    n->hash = hash_bytes(d->seed, (const uint8_t *)ufrag, len);
    n->owner = owner;
    n->next = d->ufrag[n->hash & d->ufrag_mask];
    d->ufrag[n->hash & d->ufrag_mask] = n;
    n->is_linked = true;
    d->n_ufrag++;
    return 0;
}

void demux_remove_ufrag(struct demux *d, struct demux_ufrag_node *n)
{
    if (!n->is_linked)
        return;
    for (struct demux_ufrag_node **pp = &d->ufrag[n->hash & d->ufrag_mask]; *pp; pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = n->next;
            d->n_ufrag--;
            break;
        }
    }
    n->next = NULL;
    n->is_linked = false;
}

void *demux_find_ufrag(const struct demux *d, const uint8_t *ufrag, size_t len)
{
    uint32_t hash = hash_bytes(d->seed, ufrag, len);
    for (struct demux_ufrag_node *n = d->ufrag[hash & d->ufrag_mask]; n; n = n->next)
        if (n->hash == hash && n->len == len && memcmp(n->ufrag, ufrag, len) == 0)
            return n->owner;
    return NULL;
}
