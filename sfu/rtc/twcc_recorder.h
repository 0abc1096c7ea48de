/* Arrival times of a publish transport's packets by transport-wide sequence
 * number (draft-holmer-rmcat-transport-wide-cc-extensions-01), kept until
 * they are reported in a feedback packet. Fixed memory: a window of
 * TWCC_WINDOW sequence numbers. */
#ifndef SABAQ_RTC_TWCC_RECORDER_H
#define SABAQ_RTC_TWCC_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/rtcp.h"

#define TWCC_WINDOW 1024         /* a power of two */

struct twcc_recorder {
    bool has_base;
    uint64_t next_ext;           /* first extended seq not yet reported */
    uint64_t max_ext;            /* highest extended seq received */
    uint8_t fb_count;
    int64_t arrival_us[TWCC_WINDOW]; /* by ext seq % window; -1 = not received */
};

struct twcc_recorder *twcc_recorder_new(void);
void twcc_recorder_free(struct twcc_recorder *r);

void twcc_recorder_record(struct twcc_recorder *r, uint16_t seq, uint64_t now_us);

/* Moves up to `max` unreported sequence numbers (from the first unreported to
 * the highest received) into fb: base_seq, count, fb_count, arrival_us.
 * Returns the count, 0 when nothing is new. */
size_t twcc_recorder_take(struct twcc_recorder *r, struct rtcp_twcc *fb, size_t max);

#endif
