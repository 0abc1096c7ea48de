/* H.264 through the whole media plane in simulated time: a publisher sends
 * H.264 as OBS's WHIP output or libwebrtc packetize it (STAP-A with SPS and
 * PPS, the IDR in FU-A, P frames as single NAL units); subscribers get it
 * unchanged under SDP_SUB_PT_H264, start on the parameter sets of a
 * keyframe, get their NACKs answered on SDP_SUB_PT_H264_RTX. */
#include "test.h"

#include <stdlib.h>

#include "sabaq/error.h"
#include "sabaq/h264.h"
#include "sabaq/rtcp.h"
#include "sabaq/sdp.h"
#include "sim.h"

enum { T_PUB = 1, T_SUB1 = 2, T_SUB2 = 3 };
enum { P_H264 = 10 };
enum { C1 = 20, C2 = 21 };

#define PUB_SSRC 0x5A5A0001u
#define PUB_PT 100
#define PUB_RTX_PT 101
#define EXT_MID 4
#define SUB_SSRC(i) (7000u + 10u * (uint32_t)(i))
#define SENT_RING 256

struct sent {
    size_t len;
    uint8_t data[128];
};

struct scene {
    struct sim s;
    struct sim_peer *pub, *sub[2];
    uint16_t seq;
    uint32_t frame;
    bool wants_key;
    struct sent sent[SENT_RING]; /* payloads by publisher seq */
};

static const char *ufrags[3] = {"hpub", "hsuA", "hsuB"};
static const char *pwds[3] = {"h264-pub-password-0123456", "h264-subA-password-012345",
                              "h264-subB-password-012345"};

static int scene_connect(struct scene *sc)
{
    struct sockaddr_storage a;
    memset(sc, 0, sizeof(*sc));
    if (sim_init(&sc->s, 30000) < 0)
        return -1;
    const char *fp = dtls_cert_fingerprint(sc->s.cert);
    struct sim_peer *peers[3];
    for (int i = 0; i < 3; i++) {
        char ip[32], name[16];
        snprintf(ip, sizeof ip, "198.18.1.%d", i + 1);
        snprintf(name, sizeof name, "h%d", i);
        socklen_t al = sim_addr_v4(&a, ip, (uint16_t)(41001 + i));
        if (!(peers[i] = sim_peer_new(name, &a, al, ufrags[i], pwds[i], fp)))
            return -1;
        if (rtc_core_transport_create(sc->s.core, (uint32_t)(T_PUB + i), ufrags[i], pwds[i],
                                      "sha-256", sim_peer_fingerprint(peers[i]), sc->s.now_us) < 0)
            return -1;
        sim_add_peer(&sc->s, peers[i]);
        sim_peer_start(peers[i], sc->s.now_us);
    }
    sc->pub = peers[0];
    sc->sub[0] = peers[1];
    sc->sub[1] = peers[2];
    sim_run_ms(&sc->s, 300);
    for (int i = 0; i < 3; i++)
        if (!peers[i]->is_connected)
            return -1;
    struct sdp_track t = {0};
    strcpy(t.mid, "1");
    t.kind = SDP_KIND_VIDEO;
    t.codec = SDP_CODEC_H264;
    t.payload_type = PUB_PT;
    t.rtx_payload_type = PUB_RTX_PT;
    t.clock_rate = 90000;
    t.ext.mid = EXT_MID;         /* ssrc learnt from the mid, as from a browser */
    t.feedback = SDP_FB_NACK | SDP_FB_NACK_PLI;
    return rtc_core_producer_create(sc->s.core, P_H264, T_PUB, &t, sc->s.now_us);
}

static void scene_free(struct scene *sc)
{
    sim_destroy(&sc->s);
    sim_peer_free(sc->pub);
    sim_peer_free(sc->sub[0]);
    sim_peer_free(sc->sub[1]);
}

static int subscribe(struct scene *sc, int i)
{
    struct sdp_outgoing o = {0};
    strcpy(o.mid, "v");
    o.kind = SDP_KIND_VIDEO;
    o.active = true;
    o.ssrc = SUB_SSRC(i);
    o.rtx_ssrc = SUB_SSRC(i) + 1;
    strcpy(o.cname, "c");
    return rtc_core_consumer_create(sc->s.core, (uint32_t)(C1 + i), (uint32_t)(T_SUB1 + i),
                                    P_H264, &o, sc->s.now_us);
}

