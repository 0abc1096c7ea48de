/* H.264 RTP payload inspection (RFC 6184 sec. 5.6-5.8, packetization-mode 1)
 * and keyframe starts, see sabaq/h264.h. The payload is hostile: every
 * length is checked before it is read. Sans-IO, no allocation. */
#include "sabaq/h264.h"

#include <string.h>

#include "sabaq/error.h"

#define NAL_TYPE(b) ((uint8_t)((b) & 0x1f))
#define FU_START 0x80
#define FU_END 0x40
/* A timestamp this far behind the last keyframe's (5 s at 90 kHz) is no
 * late packet but a stream that started over (an encoder restart): it may
 * start a keyframe again. */
#define RESTART_TICKS 450000

/* Types a NAL unit itself may have (1..23); 0 is forbidden and 24..31 are
 * RFC 6184 packet types or reserved. */
static bool is_nal_type(uint8_t t)
{
    return t >= 1 && t <= 23;
}

static void note_nal(struct h264_payload *out, uint8_t type)
{
    if (out->n_nals == 0)
        out->nal_type = type;
    if (out->n_nals < UINT8_MAX)
        out->n_nals++;
    out->has_idr |= type == H264_NAL_IDR;
    out->has_sps |= type == H264_NAL_SPS;
    out->has_pps |= type == H264_NAL_PPS;
}

/* RFC 6184 5.7.1: after the STAP-A header, NAL units each behind a 16-bit
 * size, to the end of the payload exactly. */
static int parse_stap_a(struct h264_payload *out, const uint8_t *p, size_t len)
{
    size_t off = 1;
    if (len < 1 + 2 + 1)
        return -SQ_EMALFORMED;
    while (off < len) {
        if (len - off < 2)
            return -SQ_EMALFORMED;
        size_t size = (size_t)p[off] << 8 | p[off + 1];
        off += 2;
        if (size == 0 || size > len - off || !is_nal_type(NAL_TYPE(p[off])))
            return -SQ_EMALFORMED;
        note_nal(out, NAL_TYPE(p[off]));
        off += size;
    }
    return 0;
}

/* RFC 6184 5.8: FU indicator, FU header (S E R type), fragment. */
static int parse_fu_a(struct h264_payload *out, const uint8_t *p, size_t len)
{
    if (len < 2)
        return -SQ_EMALFORMED;
    uint8_t fu = p[1];
    uint8_t type = NAL_TYPE(fu);
    if (!is_nal_type(type) || ((fu & FU_START) && (fu & FU_END)))
        return -SQ_EMALFORMED;
    out->is_fragment = true;
    out->is_fragment_start = fu & FU_START;
    out->is_fragment_end = fu & FU_END;
    out->nal_type = type;
    if (out->is_fragment_start)
        note_nal(out, type);
    return 0;
}

int h264_payload_parse(struct h264_payload *out, const uint8_t *payload, size_t len)
{
    memset(out, 0, sizeof(*out));
    if (!payload || len == 0)
        return -SQ_EMALFORMED;
    uint8_t type = NAL_TYPE(payload[0]);
    out->packet_type = type;
    int rc;
    if (is_nal_type(type)) {
        note_nal(out, type);
        rc = 0;
    } else if (type == H264_PACKET_STAP_A) {
        rc = parse_stap_a(out, payload, len);
    } else if (type == H264_PACKET_FU_A) {
        rc = parse_fu_a(out, payload, len);
    } else {
        rc = -SQ_EMALFORMED; /* 0, STAP-B, MTAP16/24, FU-B, 30, 31 */
    }
    if (rc < 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

bool h264_is_keyframe_start(struct h264_keyframe_state *st, const struct h264_payload *p,
                            uint32_t timestamp)
{
    if (!h264_payload_may_start_keyframe(p))
        return false;
    /* RTP timestamps wrap: "newer" is a positive signed distance. */
    int32_t ahead = (int32_t)(timestamp - st->key_ts);
    if (st->has_key_ts && ahead <= 0 && ahead > -RESTART_TICKS)
        return false;
    st->has_key_ts = true;
    st->key_ts = timestamp;
    return true;
}
