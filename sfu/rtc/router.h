/* The router (DESIGN principle 4): a producer's packet to each of its
 * consumers. */
#ifndef SABAQ_RTC_ROUTER_H
#define SABAQ_RTC_ROUTER_H

#include <stdint.h>

#include "rtc/rtc_packet.h"

struct producer;

/* Each consumer rewrites the packet straight into the next tx slot, protects
 * it in place and commits it: no allocation, lock or log per packet. */
void router_route_rtp(struct producer *p, const struct rtc_packet *pkt, uint64_t now_us);

#endif
