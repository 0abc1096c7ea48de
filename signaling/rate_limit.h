/* A sliding-window rate limit for what people send (chat messages, poll
 * answers): at most RATE_LIMIT_MAX accepted actions in any window_ms. The
 * caller keeps one per person; refused actions do not count. */
#ifndef SIGNALING_RATE_LIMIT_H
#define SIGNALING_RATE_LIMIT_H

#include <stdint.h>

#define RATE_LIMIT_MAX 5

struct rate_limit {
    uint64_t at_ms[RATE_LIMIT_MAX];   /* ring of the last accepted actions */
    unsigned next, n;
};

/* 0 when one more action is allowed at now_ms, else the ms until it is. */
static inline uint64_t rate_limit_wait(const struct rate_limit *r, uint64_t now_ms,
                                       uint64_t window_ms)
{
    if (r->n < RATE_LIMIT_MAX)
        return 0;
    uint64_t oldest = r->at_ms[r->next];   /* full ring: next is the oldest */
    if (now_ms >= oldest + window_ms)
        return 0;
    return oldest + window_ms - now_ms;
}

static inline void rate_limit_record(struct rate_limit *r, uint64_t now_ms)
{
    r->at_ms[r->next] = now_ms;
    r->next = (r->next + 1) % RATE_LIMIT_MAX;
    if (r->n < RATE_LIMIT_MAX)
        r->n++;
}

#endif
