/* Transport-wide CC arrival recording (see twcc_recorder.h). */
#include "rtc/twcc_recorder.h"

#include <stdlib.h>

#include "rtc/seq.h"

#define MASK (TWCC_WINDOW - 1)

struct twcc_recorder *twcc_recorder_new(void)
{
    struct twcc_recorder *r = calloc(1, sizeof(*r));
    if (r)
        for (size_t i = 0; i < TWCC_WINDOW; i++)
            r->arrival_us[i] = -1;
    return r;
}

void twcc_recorder_free(struct twcc_recorder *r) { free(r); }

void twcc_recorder_record(struct twcc_recorder *r, uint16_t seq, uint64_t now_us)
{
    if (!r->has_base) {
        r->has_base = true;
        r->next_ext = r->max_ext = 0x10000u | seq;
        r->arrival_us[r->max_ext & MASK] = (int64_t)now_us;
        return;
    }
    uint64_t ext = seq_extend(r->max_ext, seq);
    if (ext < r->next_ext)
        return;                  /* already reported as lost */
    if (ext > r->max_ext) {
        /* Clear the slots between the old and the new highest: they are
         * losses until they arrive. */
        uint64_t from = r->max_ext + 1;
        if (ext - from >= TWCC_WINDOW)
            from = ext - TWCC_WINDOW + 1;
        for (uint64_t e = from; e < ext; e++)
            r->arrival_us[e & MASK] = -1;
        r->max_ext = ext;
        /* Whatever the window no longer holds is given up unreported. */
        if (r->max_ext - r->next_ext >= TWCC_WINDOW)
            r->next_ext = r->max_ext - TWCC_WINDOW + 1;
    }
    r->arrival_us[ext & MASK] = (int64_t)now_us;
}

size_t twcc_recorder_take(struct twcc_recorder *r, struct rtcp_twcc *fb, size_t max)
{
    if (!r->has_base || r->next_ext > r->max_ext)
        return 0;
    size_t n = (size_t)(r->max_ext - r->next_ext + 1);
    if (max > RTCP_TWCC_MAX_PACKETS)
        max = RTCP_TWCC_MAX_PACKETS;
    if (n > max)
        n = max;
    fb->base_seq = (uint16_t)r->next_ext;
    fb->count = (uint16_t)n;
    fb->fb_count = r->fb_count++;
    for (size_t i = 0; i < n; i++) {
        uint64_t e = r->next_ext + i;
        fb->arrival_us[i] = r->arrival_us[e & MASK];
        r->arrival_us[e & MASK] = -1;
    }
    r->next_ext += n;
    return n;
}
