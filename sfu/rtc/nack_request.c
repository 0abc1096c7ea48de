/* Upstream NACK requests (see nack_request.h). */
#include "rtc/nack_request.h"

#include <string.h>

static void drop_at(struct nack_request *r, uint8_t i)
{
    memmove(&r->entries[i], &r->entries[i + 1], (size_t)(r->n - i - 1) * sizeof(r->entries[0]));
    r->n--;
}

static void add_missing(struct nack_request *r, uint64_t ext_seq, uint64_t now_us)
{
    if (r->n == NACK_REQUEST_MAX) {   /* the oldest is the least likely to help */
        drop_at(r, 0);
        r->lost++;
    }
    r->entries[r->n++] = (struct nack_request_entry){ext_seq, now_us + NACK_REQUEST_FIRST_US, 0};
}

void nack_request_reset(struct nack_request *r)
{
    r->n = 0;
    r->started = false;
}

enum nack_request_verdict nack_request_on_packet(struct nack_request *r, uint64_t ext_seq,
                                                 uint64_t now_us)
{
    if (!r->started || ext_seq > r->highest + NACK_REQUEST_MAX_GAP + 1) {
        bool jumped = r->started;
        r->n = 0;
        r->started = true;
        r->highest = ext_seq;
        return jumped ? NACK_REQUEST_KEYFRAME : NACK_REQUEST_OK;
    }
    if (ext_seq > r->highest) {
        for (uint64_t s = r->highest + 1; s < ext_seq; s++)
            add_missing(r, s, now_us);
        r->highest = ext_seq;
        return NACK_REQUEST_OK;
    }
    /* Late, reordered or resent: no longer missing. */
    for (uint8_t i = 0; i < r->n; i++) {
        if (r->entries[i].ext_seq == ext_seq) {
            if (r->entries[i].tries)
                r->recovered++;
            drop_at(r, i);
            break;
        }
        if (r->entries[i].ext_seq > ext_seq)
            break;
    }
    return NACK_REQUEST_OK;
}

size_t nack_request_due(struct nack_request *r, uint64_t now_us, uint16_t *out, size_t cap)
{
    size_t n = 0;
    for (uint8_t i = 0; i < r->n && n < cap;) {
        struct nack_request_entry *e = &r->entries[i];
        if (e->next_us > now_us) {
            i++;
            continue;
        }
        if (e->tries == NACK_REQUEST_TRIES) {
            r->lost++;
            drop_at(r, i);
            continue;
        }
        out[n++] = (uint16_t)e->ext_seq;
        e->tries++;
        e->next_us = now_us + NACK_REQUEST_RETRY_US;
        r->asked++;
        i++;
    }
    return n;
}
