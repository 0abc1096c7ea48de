/* A synthetic but realistic VP8 camera stream for bench/fwd: RTP packets as
 * Chrome sends them (one-byte header extensions mid, abs-send-time,
 * transport-cc; VP8 payload descriptor with a 15-bit PictureID), cut from
 * frames of a given bitrate and frame rate, a keyframe first and then every
 * `keyframe_interval` frames, then SRTP-protected by the publisher's keys. */
#ifndef SABAQ_BENCH_FWD_STREAM_H
#define SABAQ_BENCH_FWD_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/srtp_session.h"

struct fwd_stream_config {
    uint32_t ssrc;
    uint8_t payload_type;
    uint16_t first_seq;          /* near 0xffff to cross a rollover in the run */
    uint32_t first_timestamp;
    const char *mid;             /* value of the mid extension */
    uint8_t ext_mid, ext_abs_send_time, ext_transport_cc; /* one-byte ids */
    uint32_t bitrate_bps;        /* 1500000 */
    uint32_t fps;                /* 30 */
    uint32_t keyframe_interval;  /* frames between keyframes (frame 0 is one) */
    uint32_t keyframe_scale;     /* keyframe size / mean frame size */
    uint16_t max_payload;        /* RTP payload bytes per packet, descriptor included */
    uint16_t width, height;      /* written in the keyframe header */
    uint64_t seed;
};

struct fwd_packet {
    uint32_t off;                /* into fwd_stream.data */
    uint16_t plain_len;          /* protected: plain_len + the profile's tag */
    uint16_t payload_len;        /* RTP payload bytes (VP8 descriptor + data) */
    bool is_keyframe_start;
    uint64_t at_us;              /* send time relative to the stream's start */
};

struct fwd_stream {
    uint8_t *data;               /* owned: plaintext packets, each with SRTP_MAX_TRAILER spare */
    size_t data_len;
    struct fwd_packet *pkts;     /* owned */
    size_t n;
    uint32_t frames, keyframes;
    uint64_t payload_bytes;      /* sum of payload_len */
    uint64_t duration_us;        /* frames / fps */
};

/* Cuts `n_packets` packets (whole frames, the last one may be cut short). 0 or -1. */
int fwd_stream_make(struct fwd_stream *s, const struct fwd_stream_config *cfg, size_t n_packets);
/* Copies the packets to `dst` (data_len bytes, same offsets) and protects them
 * there as the publisher would, with libsrtp2 keyed by `sender` (its local_*
 * keys). Returns the tag length every packet grew by, or -1. */
int fwd_stream_protect(const struct fwd_stream *s, const struct srtp_keys *sender, uint8_t *dst);
void fwd_stream_free(struct fwd_stream *s);

#endif
