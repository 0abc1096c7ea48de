/* RTCP Sabaq originates on a transport, on the periodic tick: receiver
 * reports (RFC 3550 sec. 6.4.2) about its producers, transport-wide CC
 * feedback every ~100 ms when negotiated, else REMB with a fixed ceiling for
 * video, and sender reports (RFC 3550 sec. 6.4.1) for its consumers.
 * Keyframe requests that waited for the tick go out here too. */
#ifndef SABAQ_RTC_FEEDBACK_H
#define SABAQ_RTC_FEEDBACK_H

#include <stdint.h>

struct transport;

#define FEEDBACK_REPORT_INTERVAL_US 1000000
#define FEEDBACK_TWCC_INTERVAL_US 100000
#define FEEDBACK_TWCC_MAX_PER_PACKET 256
#define FEEDBACK_REMB_BPS 2500000u /* a ceiling until real estimation exists */

/* Records transport-cc arrivals on `t` under header extension `ext_id`.
 * 0 or -SQ_ENOMEM. */
int feedback_enable_twcc(struct transport *t, uint8_t ext_id, uint32_t media_ssrc);

/* The transport-cc sequence number of a packet received on t, if any. */
void feedback_record_twcc(struct transport *t, uint16_t seq, uint64_t now_us);

void feedback_tick(struct transport *t, uint64_t now_us);

#endif
