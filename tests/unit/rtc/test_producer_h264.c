/* An H.264 producer without a network: packets taken back out of its NACK
 * cache say whether they can start a keyframe (SPS or IDR start) from the
 * NAL units, never from the VP8 descriptor reading of the same bytes. */
#include "test.h"

#include "sabaq/error.h"
#include "sabaq/rtp.h"
#include "sabaq/vp8.h"
#include "rtc/producer.h"
#include "rtc/transport.h"

struct fixture {
    struct rtc_env env;
    struct transport t;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->t.env = &f->env;
    list_init(&f->t.producers);
    list_init(&f->t.consumers);
    list_init(&f->t.core_link);
    list_init(&f->t.handshake_link);
}

static void receive(struct producer *p, uint16_t seq, uint32_t ts, const uint8_t *payload,
                    size_t n)
{
    uint8_t buf[128];
    struct rtp_packet rtp;
    struct rtp_header h = {.payload_type = 100, .seq = seq, .timestamp = ts, .ssrc = 0x264};
    int hl = rtp_header_write(buf, sizeof buf, &h, NULL, 0);
    memcpy(buf + hl, payload, n);
    rtp_packet_parse(&rtp, buf, (size_t)hl + n);
    producer_receive_rtp(p, buf, (size_t)hl + n, &rtp, false, 1000000 + seq * 1000ull);
}

TEST(producer_h264_cached_packets_know_their_keyframe_starts)
{
    struct fixture f;
    struct producer *p;
    struct rtc_packet pkt;
    fixture_init(&f);
    struct sdp_track t = {0};
    strcpy(t.mid, "v");
    t.kind = SDP_KIND_VIDEO;
    t.codec = SDP_CODEC_H264;
    t.payload_type = 100;
    t.clock_rate = 90000;
    t.ssrc = 0x264;
    ASSERT_EQ(0, producer_create(&p, &f.t, 1, &t, 0));
    ASSERT(p->is_h264);
    static const uint8_t sps[] = {0x67, 0x42, 0xe0, 0x1f};
    static const uint8_t idr[] = {0x7c, 0x85, 0x88};
    /* Bytes that read as a VP8 keyframe start (S=1, partition 0, P=0, start
     * code) and as H.264 a NAL unit of type 16: H.264 must not be read as
     * VP8. */
    static const uint8_t slice[] = {0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
    struct vp8_descriptor d;
    ASSERT_EQ(0, vp8_descriptor_parse(&d, slice, sizeof slice));
    ASSERT(d.is_keyframe);
    receive(p, 10, 3000, sps, sizeof sps);
    receive(p, 11, 3000, idr, sizeof idr);
    receive(p, 12, 6000, slice, sizeof slice);
    uint64_t base = p->layers[0].rx.base_ext;
    ASSERT_EQ(0, producer_cached_packet(p, 0, base, &pkt));
    ASSERT(pkt.is_keyframe);
    ASSERT_EQ(0, pkt.vp8.picture_id_at);
    ASSERT_EQ(0, producer_cached_packet(p, 0, base + 1, &pkt));
    ASSERT(pkt.is_keyframe); /* out of the cache, history is gone: an IDR start may start */
    ASSERT_EQ(0, producer_cached_packet(p, 0, base + 2, &pkt));
    ASSERT(!pkt.is_keyframe);
    ASSERT_EQ(-SQ_ENOTFOUND, producer_cached_packet(p, 0, base + 3, &pkt));
    producer_free(p);
}
