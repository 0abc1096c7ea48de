/* H.264 RTP payload (RFC 6184) in packetization-mode 1 (single NAL unit,
 * STAP-A, FU-A): what an SFU needs to forward it without decoding, that is
 * which NAL units start in a packet and so where a keyframe begins. Sans-IO,
 * no allocation. */
#ifndef SABAQ_H264_H
#define SABAQ_H264_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NAL unit types (H.264 table 7-1) and RFC 6184 packet types. */
enum {
    H264_NAL_SLICE = 1,
    H264_NAL_IDR = 5,
    H264_NAL_SEI = 6,
    H264_NAL_SPS = 7,
    H264_NAL_PPS = 8,
    H264_NAL_AUD = 9,
    H264_PACKET_STAP_A = 24,
    H264_PACKET_FU_A = 28,
};

struct h264_payload {
    uint8_t packet_type;         /* 1..23 single NAL unit, 24 STAP-A or 28 FU-A */
    uint8_t nal_type;            /* the (first) NAL unit carried; for FU-A the fragmented one */
    bool is_fragment;            /* FU-A */
    bool is_fragment_start;      /* FU-A S bit */
    bool is_fragment_end;        /* FU-A E bit */
    uint8_t n_nals;              /* NAL units that start here (0 in an FU-A middle or end) */
    bool has_idr;                /* an IDR slice starts here */
    bool has_sps;
    bool has_pps;
};

/* 0, or -SQ_EMALFORMED for an empty payload, a forbidden or reserved type
 * (0, 30, 31), the interleaved-mode types (STAP-B, MTAP16/24, FU-B: not
 * packetization-mode 1), a STAP-A whose sizes do not add up to the payload,
 * an FU-A without an FU header or with both S and E set. */
int h264_payload_parse(struct h264_payload *out, const uint8_t *payload, size_t len);

/* Where keyframes begin in one stream. An encoder sends the parameter sets
 * (SPS, PPS) just before an IDR picture, all with the IDR's RTP timestamp;
 * a subscriber that starts later than the SPS cannot decode the IDR. So the
 * first packet of a keyframe is the first one of a new timestamp that
 * carries an SPS or starts an IDR slice (an encoder that sends no parameter
 * sets in band gives its IDR then). Packets of older or equal timestamps
 * (the rest of that access unit, reordering, retransmissions) never start
 * one again, unless they are more than 5 s older: then the stream started
 * over. */
struct h264_keyframe_state {
    bool has_key_ts;
    uint32_t key_ts;             /* RTP timestamp of the newest keyframe start */
};

bool h264_is_keyframe_start(struct h264_keyframe_state *st, const struct h264_payload *p,
                            uint32_t timestamp);

/* Without the stream's history (a packet taken back out of a cache): true
 * when the packet carries an SPS or starts an IDR slice. */
static inline bool h264_payload_may_start_keyframe(const struct h264_payload *p)
{
    return p->has_sps || p->has_idr;
}

#endif
