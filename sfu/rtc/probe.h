/* Bandwidth probes toward a subscriber: when the estimator asks for one
 * (bwe_probe_plan()), padding-only RTX packets (RFC 4588 stream, RFC 3550
 * sec. 5.1 padding, as browsers probe) go out on the RTX SSRC of one of the
 * transport's video consumers, each with its transport-wide sequence number
 * so the subscriber's feedback times them. */
#ifndef SABAQ_RTC_PROBE_H
#define SABAQ_RTC_PROBE_H

#include <stdint.h>

struct transport;

#define PROBE_PADDING 255        /* bytes of padding per packet: the RTP maximum */
#define PROBE_MAX_PACKETS 64     /* per cluster: 64 x ~300 B = 150 kbit in one go */

/* On the transport's tick: sends a probe cluster when one is due. Returns
 * the packets sent. */
int probe_tick(struct transport *t, uint64_t now_us);

#endif
