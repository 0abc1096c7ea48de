/* One media packet as the router hands it to consumers: parsed once by the
 * producer, read-only afterwards. */
#ifndef SABAQ_RTC_PACKET_H
#define SABAQ_RTC_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "sabaq/rtp.h"

struct rtc_packet {
    struct rtp_packet rtp;       /* views into the receive buffer (borrowed) */
    uint64_t ext_seq;            /* the producer's extended sequence number */
    bool has_audio_level;
    uint8_t audio_level;         /* 0..127 -dBov */
    bool voice_activity;
    bool is_keyframe;            /* first packet of a VP8 key frame */
};

#endif
