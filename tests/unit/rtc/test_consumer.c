/* Consumer rewriting without any network: SSRC, payload type and header
 * extensions, seamless sequence/timestamp continuation (also across a
 * source switch), the ROC at the 16-bit wrap, and the keyframe wait. */
#include "test.h"

#include "sabaq/error.h"
#include "sabaq/rtp.h"
#include "rtc/consumer.h"
#include "rtc/producer.h"
#include "rtc/transport.h"

/* Publisher-side extension ids, deliberately unlike SDP_SUB_EXT_*. */
#define PUB_EXT_AUDIO_LEVEL 5
#define PUB_EXT_ABS_SEND 3
#define PUB_EXT_MID 4

struct fixture {
    struct rtc_env env;
    struct transport t;
    struct producer *p;
    struct consumer *c;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->t.env = &f->env;
    f->t.state = TRANSPORT_NEW;   /* nothing is actually sent */
    list_init(&f->t.producers);
    list_init(&f->t.consumers);
    list_init(&f->t.core_link);
    list_init(&f->t.handshake_link);
}

static struct producer *make_producer(struct fixture *f, uint32_t id, enum sdp_media_kind kind,
                                      uint32_t ssrc)
{
    struct sdp_track tr = {0};
    struct producer *p = NULL;
    strcpy(tr.mid, "m");
    tr.kind = kind;
    tr.payload_type = kind == SDP_KIND_AUDIO ? 109 : 100;
    tr.clock_rate = kind == SDP_KIND_AUDIO ? 48000 : 90000;
    tr.ssrc = ssrc;
    tr.ext.mid = PUB_EXT_MID;
    tr.ext.audio_level = PUB_EXT_AUDIO_LEVEL;
    tr.ext.abs_send_time = PUB_EXT_ABS_SEND;
    if (producer_create(&p, &f->t, id, &tr, 0) < 0)
        return NULL;
    return p;
}

static int make_consumer(struct fixture *f, enum sdp_media_kind kind, uint32_t ssrc, const char *mid)
{
    struct sdp_outgoing o = {0};
    strcpy(o.mid, mid);
    o.kind = kind;
    o.active = true;
    o.ssrc = ssrc;
    o.rtx_ssrc = ssrc + 1;
    f->p = make_producer(f, 1, kind, 0xAAAA0001);
    if (!f->p)
        return -1;
    return consumer_create(&f->c, &f->t, f->p, 10, &o, 0);
}

static void fixture_free(struct fixture *f)
{
    consumer_free(f->c);
    producer_free(f->p);
}

/* A publisher packet: three extensions and a payload naming its seq. */
static void make_pkt(struct rtc_packet *pkt, uint8_t *buf, uint16_t seq, uint64_t ext_seq,
                     uint32_t ts, bool keyframe)
{
    static const uint8_t abs[3] = {1, 2, 3};
    const uint8_t level = 0x80 | 30;
    struct rtp_ext_element ext[3] = {
        {PUB_EXT_MID, 1, (const uint8_t *)"m"},
        {PUB_EXT_AUDIO_LEVEL, 1, &level},
        {PUB_EXT_ABS_SEND, 3, abs},
    };
    struct rtp_header h = {.marker = true, .payload_type = 109, .seq = seq, .timestamp = ts,
                           .ssrc = 0xAAAA0001};
    int hl = rtp_header_write(buf, 200, &h, ext, 3);
    for (int i = 0; i < 40; i++)
        buf[hl + i] = (uint8_t)(seq + i);
    memset(pkt, 0, sizeof(*pkt));
    rtp_packet_parse(&pkt->rtp, buf, (size_t)hl + 40);
    pkt->ext_seq = ext_seq;
    pkt->has_audio_level = true;
    pkt->audio_level = 30;
    pkt->voice_activity = true;
    pkt->is_keyframe = keyframe;
}

