/* Incoming (decrypted) RTCP on a transport, whichever side it is:
 *   from subscribers  RR -> the consumer's loss/jitter/RTT, NACK -> RTX,
 *                     PLI/FIR -> the producer's keyframe request,
 *                     REMB/TWCC -> stored on the transport for later use;
 *   from publishers   SR -> the producer's NTP/RTP mapping.
 * Everything else is counted. */
#ifndef SABAQ_RTC_RTCP_HANDLER_H
#define SABAQ_RTC_RTCP_HANDLER_H

#include <stddef.h>
#include <stdint.h>

struct transport;

void rtcp_handler_receive(struct transport *t, const uint8_t *buf, size_t len, uint64_t now_us);

#endif