/* One packet: its payload is kept by seq to compare with what arrives. */
static void send_payload(struct scene *sc, uint32_t ts, bool marker, const uint8_t *p, size_t n)
{
    struct rtp_ext_element ext = {EXT_MID, 1, (const uint8_t *)"1"};
    struct rtp_header h = {.marker = marker, .payload_type = PUB_PT, .seq = sc->seq,
                           .timestamp = ts, .ssrc = PUB_SSRC};
    struct sent *s = &sc->sent[sc->seq % SENT_RING];
    memcpy(s->data, p, n);
    s->len = n;
    sim_peer_send_rtp(sc->pub, &h, &ext, 1, p, n);
    sc->seq++;
}

/* A frame tagged with its number: a keyframe as STAP-A(SPS, PPS) + IDR in
 * two FU-A packets, else one single-NAL P slice. */
static void send_frame(struct scene *sc, bool key)
{
    uint32_t ts = 3000u * sc->frame;
    uint8_t f = (uint8_t)sc->frame;
    if (key) {
        const uint8_t stap[] = {0x78, 0x00, 0x04, 0x67, 0x42, 0xe0, 0x1f,
                                0x00, 0x02, 0x68, 0xce};
        const uint8_t idr1[] = {0x7c, 0x85, 0x88, 0x84, f, 0x01};
        const uint8_t idr2[] = {0x7c, 0x45, 0x21, f, 0x02};
        send_payload(sc, ts, false, stap, sizeof stap);
        send_payload(sc, ts, false, idr1, sizeof idr1);
        send_payload(sc, ts, true, idr2, sizeof idr2);
    } else {
        const uint8_t slice[] = {0x41, 0x9a, 0x02, f, 0x03};
        send_payload(sc, ts, true, slice, sizeof slice);
    }
    sc->frame++;
}

/* 20 ms steps; a keyframe at the start and whenever the publisher was
 * asked for one (a PLI arrived). */
static void run_frames(struct scene *sc, int n)
{
    for (int i = 0; i < n; i++) {
        size_t plis = sim_peer_pli_count(sc->pub, PUB_SSRC);
        send_frame(sc, sc->frame == 0 || sc->wants_key);
        sc->wants_key = false;
        sim_run_ms(&sc->s, 20);
        if (sim_peer_pli_count(sc->pub, PUB_SSRC) > plis)
            sc->wants_key = true;
    }
}

static const struct peer_rtp *rx[PEER_MAX_RX];

/* Every packet of sub i: H.264 PT, consecutive seqs, the payload sent with
 * the matching publisher seq (first_pub_seq for the first). */
static int check_stream(struct scene *sc, int i, uint16_t first_pub_seq, size_t *count)
{
    size_t n = sim_peer_rtp_with_ssrc(sc->sub[i], SUB_SSRC(i), rx, PEER_MAX_RX);
    *count = n;
    for (size_t k = 0; k < n; k++) {
        const struct rtp_packet *r = &rx[k]->rtp;
        const struct sent *s = &sc->sent[(uint16_t)(first_pub_seq + k) % SENT_RING];
        if (r->payload_type != SDP_SUB_PT_H264 || r->seq != (uint16_t)(rx[0]->rtp.seq + k) ||
            r->payload_len != s->len || memcmp(r->payload, s->data, s->len) != 0)
            return -1;
    }
    return 0;
}

TEST(sim_h264_reaches_subscribers_unchanged_with_its_payload_type)
{
    struct scene sc;
    size_t n;
    ASSERT_EQ(0, scene_connect(&sc));
    ASSERT_EQ(0, subscribe(&sc, 0));
    ASSERT_EQ(0, subscribe(&sc, 1));
    run_frames(&sc, 20);
    for (int i = 0; i < 2; i++) {
        ASSERT_EQ(0, sc.sub[i]->n_undecryptable);
        ASSERT_EQ(0, check_stream(&sc, i, 0, &n));
        ASSERT_EQ(3 + 19, n);
        struct h264_payload h;
        ASSERT_EQ(0, h264_payload_parse(&h, rx[0]->rtp.payload, rx[0]->rtp.payload_len));
        ASSERT(h.has_sps && h.has_pps);
        ASSERT(rx[2]->rtp.marker && !rx[1]->rtp.marker);
    }
    struct sfu_stats st;
    rtc_core_stats(sc.s.core, &st);
    ASSERT_EQ(0, st.drop_unknown_ssrc);
    scene_free(&sc);
}

