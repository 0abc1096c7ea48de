/* 16-bit RTP sequence numbers extended to 64 bits (RFC 3550 A.1 cycles,
 * RFC 3711 sec. 3.3.1 rollover counter): the extended value's high bits are
 * the ROC, so one rule serves receive statistics, the NACK cache and SRTP. */
#ifndef SABAQ_RTC_SEQ_H
#define SABAQ_RTC_SEQ_H

#include <stdint.h>

/* The extended value of `seq` closest to `ref` (the highest extended value
 * seen): a seq just past a wrap lands in the next cycle, a late one from
 * before the wrap in the previous cycle. Never goes below zero. */
static inline uint64_t seq_extend(uint64_t ref, uint16_t seq)
{
    uint64_t cand = (ref & ~(uint64_t)0xFFFF) | seq;
    if (cand + 0x8000 < ref)
        cand += 0x10000;
    else if (cand > ref + 0x8000 && cand >= 0x10000)
        cand -= 0x10000;
    return cand;
}

#endif
