/* libFuzzer target for RTP: the packet parser, extension readers (one- and
 * two-byte forms), RTX, the VP8 payload descriptor, and a header writer
 * round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "sabaq/rtp.h"
#include "sabaq/vp8.h"

static void check_header_round_trip(const struct rtp_packet *p)
{
    struct rtp_header h = {p->marker, p->payload_type, p->seq, p->timestamp, p->ssrc};
    uint8_t out[RTP_HEADER_MIN];
    struct rtp_packet back;
    if (rtp_header_write(out, sizeof out, &h, NULL, 0) != RTP_HEADER_MIN ||
        rtp_packet_parse(&back, out, sizeof out) != 0 || back.marker != p->marker ||
        back.payload_type != p->payload_type || back.seq != p->seq ||
        back.timestamp != p->timestamp || back.ssrc != p->ssrc)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rtp_packet p;
    struct rtp_ext_values v;
    struct vp8_descriptor d;
    const uint8_t *ext;
    size_t ext_len;
    uint16_t osn;
    static const struct rtp_ext_ids ids_a = {1, 2, 3, 4, 5, 6};
    static const struct rtp_ext_ids ids_b = {10, 11, 12, 13, 14, 200};

    (void)rtp_is_rtcp(data, size);
    (void)vp8_descriptor_parse(&d, data, size);
    if (rtp_packet_parse(&p, data, size) != 0)
        return 0;
    if (p.header_len + p.payload_len + p.padding_len != size)
        abort();
    check_header_round_trip(&p);
    (void)rtp_packet_read_exts(&p, &ids_a, &v);
    (void)rtp_packet_read_exts(&p, &ids_b, &v);
    for (unsigned id = 0; id < 256; id += 17) {
        if (rtp_packet_find_ext(&p, (uint8_t)id, &ext, &ext_len) == 1 &&
            (ext < p.ext || ext + ext_len > p.ext + p.ext_len))
            abort();
    }
    (void)rtp_rtx_original_seq(&p, &osn);
    if (vp8_descriptor_parse(&d, p.payload, p.payload_len) == 0 &&
        d.descriptor_len >= p.payload_len)
        abort();
    return 0;
}