TEST(consumer_rewrites_ssrc_pt_and_extensions)
{
    struct fixture f;
    struct rtc_packet pkt;
    struct rtp_packet out;
    uint8_t in[256], buf[512];
    const uint8_t *v;
    size_t vlen;
    uint32_t roc;
    fixture_init(&f);
    ASSERT_EQ(0, make_consumer(&f, SDP_KIND_AUDIO, 2222, "a0"));
    make_pkt(&pkt, in, 100, 0x10000 + 100, 5000, false);
    int n = consumer_rewrite(f.c, &pkt, 0, buf, sizeof buf, &roc);
    ASSERT(n > 0);
    ASSERT_EQ(0, rtp_packet_parse(&out, buf, (size_t)n));
    ASSERT_EQ(2222, out.ssrc);
    ASSERT_EQ(SDP_SUB_PT_OPUS, out.payload_type);
    ASSERT(out.marker);
    ASSERT_EQ(1, rtp_packet_find_ext(&out, SDP_SUB_EXT_MID, &v, &vlen));
    ASSERT_EQ(2, vlen);
    ASSERT_MEM_EQ("a0", v, 2);
    ASSERT_EQ(1, rtp_packet_find_ext(&out, SDP_SUB_EXT_AUDIO_LEVEL, &v, &vlen));
    ASSERT_EQ(1, vlen);
    ASSERT_EQ(0x80 | 30, v[0]);
    ASSERT_EQ(0, rtp_packet_find_ext(&out, PUB_EXT_ABS_SEND, &v, &vlen));
    ASSERT_EQ(0, rtp_packet_find_ext(&out, PUB_EXT_MID, &v, &vlen));
    ASSERT_EQ(0, rtp_packet_find_ext(&out, PUB_EXT_AUDIO_LEVEL, &v, &vlen));
    ASSERT_EQ(pkt.rtp.payload_len, out.payload_len);
    ASSERT_MEM_EQ(pkt.rtp.payload, out.payload, out.payload_len);
    ASSERT_EQ(0, roc);
    fixture_free(&f);
}

TEST(consumer_video_has_no_audio_level_and_vp8_pt)
{
    struct fixture f;
    struct rtc_packet pkt;
    struct rtp_packet out;
    uint8_t in[256], buf[512];
    const uint8_t *v;
    size_t vlen;
    uint32_t roc;
    fixture_init(&f);
    ASSERT_EQ(0, make_consumer(&f, SDP_KIND_VIDEO, 1111, "v0"));
    make_pkt(&pkt, in, 7, 0x10000 + 7, 90000, true);
    int n = consumer_rewrite(f.c, &pkt, 0, buf, sizeof buf, &roc);
    ASSERT(n > 0);
    ASSERT_EQ(0, rtp_packet_parse(&out, buf, (size_t)n));
    ASSERT_EQ(SDP_SUB_PT_VP8, out.payload_type);
    ASSERT_EQ(1111, out.ssrc);
    ASSERT_EQ(1, rtp_packet_find_ext(&out, SDP_SUB_EXT_MID, &v, &vlen));
    ASSERT_EQ(0, rtp_packet_find_ext(&out, SDP_SUB_EXT_AUDIO_LEVEL, &v, &vlen));
    fixture_free(&f);
}

TEST(consumer_continues_seq_and_ts_seamlessly)
{
    struct fixture f;
    struct rtc_packet pkt;
    struct rtp_packet out;
    uint8_t in[256], buf[512];
    uint32_t roc;
    fixture_init(&f);
    ASSERT_EQ(0, make_consumer(&f, SDP_KIND_AUDIO, 3333, "a"));
    uint16_t seq0 = 0;
    uint32_t ts0 = 0;
    for (int i = 0; i < 10; i++) {
        make_pkt(&pkt, in, (uint16_t)(1000 + i), 0x10000 + 1000 + (uint64_t)i, 5000u + 960u * (uint32_t)i, false);
        int n = consumer_rewrite(f.c, &pkt, (uint64_t)i * 20000, buf, sizeof buf, &roc);
        ASSERT(n > 0);
        rtp_packet_parse(&out, buf, (size_t)n);
        if (i == 0) {
            seq0 = out.seq;
            ts0 = out.timestamp;
        }
        ASSERT_EQ((uint16_t)(seq0 + i), out.seq);
        ASSERT_EQ(ts0 + 960u * (uint32_t)i, out.timestamp);
    }
    /* A gap in the input stays a gap (so the subscriber can NACK it). */
    make_pkt(&pkt, in, 1012, 0x10000 + 1012, 5000 + 960 * 12, false);
    int n = consumer_rewrite(f.c, &pkt, 240000, buf, sizeof buf, &roc);
    rtp_packet_parse(&out, buf, (size_t)n);
    ASSERT_EQ((uint16_t)(seq0 + 12), out.seq);
    ASSERT_EQ(ts0 + 960 * 12, out.timestamp);

    /* Source switch: another producer with unrelated numbering, 50 ms later. */
    struct producer *p2 = make_producer(&f, 2, SDP_KIND_AUDIO, 0xBBBB0002);
    ASSERT(p2);
    ASSERT_EQ(0, consumer_set_producer(f.c, p2, 250000));
    ASSERT(f.p->consumers.next == &f.p->consumers);
    make_pkt(&pkt, in, 40000, 0x10000 + 40000, 123, false);
    n = consumer_rewrite(f.c, &pkt, 290000, buf, sizeof buf, &roc);
    ASSERT(n > 0);
    rtp_packet_parse(&out, buf, (size_t)n);
    ASSERT_EQ((uint16_t)(seq0 + 13), out.seq);
    ASSERT_EQ(ts0 + 960 * 12 + 48000 / 20, out.timestamp);
    make_pkt(&pkt, in, 40001, 0x10000 + 40001, 123 + 960, false);
    n = consumer_rewrite(f.c, &pkt, 310000, buf, sizeof buf, &roc);
    rtp_packet_parse(&out, buf, (size_t)n);
    ASSERT_EQ((uint16_t)(seq0 + 14), out.seq);
    ASSERT_EQ(ts0 + 960 * 13 + 48000 / 20, out.timestamp);
    producer_free(p2);
    fixture_free(&f);
}

