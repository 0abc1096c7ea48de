/* One media packet as the router hands it to consumers: parsed once by the
 * producer, read-only afterwards. */
#ifndef SABAQ_RTC_PACKET_H
#define SABAQ_RTC_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "sabaq/rtp.h"
#include "sabaq/vp8.h"

/* VP8 PictureID and TL0PICIDX (RFC 7741 sec. 4.2), rewritten by consumers
 * that switch layers or sources. 8 bytes: a consumer keeps the newest with
 * one copy. */
struct rtc_vp8_ids {
    uint8_t picture_id_at;       /* byte offset in the payload, 0 = no PictureID */
    uint8_t tl0_at;              /* byte offset in the payload, 0 = no TL0PICIDX */
    bool picture_id_15bit;
    uint16_t picture_id;
    uint8_t tl0_pic_idx;
};

struct rtc_packet {
    struct rtp_packet rtp;       /* views into the receive buffer (borrowed) */
    uint64_t ext_seq;            /* the producer's extended sequence number */
    bool has_audio_level;
    uint8_t audio_level;         /* 0..127 -dBov */
    bool voice_activity;
    bool is_keyframe;            /* first packet of a key frame: VP8, or for H.264 the
                                    one with its SPS or IDR start (sabaq/h264.h) */
    uint8_t layer;               /* the producer layer (simulcast), 0 without simulcast */
    struct rtc_vp8_ids vp8;      /* all zero for H.264: nothing to rewrite */
};

/* Fills the vp8_* fields from a parsed descriptor: PictureID follows the X
 * byte (offset 2), TL0PICIDX follows PictureID's 1 or 2 bytes. */
static inline void rtc_packet_set_vp8(struct rtc_packet *pkt, const struct vp8_descriptor *d)
{
    if (d->has_picture_id) {
        pkt->vp8.picture_id_at = 2;
        pkt->vp8.picture_id_15bit = d->picture_id_15bit;
        pkt->vp8.picture_id = d->picture_id;
    }
    if (d->has_tl0_pic_idx) {
        pkt->vp8.tl0_at = (uint8_t)(2 + (d->has_picture_id ? (d->picture_id_15bit ? 2 : 1) : 0));
        pkt->vp8.tl0_pic_idx = d->tl0_pic_idx;
    }
}

#endif