TEST(sim_h264_late_subscriber_starts_at_the_next_parameter_sets)
{
    struct scene sc;
    size_t n;
    ASSERT_EQ(0, scene_connect(&sc));
    ASSERT_EQ(0, subscribe(&sc, 0));
    run_frames(&sc, 10);
    size_t plis = sim_peer_pli_count(sc.pub, PUB_SSRC);
    uint16_t seq_at_join = sc.seq;
    ASSERT_EQ(0, subscribe(&sc, 1));
    /* The join asks the publisher for a keyframe... */
    sim_run_ms(&sc.s, 1);
    ASSERT(sim_peer_pli_count(sc.pub, PUB_SSRC) > plis);
    /* ...and until it comes nothing is sent: two P frames first. */
    sc.wants_key = false;
    run_frames(&sc, 2);
    ASSERT_EQ(0, sim_peer_rtp_with_ssrc(sc.sub[1], SUB_SSRC(1), rx, PEER_MAX_RX));
    send_frame(&sc, true);
    sim_run_ms(&sc.s, 20);
    run_frames(&sc, 5);
    ASSERT_EQ(0, check_stream(&sc, 1, (uint16_t)(seq_at_join + 2), &n));
    ASSERT_EQ(3 + 5, n);
    struct h264_payload h;
    ASSERT_EQ(0, h264_payload_parse(&h, rx[0]->rtp.payload, rx[0]->rtp.payload_len));
    ASSERT(h.has_sps);
    /* The first subscriber saw every packet, without a gap. */
    ASSERT_EQ(0, check_stream(&sc, 0, 0, &n));
    ASSERT_EQ(3 + 9 + 2 + 3 + 5, n);
    scene_free(&sc);
}

TEST(sim_h264_nack_is_answered_on_the_h264_rtx_payload_type)
{
    struct scene sc;
    size_t n;
    uint8_t buf[256];
    ASSERT_EQ(0, scene_connect(&sc));
    ASSERT_EQ(0, subscribe(&sc, 0));
    run_frames(&sc, 10);
    ASSERT_EQ(0, check_stream(&sc, 0, 0, &n));
    const struct peer_rtp *orig = rx[1]; /* the IDR's first fragment */
    uint16_t lost = orig->rtp.seq;
    int len = rtcp_nack_write(buf, sizeof buf, 0xBEEF, SUB_SSRC(0), &lost, 1);
    ASSERT(len > 0);
    ASSERT_EQ(0, sim_peer_send_rtcp(sc.sub[0], buf, (size_t)len));
    sim_deliver(&sc.s);
    static const struct peer_rtp *rtx[8];
    ASSERT_EQ(1, sim_peer_rtp_with_ssrc(sc.sub[0], SUB_SSRC(0) + 1, rtx, 8));
    ASSERT_EQ(SDP_SUB_PT_H264_RTX, rtx[0]->rtp.payload_type);
    uint16_t osn;
    ASSERT_EQ(0, rtp_rtx_original_seq(&rtx[0]->rtp, &osn));
    ASSERT_EQ(lost, osn);
    ASSERT_EQ(orig->rtp.payload_len + 2, rtx[0]->rtp.payload_len);
    ASSERT_MEM_EQ(orig->rtp.payload, rtx[0]->rtp.payload + 2, orig->rtp.payload_len);
    scene_free(&sc);
}

/* The slot model: one subscriber video m-line fed first by a VP8 camera,
 * then by the H.264 source, with no renegotiation: the payload type
 * follows the codec, the sequence runs on, and the H.264 part starts on
 * its parameter sets. */
