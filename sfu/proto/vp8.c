/* VP8 RTP payload descriptor (RFC 7741 sec. 4.2) and, on the first packet of
 * a key frame, the frame size from the VP8 key frame header (RFC 6386 sec.
 * 9.1). Sans-IO, no allocation. */
#include "sabaq/vp8.h"

#include <string.h>

#include "sabaq/error.h"

/* Reads the optional extension bytes announced by X. */
static int parse_extensions(struct vp8_descriptor *d, const uint8_t *p, size_t len, size_t *off)
{
    if (*off >= len)
        return -SQ_EMALFORMED;
    uint8_t x = p[(*off)++];
    bool i = x & 0x80, l = x & 0x40, t = x & 0x20, k = x & 0x10;

    if (i) {
        if (*off >= len)
            return -SQ_EMALFORMED;
        d->has_picture_id = true;
        if (p[*off] & 0x80) {
            if (len - *off < 2)
                return -SQ_EMALFORMED;
            d->picture_id_15bit = true;
            d->picture_id = (uint16_t)((p[*off] & 0x7F) << 8 | p[*off + 1]);
            *off += 2;
        } else {
            d->picture_id = p[(*off)++];
        }
    }
    if (l) {
        if (*off >= len)
            return -SQ_EMALFORMED;
        d->has_tl0_pic_idx = true;
        d->tl0_pic_idx = p[(*off)++];
    }
    if (t || k) {
        if (*off >= len)
            return -SQ_EMALFORMED;
        uint8_t b = p[(*off)++];
        if (t) {
            d->has_tid = true;
            d->tid = b >> 6;
            d->layer_sync = b & 0x20;
        }
        if (k) {
            d->has_key_idx = true;
            d->key_idx = b & 0x1F;
        }
    }
    return 0;
}

int vp8_descriptor_parse(struct vp8_descriptor *out, const uint8_t *payload, size_t len)
{
    size_t off = 1;
    int rc;

    memset(out, 0, sizeof *out);
    if (len < 1)
        return -SQ_EMALFORMED;
    uint8_t b = payload[0];
    out->start_of_partition = b & 0x10;
    out->partition_id = b & 0x07;
    if (b & 0x80) {
        rc = parse_extensions(out, payload, len, &off);
        if (rc < 0)
            return rc;
    }
    /* A descriptor with no VP8 data after it is not a valid packet. */
    if (off >= len)
        return -SQ_EMALFORMED;
    out->descriptor_len = off;

    const uint8_t *vp8 = payload + off;
    size_t n = len - off;
    /* Frame tag bit 0 is the inverse key frame flag (P). */
    if (out->start_of_partition && out->partition_id == 0 && !(vp8[0] & 0x01)) {
        out->is_keyframe = true;
        /* 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height
         * (little-endian, the top 2 bits are the scale). */
        if (n >= 10 && vp8[3] == 0x9d && vp8[4] == 0x01 && vp8[5] == 0x2a) {
            out->width = (uint16_t)((vp8[6] | vp8[7] << 8) & 0x3FFF);
            out->height = (uint16_t)((vp8[8] | vp8[9] << 8) & 0x3FFF);
        }
    }
    return 0;
}