TEST(consumer_roc_increments_at_wrap)
{
    struct fixture f;
    struct rtc_packet pkt;
    struct rtp_packet out;
    uint8_t in[256], buf[512];
    uint32_t roc = 99;
    fixture_init(&f);
    ASSERT_EQ(0, make_consumer(&f, SDP_KIND_AUDIO, 4444, "a"));
    uint16_t in_seq = 500;
    uint64_t in_ext = 0x10000 + 500;
    make_pkt(&pkt, in, in_seq, in_ext, 0, false);
    int n = consumer_rewrite(f.c, &pkt, 0, buf, sizeof buf, &roc);
    rtp_packet_parse(&out, buf, (size_t)n);
    ASSERT_EQ(0, roc);
    /* Walk the output up to 0xFFFE in forward steps under half the space. */
    uint32_t left = (uint16_t)(0xFFFE - out.seq);
    while (left) {
        uint32_t step = left > 0x4000 ? 0x4000 : left;
        in_seq = (uint16_t)(in_seq + step);
        in_ext += step;
        left -= step;
        make_pkt(&pkt, in, in_seq, in_ext, 0, false);
        n = consumer_rewrite(f.c, &pkt, 0, buf, sizeof buf, &roc);
        ASSERT(n > 0);
        ASSERT_EQ(0, roc);
    }
    rtp_packet_parse(&out, buf, (size_t)n);
    ASSERT_EQ(0xFFFE, out.seq);
    const uint16_t want_seq[3] = {0xFFFF, 0x0000, 0x0001};
    const uint32_t want_roc[3] = {0, 1, 1};
    for (int i = 0; i < 3; i++) {
        make_pkt(&pkt, in, (uint16_t)(in_seq + 1 + i), in_ext + 1 + (uint64_t)i, 0, false);
        n = consumer_rewrite(f.c, &pkt, 0, buf, sizeof buf, &roc);
        rtp_packet_parse(&out, buf, (size_t)n);
        ASSERT_EQ(want_seq[i], out.seq);
        ASSERT_EQ(want_roc[i], roc);
    }
    /* A late packet from before the wrap still belongs to ROC 0. */
    make_pkt(&pkt, in, (uint16_t)(in_seq - 1), in_ext - 1, 0, false);
    n = consumer_rewrite(f.c, &pkt, 0, buf, sizeof buf, &roc);
    rtp_packet_parse(&out, buf, (size_t)n);
    ASSERT_EQ(0xFFFD, out.seq);
    ASSERT_EQ(0, roc);
    fixture_free(&f);
}

TEST(consumer_video_waits_for_keyframe)
{
    struct fixture f;
    struct rtc_packet pkt;
    struct rtp_packet out;
    uint8_t in[256], buf[512];
    uint32_t roc;
    fixture_init(&f);
    ASSERT_EQ(0, make_consumer(&f, SDP_KIND_VIDEO, 5555, "v"));
    make_pkt(&pkt, in, 10, 0x10000 + 10, 0, false);
    ASSERT_EQ(0, consumer_rewrite(f.c, &pkt, 0, buf, sizeof buf, &roc));
    make_pkt(&pkt, in, 12, 0x10000 + 12, 3000, true);
    int n = consumer_rewrite(f.c, &pkt, 0, buf, sizeof buf, &roc);
    ASSERT(n > 0);
    rtp_packet_parse(&out, buf, (size_t)n);
    uint16_t first = out.seq;
    /* Older than the keyframe: never sent. */
    make_pkt(&pkt, in, 11, 0x10000 + 11, 0, false);
    ASSERT_EQ(0, consumer_rewrite(f.c, &pkt, 0, buf, sizeof buf, &roc));
    make_pkt(&pkt, in, 13, 0x10000 + 13, 3000, false);
    n = consumer_rewrite(f.c, &pkt, 0, buf, sizeof buf, &roc);
    ASSERT(n > 0);
    rtp_packet_parse(&out, buf, (size_t)n);
    ASSERT_EQ((uint16_t)(first + 1), out.seq);
    fixture_free(&f);
}

