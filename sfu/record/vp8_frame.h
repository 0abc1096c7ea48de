/* Rebuilds whole VP8 frames from RTP packets in sequence order (RFC 7741:
 * a frame is the packets of one RTP timestamp, the first with S=1 and
 * partition 0, the last with the marker bit; each payload starts with the
 * VP8 payload descriptor, which is stripped). Sans-IO. After any loss the
 * frames that follow reference a picture the file does not have, so every
 * frame is dropped until the next keyframe, and the caller is told to ask
 * the publisher for one. A new stream starts the same way: at a keyframe. */
#ifndef SABAQ_RECORD_VP8_FRAME_H
#define SABAQ_RECORD_VP8_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record/jitter_buffer.h"

/* A 1080p screen-share keyframe is a few hundred KB; larger frames are dropped. */
#define VP8_FRAME_MAX (1u << 20)

struct vp8_frame {
    const uint8_t *data;         /* view: valid until the next vp8_frame_push */
    size_t len;
    uint32_t rtp_timestamp;
    uint64_t arrival_us;         /* of its first packet */
    bool is_keyframe;
    uint16_t width, height;      /* keyframes: from the VP8 frame header; else 0 */
};

struct vp8_frame_stats {
    uint64_t frames;             /* given out */
    uint64_t dropped;            /* incomplete, too large, or waiting for a keyframe */
    uint64_t keyframe_waits;     /* times the stream broke */
};

struct vp8_frame_assembler {
    uint8_t *buf[2];             /* owned: VP8_FRAME_MAX each; one is being filled, the
                                  * other holds the frame last given out */
    uint8_t fill;                /* index of the buffer being filled */
    size_t len;
    bool is_in_frame;
    bool is_broken;              /* the frame being filled lost a packet */
    bool is_keyframe;
    bool waits_keyframe;
    uint32_t rtp_timestamp;
    uint64_t arrival_us;
    uint16_t width, height;
    struct vp8_frame_stats stats;
};

/* 0 or -SQ_ENOMEM. */
int vp8_frame_init(struct vp8_frame_assembler *a);
void vp8_frame_destroy(struct vp8_frame_assembler *a);
/* A new stream: drops any partial frame and waits for a keyframe. */
void vp8_frame_reset(struct vp8_frame_assembler *a);

/* One packet from the jitter buffer. Returns 1 with *out set when a whole
 * frame is ready, else 0. *wants_keyframe is set true when this packet broke
 * the stream (a loss or a malformed payload); it is left alone otherwise. */
int vp8_frame_push(struct vp8_frame_assembler *a, const struct jitter_packet *pkt,
                   struct vp8_frame *out, bool *wants_keyframe);

#endif
