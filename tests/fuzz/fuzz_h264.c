/* libFuzzer target for the H.264 RTP payload inspection (RFC 6184): the
 * payload parser must never read outside the input, and what it reports
 * must agree with itself; the keyframe tracker is fed the same payload at a
 * timestamp taken from the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "sabaq/h264.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct h264_keyframe_state st;
    struct h264_payload p;
    int rc = h264_payload_parse(&p, data, size);
    if (rc != 0 && rc != -SQ_EMALFORMED)
        abort();
    if (rc != 0) {
        /* A refused payload reports nothing. */
        if (p.n_nals || p.has_idr || p.has_sps || p.has_pps || p.is_fragment)
            abort();
        return 0;
    }
    if (size == 0 || p.packet_type != (data[0] & 0x1f))
        abort();
    if ((p.has_idr || p.has_sps || p.has_pps) && p.n_nals == 0)
        abort();
    if (p.is_fragment != (p.packet_type == H264_PACKET_FU_A) ||
        (p.is_fragment && p.n_nals > 1) || (!p.is_fragment && p.n_nals == 0) ||
        (p.is_fragment_start && p.is_fragment_end))
        abort();
    if (p.nal_type < 1 || p.nal_type > 23)
        abort();
    uint32_t ts = 0;
    memcpy(&ts, data, size < sizeof ts ? size : sizeof ts);
    bool key = h264_is_keyframe_start(&st, &p, ts);
    if (key && (!h264_payload_may_start_keyframe(&p) || !st.has_key_ts || st.key_ts != ts))
        abort();
    /* The same timestamp again never starts a second keyframe. */
    if (st.has_key_ts && h264_is_keyframe_start(&st, &p, st.key_ts))
        abort();
    return 0;
}