#define P_VP8 11
#define VP8_SSRC 0x5A5A0100u
#define VP8_PT 98

static void send_vp8_frame(struct scene *sc, uint16_t *seq, uint32_t frame, bool key)
{
    uint8_t p[12] = {0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0x55};
    if (!key)
        p[1] |= 0x01;            /* inverse key frame flag */
    struct rtp_ext_element ext = {EXT_MID, 1, (const uint8_t *)"0"};
    struct rtp_header h = {.marker = true, .payload_type = VP8_PT, .seq = (*seq)++,
                           .timestamp = 3000u * frame, .ssrc = VP8_SSRC};
    sim_peer_send_rtp(sc->pub, &h, &ext, 1, p, sizeof p);
}

TEST(sim_h264_a_slot_switches_from_vp8_to_h264_without_renegotiation)
{
    struct scene sc;
    uint16_t vp8_seq = 900;
    ASSERT_EQ(0, scene_connect(&sc));
    struct sdp_track t = {0};
    strcpy(t.mid, "0");
    t.kind = SDP_KIND_VIDEO;
    t.codec = SDP_CODEC_VP8;
    t.payload_type = VP8_PT;
    t.clock_rate = 90000;
    t.ext.mid = EXT_MID;
    t.feedback = SDP_FB_NACK | SDP_FB_NACK_PLI;
    ASSERT_EQ(0, rtc_core_producer_create(sc.s.core, P_VP8, T_PUB, &t, sc.s.now_us));
    struct sdp_outgoing o = {0};
    strcpy(o.mid, "v");
    o.kind = SDP_KIND_VIDEO;
    o.active = true;
    o.ssrc = SUB_SSRC(0);
    o.rtx_ssrc = SUB_SSRC(0) + 1;
    ASSERT_EQ(0, rtc_core_consumer_create(sc.s.core, C1, T_SUB1, P_VP8, &o, sc.s.now_us));
    for (uint32_t f = 0; f < 5; f++) {
        send_vp8_frame(&sc, &vp8_seq, f, f == 0);
        send_frame(&sc, sc.frame == 0); /* the H.264 source runs meanwhile */
        sim_run_ms(&sc.s, 20);
    }
    ASSERT_EQ(5, sim_peer_rtp_with_ssrc(sc.sub[0], SUB_SSRC(0), rx, PEER_MAX_RX));
    ASSERT_EQ(SDP_SUB_PT_VP8, rx[4]->rtp.payload_type);

    size_t plis = sim_peer_pli_count(sc.pub, PUB_SSRC);
    ASSERT_EQ(0, rtc_core_consumer_set_producer(sc.s.core, C1, P_H264, sc.s.now_us));
    sim_run_ms(&sc.s, 1);
    ASSERT(sim_peer_pli_count(sc.pub, PUB_SSRC) > plis); /* the new source's keyframe */
    send_frame(&sc, false); /* a P frame: not a place to start */
    send_vp8_frame(&sc, &vp8_seq, 5, false);
    sim_run_ms(&sc.s, 20);
    send_frame(&sc, true);
    sim_run_ms(&sc.s, 20);
    send_frame(&sc, false);
    sim_run_ms(&sc.s, 20);

    size_t n = sim_peer_rtp_with_ssrc(sc.sub[0], SUB_SSRC(0), rx, PEER_MAX_RX);
    ASSERT_EQ(5 + 3 + 1, n);
    for (size_t k = 1; k < n; k++) {
        ASSERT_EQ((uint16_t)(rx[0]->rtp.seq + k), rx[k]->rtp.seq);
        ASSERT((int32_t)(rx[k]->rtp.timestamp - rx[k - 1]->rtp.timestamp) >= 0);
        ASSERT_EQ(k < 5 ? SDP_SUB_PT_VP8 : SDP_SUB_PT_H264, rx[k]->rtp.payload_type);
    }
    ASSERT(rx[5]->rtp.timestamp != rx[4]->rtp.timestamp);
    struct h264_payload h;
    ASSERT_EQ(0, h264_payload_parse(&h, rx[5]->rtp.payload, rx[5]->rtp.payload_len));
    ASSERT(h.has_sps);
    scene_free(&sc);
}
