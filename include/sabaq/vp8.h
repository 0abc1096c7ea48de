/* VP8 RTP payload descriptor (RFC 7741): enough to find keyframes and, later,
 * to rewrite PictureID/TL0PICIDX when switching simulcast layers. Sans-IO. */
#ifndef SABAQ_VP8_H
#define SABAQ_VP8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vp8_descriptor {
    bool start_of_partition;     /* S bit */
    uint8_t partition_id;
    bool has_picture_id;
    bool picture_id_15bit;       /* M bit */
    uint16_t picture_id;
    bool has_tl0_pic_idx;
    uint8_t tl0_pic_idx;
    bool has_tid;
    uint8_t tid;
    bool layer_sync;
    bool has_key_idx;
    uint8_t key_idx;
    size_t descriptor_len;       /* bytes before the VP8 payload header */
    bool is_keyframe;            /* first packet of a key frame */
    uint16_t width, height;      /* from the keyframe header when is_keyframe, else 0 */
};

/* 0 or -SQ_EMALFORMED. */
int vp8_descriptor_parse(struct vp8_descriptor *out, const uint8_t *payload, size_t len);

#endif
