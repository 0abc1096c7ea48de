/* Per-worker packet buffers lent by reference (see pkt_pool.h). Readers only
 * decrement a buffer's count (release order, after their last read); the
 * owner reads the count with acquire order before reusing the buffer, so a
 * reader's reads happen before the owner's next writes into it. */
#include "io/pkt_pool.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"

int pkt_pool_init(struct pkt_pool *p, size_t n)
{
    memset(p, 0, sizeof(*p));
    if (n == 0)
        return -SQ_EINVAL;
    p->bufs = calloc(n, sizeof(*p->bufs));
    if (!p->bufs)
        return -SQ_ENOMEM;
    p->n = n;
    p->n_untouched = n;
    return 0;
}

void pkt_pool_destroy(struct pkt_pool *p)
{
    free(p->bufs);
    memset(p, 0, sizeof(*p));
}

static bool is_returned(struct pkt_buf *b)
{
    return atomic_load_explicit(&b->refs, memory_order_acquire) == 0;
}

static void put_free(struct pkt_pool *p, struct pkt_buf *b)
{
    b->next = p->free;
    p->free = b;
    p->n_free++;
    p->n_lent--;
}

/* Every lent buffer, in order, keeping the ones still held. */
static size_t reclaim_all(struct pkt_pool *p)
{
    struct pkt_buf *keep_head = NULL, *keep_tail = NULL, *b = p->lent_head, *next;
    size_t n = 0;
    for (; b; b = next) {
        next = b->next;
        if (is_returned(b)) {
            put_free(p, b);
            n++;
            continue;
        }
        b->next = NULL;
        if (keep_tail)
            keep_tail->next = b;
        else
            keep_head = b;
        keep_tail = b;
    }
    p->lent_head = keep_head;
    p->lent_tail = keep_tail;
    return n;
}

size_t pkt_pool_reclaim(struct pkt_pool *p)
{
    if (!p->free && !p->n_untouched)
        return reclaim_all(p);
    size_t n = 0;
    while (p->lent_head && is_returned(p->lent_head)) {
        struct pkt_buf *b = p->lent_head;
        p->lent_head = b->next;
        if (!p->lent_head)
            p->lent_tail = NULL;
        put_free(p, b);
        n++;
    }
    return n;
}

struct pkt_buf *pkt_pool_lend(struct pkt_pool *p, unsigned refs)
{
    struct pkt_buf *b;
    if (!p->free && p->n_untouched) {
        b = &p->bufs[p->n - p->n_untouched--];
    } else {
        if (!p->free && pkt_pool_reclaim(p) == 0)
            return NULL;
        b = p->free;
        p->free = b->next;
        p->n_free--;
    }
    b->next = NULL;
    atomic_store_explicit(&b->refs, refs, memory_order_relaxed);
    if (p->lent_tail)
        p->lent_tail->next = b;
    else
        p->lent_head = b;
    p->lent_tail = b;
    p->n_lent++;
    return b;
}