TEST(consumer_refuses_kind_mismatch_and_small_buffer)
{
    struct fixture f;
    struct rtc_packet pkt;
    struct consumer *c;
    struct sdp_outgoing o = {0};
    uint8_t in[256], buf[30];
    uint32_t roc;
    fixture_init(&f);
    ASSERT_EQ(0, make_consumer(&f, SDP_KIND_AUDIO, 6666, "a"));
    o.kind = SDP_KIND_VIDEO;
    o.ssrc = 7;
    ASSERT_EQ(-SQ_EINVAL, consumer_create(&c, &f.t, f.p, 11, &o, 0));
    make_pkt(&pkt, in, 1, 0x10001, 0, false);
    ASSERT_EQ(-SQ_ENOSPACE, consumer_rewrite(f.c, &pkt, 0, buf, sizeof buf, &roc));
    fixture_free(&f);
}

/* A slot of the subscribe connection: made before any source exists, fed by
 * one producer, left idle, then fed by another; the subscriber sees one
 * unbroken stream. */
TEST(consumer_idle_slot_takes_sources_in_turn)
{
    struct fixture f;
    struct rtc_packet pkt;
    struct rtp_packet out;
    uint8_t in[256], buf[512];
    uint32_t roc;
    fixture_init(&f);
    struct sdp_outgoing o = {0};
    strcpy(o.mid, "s");
    o.kind = SDP_KIND_AUDIO;
    o.active = true;
    o.ssrc = 5555;
    ASSERT_EQ(0, consumer_create(&f.c, &f.t, NULL, 11, &o, 0));
    ASSERT(f.c->producer == NULL);
    ASSERT_EQ(48000u, f.c->clock_rate);

    /* Another kind is refused; the same source twice is no change. */
    struct producer *v = make_producer(&f, 3, SDP_KIND_VIDEO, 0xCCCC0003);
    ASSERT(v);
    ASSERT_EQ(-SQ_EINVAL, consumer_set_producer(f.c, v, 1000));
    ASSERT(f.c->producer == NULL);

    f.p = make_producer(&f, 1, SDP_KIND_AUDIO, 0xAAAA0001);
    ASSERT(f.p);
    ASSERT_EQ(0, consumer_set_producer(f.c, f.p, 1000));
    ASSERT_EQ(0, consumer_set_producer(f.c, f.p, 1000));
    ASSERT(f.c->producer == f.p);
    make_pkt(&pkt, in, 100, 0x10000 + 100, 7000, false);
    int n = consumer_rewrite(f.c, &pkt, 20000, buf, sizeof buf, &roc);
    ASSERT(n > 0);
    ASSERT_EQ(0, rtp_packet_parse(&out, buf, (size_t)n));
    ASSERT_EQ(5555u, out.ssrc);
    uint16_t seq0 = out.seq;

    /* Idle: detached from the producer, nothing to send. */
    ASSERT_EQ(0, consumer_set_producer(f.c, NULL, 40000));
    ASSERT(f.c->producer == NULL);
    ASSERT(f.p->consumers.next == &f.p->consumers);
    uint8_t sr[128];
    ASSERT_EQ(0, consumer_write_sr(f.c, 50000, sr, sizeof sr));

    struct producer *p2 = make_producer(&f, 2, SDP_KIND_AUDIO, 0xBBBB0002);
    ASSERT(p2);
    ASSERT_EQ(0, consumer_set_producer(f.c, p2, 60000));
    make_pkt(&pkt, in, 9000, 0x10000 + 9000, 1, false);
    n = consumer_rewrite(f.c, &pkt, 80000, buf, sizeof buf, &roc);
    ASSERT(n > 0);
    ASSERT_EQ(0, rtp_packet_parse(&out, buf, (size_t)n));
    ASSERT_EQ(5555u, out.ssrc);
    ASSERT_EQ((uint16_t)(seq0 + 1), out.seq);
    producer_free(p2);
    producer_free(v);
    fixture_free(&f);
}
