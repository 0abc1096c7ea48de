/* A consumer whose subscriber made the offer (WHEP: sdp_outgoing
 * has_own_numbers) writes the subscriber's payload types (pt_map) and header
 * extension ids, and leaves out the extensions it did not negotiate (id 0). */
#include "test.h"

#include "sabaq/rtp.h"
#include "rtc/consumer.h"
#include "rtc/producer.h"
#include "rtc/transport.h"

struct numbers_fixture {
    struct rtc_env env;
    struct transport t;
    struct producer *p;
    struct consumer *c;
};

static void setup(struct numbers_fixture *f, enum sdp_media_kind kind, uint8_t pt,
                  uint8_t ext_mid, uint8_t ext_level)
{
    memset(f, 0, sizeof(*f));
    f->t.env = &f->env;
    f->t.state = TRANSPORT_NEW;
    list_init(&f->t.producers);
    list_init(&f->t.consumers);
    list_init(&f->t.core_link);
    list_init(&f->t.handshake_link);
    struct sdp_track tr = {0};
    strcpy(tr.mid, "m");
    tr.kind = kind;
    tr.payload_type = 109;
    tr.clock_rate = kind == SDP_KIND_AUDIO ? 48000 : 90000;
    tr.ssrc = 0xAAAA0001;
    tr.ext.audio_level = 5;
    producer_create(&f->p, &f->t, 1, &tr, 0);
    struct sdp_outgoing o = {0};
    strcpy(o.mid, "1");
    o.kind = kind;
    o.active = true;
    o.ssrc = 4444;
    o.has_own_numbers = true;
    o.pt_map[0] = (struct sdp_pt_pair){kind == SDP_KIND_AUDIO ? SDP_SUB_PT_OPUS : SDP_SUB_PT_VP8,
                                       pt};
    o.pt_map[1] = (struct sdp_pt_pair){SDP_SUB_PT_RTX, 98};
    o.n_pt_map = 2;
    o.ext_mid = ext_mid;
    o.ext_audio_level = ext_level;
    consumer_create(&f->c, &f->t, f->p, 10, &o, 0);
}

/* One rewritten packet of the publisher (audio level 30, voice). */
static int rewrite(struct numbers_fixture *f, struct rtp_packet *out, uint8_t *buf, size_t cap)
{
    uint8_t in[128];
    const uint8_t level = 0x80 | 30;
    struct rtp_ext_element ext[1] = {{5, 1, &level}};
    struct rtp_header h = {.marker = true, .payload_type = 109, .seq = 7, .timestamp = 900,
                           .ssrc = 0xAAAA0001};
    int hl = rtp_header_write(in, sizeof(in), &h, ext, 1);
    memset(in + hl, 0x11, 20);
    struct rtc_packet pkt;
    memset(&pkt, 0, sizeof(pkt));
    rtp_packet_parse(&pkt.rtp, in, (size_t)hl + 20);
    pkt.ext_seq = 0x10000 + 7;
    pkt.has_audio_level = true;
    pkt.audio_level = 30;
    pkt.voice_activity = true;
    pkt.is_keyframe = true;
    uint32_t roc;
    int n = consumer_rewrite(f->c, &pkt, 0, buf, cap, &roc);
    if (n > 0)
        rtp_packet_parse(out, buf, (size_t)n);
    return n;
}

TEST(consumer_writes_the_offerers_payload_type_and_extension_ids)
{
    struct numbers_fixture f;
    struct rtp_packet out;
    uint8_t buf[256];
    const uint8_t *v;
    size_t vlen;
    setup(&f, SDP_KIND_AUDIO, 96, 1, 3);   /* aiortc: Opus 96, mid 1, audio level 3 */
    ASSERT(f.c);
    ASSERT(rewrite(&f, &out, buf, sizeof(buf)) > 0);
    ASSERT_EQ(96, out.payload_type);
    ASSERT_EQ(4444, out.ssrc);
    ASSERT_EQ(1, rtp_packet_find_ext(&out, 1, &v, &vlen));
    ASSERT_EQ(1, vlen);
    ASSERT_EQ('1', v[0]);
    ASSERT_EQ(1, rtp_packet_find_ext(&out, 3, &v, &vlen));
    ASSERT_EQ(0x80 | 30, v[0]);
    ASSERT_EQ(0, rtp_packet_find_ext(&out, SDP_SUB_EXT_AUDIO_LEVEL, &v, &vlen));
    consumer_free(f.c);
    producer_free(f.p);
}

TEST(consumer_leaves_out_extensions_the_offerer_did_not_negotiate)
{
    struct numbers_fixture f;
    struct rtp_packet out;
    uint8_t buf[256];
    const uint8_t *v;
    size_t vlen;
    setup(&f, SDP_KIND_VIDEO, 97, 0, 0);
    ASSERT(f.c);
    ASSERT(rewrite(&f, &out, buf, sizeof(buf)) > 0);
    ASSERT_EQ(97, out.payload_type);
    for (uint8_t id = 1; id <= 14; id++)
        ASSERT_EQ(0, rtp_packet_find_ext(&out, id, &v, &vlen));
    /* RTX (retransmissions, probes) in the offerer's number too; a payload
     * type it did not take goes out unmapped. */
    ASSERT_EQ(98, consumer_wire_pt(f.c, SDP_SUB_PT_RTX));
    ASSERT_EQ(102, consumer_wire_pt(f.c, 102));
    f.c->out.has_own_numbers = false;
    ASSERT_EQ(SDP_SUB_PT_VP8, consumer_wire_pt(f.c, SDP_SUB_PT_VP8));
    consumer_free(f.c);
    producer_free(f.p);
}
