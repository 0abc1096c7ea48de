/* The whole media plane in simulated time, no sockets: a publisher and two
 * subscribers (in-memory browsers doing ICE, DTLS and SRTP) connected to one
 * rtc_core. Media, NACK/RTX, PLI, reports, garbage, closing. */
#include "test.h"

#include <stdlib.h>

#include "sabaq/error.h"
#include "sabaq/rtcp.h"
#include "sabaq/sdp.h"
#include "sabaq/stun.h"
#include "rtc/rtc_env.h"
#include "sim.h"

enum { T_PUB = 1, T_SUB1 = 2, T_SUB2 = 3 };
enum { P_VIDEO = 10, P_AUDIO = 11 };
enum { C1_VIDEO = 20, C1_AUDIO = 21, C2_VIDEO = 22, C2_AUDIO = 23 };

#define PUB_VSSRC 0x11223344u
#define PUB_RTX_SSRC 0x11223345u
#define PUB_ASSRC 0x000A0D10u
#define PUB_PT_VP8 100
#define PUB_PT_RTX 101
#define PUB_PT_OPUS 109
#define EXT_AUDIO_LEVEL 1
#define EXT_TCC 3
#define EXT_MID 4
#define FRAMES 50
#define VSEQ0 65500   /* the publisher's video seq wraps during the tests */

struct scene {
    struct sim s;
    struct sim_peer *pub, *sub[2];
    uint16_t vseq, aseq, tcc;
    uint32_t frame;
    uint32_t sub_vssrc[2], sub_rtx[2], sub_assrc[2];
};

static const char *ufrags[3] = {"pubU", "subA", "subB"};
static const char *pwds[3] = {"pub-password-0123456789ab", "subA-password-0123456789a",
                              "subB-password-0123456789b"};

static int scene_connect(struct scene *sc, uint32_t consent_ms)
{
    struct sockaddr_storage a;
    memset(sc, 0, sizeof(*sc));
    if (sim_init(&sc->s, consent_ms) < 0)
        return -1;
    const char *fp = dtls_cert_fingerprint(sc->s.cert);
    struct sim_peer *peers[3];
    for (int i = 0; i < 3; i++) {
        char ip[32], name[16];
        snprintf(ip, sizeof ip, "198.18.0.%d", i + 1);
        snprintf(name, sizeof name, "p%d", i);
        /* The second subscriber shows up as a dual-stack socket reports it. */
        socklen_t al = i == 1 ? sim_addr_v4_mapped(&a, ip, (uint16_t)(40001 + i))
                              : sim_addr_v4(&a, ip, (uint16_t)(40001 + i));
        peers[i] = sim_peer_new(name, &a, al, ufrags[i], pwds[i], fp);
        if (!peers[i])
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
    return 0;
}

static void scene_free(struct scene *sc)
{
    sim_destroy(&sc->s);
    sim_peer_free(sc->pub);
    sim_peer_free(sc->sub[0]);
    sim_peer_free(sc->sub[1]);
}

static struct sdp_track video_track(uint32_t feedback)
{
    struct sdp_track t = {0};
    strcpy(t.mid, "0");
    t.kind = SDP_KIND_VIDEO;
    t.payload_type = PUB_PT_VP8;
    t.rtx_payload_type = PUB_PT_RTX;
    t.clock_rate = 90000;
    t.ssrc = 0;                  /* learnt from the mid extension */
    t.ext.mid = EXT_MID;
    t.ext.transport_cc = EXT_TCC;
    t.feedback = feedback;
    return t;
}

static struct sdp_track audio_track(void)
{
    struct sdp_track t = {0};
    strcpy(t.mid, "1");
    t.kind = SDP_KIND_AUDIO;
    t.payload_type = PUB_PT_OPUS;
    t.clock_rate = 48000;
    t.ssrc = PUB_ASSRC;
    t.ext.mid = EXT_MID;
    t.ext.audio_level = EXT_AUDIO_LEVEL;
    t.ext.transport_cc = EXT_TCC;
    t.feedback = SDP_FB_TRANSPORT_CC;
    return t;
}

static struct sdp_outgoing outgoing(enum sdp_media_kind kind, const char *mid, uint32_t ssrc,
                                    uint32_t rtx)
{
    struct sdp_outgoing o = {0};
    strcpy(o.mid, mid);
    o.kind = kind;
    o.active = true;
    o.ssrc = ssrc;
    o.rtx_ssrc = rtx;
    strcpy(o.cname, "c");
    return o;
}

static int scene_media(struct scene *sc, uint32_t video_feedback)
{
    struct sdp_track v = video_track(video_feedback), a = audio_track();
    struct rtc_core *core = sc->s.core;
    uint64_t now = sc->s.now_us;
    if (rtc_core_producer_create(core, P_VIDEO, T_PUB, &v, now) < 0 ||
        rtc_core_producer_create(core, P_AUDIO, T_PUB, &a, now) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        sc->sub_vssrc[i] = 1111u + 1000u * (uint32_t)i;
        sc->sub_rtx[i] = sc->sub_vssrc[i] + 1;
        sc->sub_assrc[i] = sc->sub_vssrc[i] + 2;
        struct sdp_outgoing ov = outgoing(SDP_KIND_VIDEO, "v0", sc->sub_vssrc[i], sc->sub_rtx[i]);
        struct sdp_outgoing oa = outgoing(SDP_KIND_AUDIO, "a0", sc->sub_assrc[i], 0);
        if (rtc_core_consumer_create(core, (uint32_t)(C1_VIDEO + 2 * i), (uint32_t)(T_SUB1 + i),
                                     P_VIDEO, &ov, now) < 0 ||
            rtc_core_consumer_create(core, (uint32_t)(C1_AUDIO + 2 * i), (uint32_t)(T_SUB1 + i),
                                     P_AUDIO, &oa, now) < 0)
            return -1;
    }
    sc->vseq = VSEQ0;
    sc->aseq = 300;
    return 0;
}

/* Payload tails carry the publisher's seq and timestamp so the test can
 * match what a subscriber got to what was sent. */
static size_t tag(uint8_t *p, uint16_t seq, uint32_t ts)
{
    p[0] = (uint8_t)(seq >> 8);
    p[1] = (uint8_t)seq;
    p[2] = (uint8_t)(ts >> 24);
    p[3] = (uint8_t)(ts >> 16);
    p[4] = (uint8_t)(ts >> 8);
    p[5] = (uint8_t)ts;
    for (int i = 6; i < 80; i++)
        p[i] = (uint8_t)(seq * 7 + i);
    return 80;
}

static uint16_t tag_seq(const struct peer_rtp *r, size_t skip)
{
    const uint8_t *p = r->rtp.payload + skip;
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t tag_ts(const struct peer_rtp *r, size_t skip)
{
    const uint8_t *p = r->rtp.payload + skip;
    return (uint32_t)p[2] << 24 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 8 | p[5];
}

#define VP8_HDR 11               /* descriptor byte + 10-byte VP8 frame header */

static void send_video_packet(struct scene *sc, uint32_t ts, bool first, bool last, bool key,
                              bool skip)
{
    uint8_t payload[128], tcc[2];
    payload[0] = first ? 0x10 : 0x00; /* S bit, partition 0 */
    static const uint8_t keyhdr[10] = {0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
    memcpy(payload + 1, keyhdr, sizeof keyhdr);
    if (!key)
        payload[1] |= 0x01;      /* inverse key frame flag: an interframe */
    size_t n = VP8_HDR + tag(payload + VP8_HDR, sc->vseq, ts);
    tcc[0] = (uint8_t)(sc->tcc >> 8);
    tcc[1] = (uint8_t)sc->tcc;
    struct rtp_ext_element ext[2] = {{EXT_MID, 1, (const uint8_t *)"0"}, {EXT_TCC, 2, tcc}};
    struct rtp_header h = {.marker = last, .payload_type = PUB_PT_VP8, .seq = sc->vseq,
                           .timestamp = ts, .ssrc = PUB_VSSRC};
    if (!skip)
        sim_peer_send_rtp(sc->pub, &h, ext, 2, payload, n);
    sc->vseq++;
    sc->tcc++;
}

static void send_audio_packet(struct scene *sc)
{
    uint8_t payload[128], tcc[2], level = 0x80 | 25;
    uint32_t ts = 7777u + 960u * sc->aseq;
    size_t n = tag(payload, sc->aseq, ts);
    tcc[0] = (uint8_t)(sc->tcc >> 8);
    tcc[1] = (uint8_t)sc->tcc;
    struct rtp_ext_element ext[3] = {
        {EXT_MID, 1, (const uint8_t *)"1"}, {EXT_AUDIO_LEVEL, 1, &level}, {EXT_TCC, 2, tcc}};
    struct rtp_header h = {.payload_type = PUB_PT_OPUS, .seq = sc->aseq, .timestamp = ts,
                           .ssrc = PUB_ASSRC};
    sim_peer_send_rtp(sc->pub, &h, ext, 3, payload, n);
    sc->aseq++;
    sc->tcc++;
}

/* One 20 ms step: a two-packet video frame (the first a keyframe) and an
 * audio packet. `skip_video` drops the frame's first packet on the way. */
static void send_step(struct scene *sc, bool skip_video)
{
    uint32_t ts = 3000u * sc->frame;
    bool key = sc->frame == 0;
    send_video_packet(sc, ts, true, false, key, skip_video);
    send_video_packet(sc, ts, false, true, key, false);
    send_audio_packet(sc);
    sc->frame++;
    sim_run_ms(&sc->s, 20);
}

static const struct peer_rtp *rx_video[PEER_MAX_RX];

TEST(sim_media_reaches_both_subscribers_rewritten)
{
    struct scene sc;
    const char *detail = NULL;
    ASSERT_EQ(0, scene_connect(&sc, 30000));
    ASSERT_EQ(3, sim_count_events(&sc.s, SFU_EVENT_TRANSPORT_CONNECTED, 0, &detail));
    ASSERT(strstr(detail, "AES") != NULL);
    ASSERT_EQ(0, scene_media(&sc, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC));
    for (int i = 0; i < FRAMES; i++)
        send_step(&sc, false);
    ASSERT_EQ(1, sim_count_events(&sc.s, SFU_EVENT_PRODUCER_ACTIVE, P_VIDEO, NULL));
    ASSERT_EQ(1, sim_count_events(&sc.s, SFU_EVENT_PRODUCER_ACTIVE, P_AUDIO, NULL));

    for (int s = 0; s < 2; s++) {
        struct sim_peer *sub = sc.sub[s];
        ASSERT_EQ(0, sub->n_undecryptable);
        size_t n = sim_peer_rtp_with_ssrc(sub, sc.sub_vssrc[s], rx_video, PEER_MAX_RX);
        ASSERT_EQ(2 * FRAMES, n);
        uint32_t ts_off = rx_video[0]->rtp.timestamp - tag_ts(rx_video[0], VP8_HDR);
        for (size_t i = 0; i < n; i++) {
            const struct rtp_packet *r = &rx_video[i]->rtp;
            const uint8_t *v;
            size_t vlen;
            ASSERT_EQ(SDP_SUB_PT_VP8, r->payload_type);
            ASSERT_EQ((uint16_t)(rx_video[0]->rtp.seq + i), r->seq);
            ASSERT_EQ((uint16_t)(VSEQ0 + i), tag_seq(rx_video[i], VP8_HDR));
            ASSERT_EQ(ts_off, r->timestamp - tag_ts(rx_video[i], VP8_HDR));
            ASSERT_EQ(1, rtp_packet_find_ext(r, SDP_SUB_EXT_MID, &v, &vlen));
            ASSERT_MEM_EQ("v0", v, 2);
            ASSERT_EQ(0, rtp_packet_find_ext(r, EXT_TCC, &v, &vlen));
        }
        static const struct peer_rtp *rx_audio[PEER_MAX_RX];
        n = sim_peer_rtp_with_ssrc(sub, sc.sub_assrc[s], rx_audio, PEER_MAX_RX);
        ASSERT_EQ(FRAMES, n);
        uint32_t a_off = rx_audio[0]->rtp.timestamp - tag_ts(rx_audio[0], 0);
        for (size_t i = 0; i < n; i++) {
            const uint8_t *v;
            size_t vlen;
            ASSERT_EQ(SDP_SUB_PT_OPUS, rx_audio[i]->rtp.payload_type);
            ASSERT_EQ((uint16_t)(rx_audio[0]->rtp.seq + i), rx_audio[i]->rtp.seq);
            ASSERT_EQ(a_off, rx_audio[i]->rtp.timestamp - tag_ts(rx_audio[i], 0));
            ASSERT_EQ(1, rtp_packet_find_ext(&rx_audio[i]->rtp, SDP_SUB_EXT_AUDIO_LEVEL, &v, &vlen));
            ASSERT_EQ(0x80 | 25, v[0]);
        }
    }
    /* The publisher hears about its streams: RRs and transport-wide CC. */
    ASSERT(sc.pub->n_rr > 0);
    ASSERT(sc.pub->n_twcc >= 5);
    ASSERT_EQ(0, sc.pub->n_remb);
    bool seen = false;
    for (int i = 0; i < sc.pub->last_rr.report_count; i++) {
        const struct rtcp_report_block *rb = &sc.pub->last_rr.reports[i];
        if (rb->ssrc == PUB_VSSRC) {
            seen = true;
            ASSERT_EQ(0, rb->cumulative_lost);
            ASSERT((rb->highest_seq & 0xFFFF0000u) == 0x10000u); /* wrapped once */
        }
    }
    ASSERT(seen);
    /* Subscribers get sender reports for what they receive. */
    ASSERT(sc.sub[0]->n_sr > 0);
    struct sfu_stats st;
    rtc_core_stats(sc.s.core, &st);
    ASSERT_EQ(3, st.transports);
    ASSERT_EQ(2, st.producers);
    ASSERT_EQ(4, st.consumers);
    ASSERT_EQ(0, st.drop_srtp);
    ASSERT_EQ(0, st.drop_unknown_ssrc);
    ASSERT_EQ(0, sc.s.n_unroutable);
    scene_free(&sc);
}

TEST(sim_nack_gets_rtx_with_osn_and_payload)
{
    struct scene sc;
    uint8_t buf[256];
    ASSERT_EQ(0, scene_connect(&sc, 30000));
    ASSERT_EQ(0, scene_media(&sc, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC));
    for (int i = 0; i < 20; i++)
        send_step(&sc, false);
    size_t n = sim_peer_rtp_with_ssrc(sc.sub[0], sc.sub_vssrc[0], rx_video, PEER_MAX_RX);
    ASSERT_EQ(40, n);
    const struct peer_rtp *orig = rx_video[10];
    uint16_t lost = orig->rtp.seq;
    int len = rtcp_nack_write(buf, sizeof buf, 0xBEEF, sc.sub_vssrc[0], &lost, 1);
    ASSERT(len > 0);
    ASSERT_EQ(0, sim_peer_send_rtcp(sc.sub[0], buf, (size_t)len));
    sim_deliver(&sc.s);
    static const struct peer_rtp *rtx[8];
    ASSERT_EQ(1, sim_peer_rtp_with_ssrc(sc.sub[0], sc.sub_rtx[0], rtx, 8));
    ASSERT_EQ(SDP_SUB_PT_RTX, rtx[0]->rtp.payload_type);
    uint16_t osn;
    ASSERT_EQ(0, rtp_rtx_original_seq(&rtx[0]->rtp, &osn));
    ASSERT_EQ(lost, osn);
    ASSERT_EQ(orig->rtp.payload_len + 2, rtx[0]->rtp.payload_len);
    ASSERT_MEM_EQ(orig->rtp.payload, rtx[0]->rtp.payload + 2, orig->rtp.payload_len);
    ASSERT_EQ(orig->rtp.timestamp, rtx[0]->rtp.timestamp);
    /* The other subscriber asked nothing and got nothing extra. */
    ASSERT_EQ(0, sim_peer_rtp_with_ssrc(sc.sub[1], sc.sub_rtx[1], rtx, 8));
    /* A NACK for something never sent resends nothing. */
    uint16_t never = (uint16_t)(rx_video[n - 1]->rtp.seq + 100);
    len = rtcp_nack_write(buf, sizeof buf, 0xBEEF, sc.sub_vssrc[0], &never, 1);
    sim_peer_send_rtcp(sc.sub[0], buf, (size_t)len);
    sim_deliver(&sc.s);
    ASSERT_EQ(1, sim_peer_rtp_with_ssrc(sc.sub[0], sc.sub_rtx[0], rtx, 8));
    struct sfu_stats st;
    rtc_core_stats(sc.s.core, &st);
    ASSERT_EQ(2, st.nack_received);
    ASSERT_EQ(1, st.rtx_sent);
    scene_free(&sc);
}

TEST(sim_pli_reaches_publisher_and_is_rate_limited)
{
    struct scene sc;
    uint8_t buf[64];
    struct sfu_stats st;
    ASSERT_EQ(0, scene_connect(&sc, 30000));
    ASSERT_EQ(0, scene_media(&sc, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC));
    for (int i = 0; i < 20; i++)       /* 400 ms: past any earlier request's window */
        send_step(&sc, false);
    size_t before = sc.pub->n_pli;
    rtc_core_stats(sc.s.core, &st);
    uint64_t suppressed = st.pli_suppressed;

    int len = rtcp_pli_write(buf, sizeof buf, 0xBEEF, sc.sub_vssrc[0]);
    ASSERT_EQ(0, sim_peer_send_rtcp(sc.sub[0], buf, (size_t)len));
    sim_deliver(&sc.s);
    ASSERT_EQ(before + 1, sc.pub->n_pli);
    ASSERT_EQ(PUB_VSSRC, sc.pub->last_pli_media_ssrc);

    /* The other subscriber, 100 ms later: inside the 300 ms window. */
    sim_run_ms(&sc.s, 100);
    len = rtcp_pli_write(buf, sizeof buf, 0xCAFE, sc.sub_vssrc[1]);
    sim_peer_send_rtcp(sc.sub[1], buf, (size_t)len);
    sim_deliver(&sc.s);
    ASSERT_EQ(before + 1, sc.pub->n_pli);
    rtc_core_stats(sc.s.core, &st);
    ASSERT_EQ(suppressed + 1, st.pli_suppressed);

    /* After the window, a FIR asks again (as a PLI: the publisher does PLI). */
    sim_run_ms(&sc.s, 300);
    len = rtcp_fir_write(buf, sizeof buf, 0xCAFE, sc.sub_vssrc[1], 1);
    sim_peer_send_rtcp(sc.sub[1], buf, (size_t)len);
    sim_deliver(&sc.s);
    ASSERT_EQ(before + 2, sc.pub->n_pli);
    scene_free(&sc);
}

TEST(sim_publisher_sr_mapping_reaches_subscribers)
{
    struct scene sc;
    uint8_t buf[128];
    ASSERT_EQ(0, scene_connect(&sc, 30000));
    ASSERT_EQ(0, scene_media(&sc, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC));
    for (int i = 0; i < 5; i++)
        send_step(&sc, false);
    struct rtcp_sender_report sr = {.ssrc = PUB_VSSRC, .ntp_time = 0xE0000000ull << 32,
                                    .rtp_time = 12345, .packet_count = 10, .octet_count = 1000};
    int len = rtcp_sender_report_write(buf, sizeof buf, &sr);
    ASSERT_EQ(0, sim_peer_send_rtcp(sc.pub, buf, (size_t)len));
    size_t n_sr = sc.sub[0]->n_sr;
    for (int i = 0; i < 60; i++)
        send_step(&sc, false);
    ASSERT(sc.sub[0]->n_sr > n_sr);
    size_t n = sim_peer_rtp_with_ssrc(sc.sub[0], sc.sub_vssrc[0], rx_video, PEER_MAX_RX);
    ASSERT(n > 0);
    uint32_t ts_off = rx_video[0]->rtp.timestamp - tag_ts(rx_video[0], VP8_HDR);
    /* The last SR for our video: the publisher's mapping carried forward. */
    bool found = false;
    for (size_t i = sc.sub[0]->n_rtcp; i-- > 0 && !found;) {
        struct rtcp_iter it;
        struct rtcp_packet pkt;
        struct rtcp_sender_report got;
        rtcp_iter_init(&it, sc.sub[0]->rtcp[i].data, sc.sub[0]->rtcp[i].len);
        while (rtcp_iter_next(&it, &pkt) == 1) {
            if (pkt.type != RTCP_SR || rtcp_sender_report_parse(&pkt, &got) < 0 ||
                got.ssrc != sc.sub_vssrc[0])
                continue;
            found = true;
            uint64_t d = got.ntp_time - sr.ntp_time;
            uint64_t us = (d >> 32) * 1000000 + ((d & 0xFFFFFFFFu) * 1000000 >> 32);
            ASSERT(us > 0 && us < 2000000);
            uint32_t want = sr.rtp_time + (uint32_t)(us * 90 / 1000) + ts_off;
            ASSERT((uint32_t)(got.rtp_time - want + 2) <= 4);
            ASSERT(got.packet_count > 0);
        }
    }
    ASSERT(found);
    scene_free(&sc);
}

TEST(sim_publisher_rtx_fills_a_loss)
{
    struct scene sc;
    ASSERT_EQ(0, scene_connect(&sc, 30000));
    ASSERT_EQ(0, scene_media(&sc, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC));
    for (int i = 0; i < 3; i++)
        send_step(&sc, false);
    uint16_t lost_seq = sc.vseq;
    uint32_t lost_ts = 3000u * sc.frame;
    send_step(&sc, true);        /* the frame's first packet never arrives */
    send_step(&sc, false);
    /* Sabaq asked the publisher for it (generic NACK on the video SSRC)... */
    ASSERT(sc.pub->n_nack_seqs >= 1);
    ASSERT_EQ(lost_seq, sc.pub->nack_seqs[0]);
    ASSERT_EQ(PUB_VSSRC, sc.pub->last_nack_media_ssrc);
    /* ... and the publisher repairs it on its RTX SSRC (learnt from the RTX PT + mid). */
    uint8_t payload[160], tcc[2] = {0, 0};
    payload[0] = (uint8_t)(lost_seq >> 8);
    payload[1] = (uint8_t)lost_seq;
    payload[2] = 0x10;
    static const uint8_t hdr[10] = {0x51, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
    memcpy(payload + 3, hdr, sizeof hdr);
    size_t n = 2 + VP8_HDR + tag(payload + 2 + VP8_HDR, lost_seq, lost_ts);
    struct rtp_ext_element ext[2] = {{EXT_MID, 1, (const uint8_t *)"0"}, {EXT_TCC, 2, tcc}};
    struct rtp_header h = {.payload_type = PUB_PT_RTX, .seq = 1, .timestamp = lost_ts,
                           .ssrc = PUB_RTX_SSRC};
    ASSERT_EQ(0, sim_peer_send_rtp(sc.pub, &h, ext, 2, payload, n));
    sim_deliver(&sc.s);
    /* Sent twice: the second is a duplicate and goes nowhere. */
    h.seq = 2;
    sim_peer_send_rtp(sc.pub, &h, ext, 2, payload, n);
    sim_deliver(&sc.s);

    size_t got = sim_peer_rtp_with_ssrc(sc.sub[0], sc.sub_vssrc[0], rx_video, PEER_MAX_RX);
    ASSERT_EQ(10, got);
    /* Repaired: not asked again, however long we wait. */
    size_t asked = sc.pub->n_nack_seqs;
    sim_run_ms(&sc.s, 300);
    ASSERT_EQ(asked, sc.pub->n_nack_seqs);
    const struct rtc_counters *more = rtc_core_counters(sc.s.core);
    ASSERT_EQ((uint64_t)asked, more->nack_sent);
    const struct peer_rtp *last = rx_video[got - 1];
    ASSERT_EQ(lost_seq, tag_seq(last, VP8_HDR));
    ASSERT_EQ((uint16_t)(rx_video[0]->rtp.seq + 6), last->rtp.seq);
    ASSERT_EQ(rx_video[5]->rtp.timestamp + 3000, last->rtp.timestamp);
    scene_free(&sc);
}

TEST(sim_remb_when_no_transport_cc)
{
    struct scene sc;
    ASSERT_EQ(0, scene_connect(&sc, 30000));
    struct sdp_track v = video_track(SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_GOOG_REMB);
    v.ext.transport_cc = 0;
    ASSERT_EQ(0, rtc_core_producer_create(sc.s.core, P_VIDEO, T_PUB, &v, sc.s.now_us));
    for (int i = 0; i < 60; i++) {
        send_video_packet(&sc, 3000u * (uint32_t)i, true, true, i == 0, false);
        sim_run_ms(&sc.s, 20);
    }
    ASSERT(sc.pub->n_remb > 0);
    ASSERT_EQ(2500000, sc.pub->last_remb_bps);
    ASSERT_EQ(0, sc.pub->n_twcc);
    ASSERT(sc.pub->n_rr > 0);
    scene_free(&sc);
}

TEST(sim_closing_producer_stops_its_consumers)
{
    struct scene sc;
    struct sfu_stats st;
    ASSERT_EQ(0, scene_connect(&sc, 30000));
    ASSERT_EQ(0, scene_media(&sc, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC));
    for (int i = 0; i < 10; i++)
        send_step(&sc, false);
    ASSERT_EQ(0, rtc_core_producer_close(sc.s.core, P_VIDEO));
    ASSERT_EQ(-SQ_ENOTFOUND, rtc_core_producer_close(sc.s.core, P_VIDEO));
    for (int i = 0; i < 10; i++)
        send_step(&sc, false);
    for (int s = 0; s < 2; s++) {
        ASSERT_EQ(20, sim_peer_rtp_with_ssrc(sc.sub[s], sc.sub_vssrc[s], rx_video, PEER_MAX_RX));
        ASSERT_EQ(20, sim_peer_rtp_with_ssrc(sc.sub[s], sc.sub_assrc[s], rx_video, PEER_MAX_RX));
    }
    rtc_core_stats(sc.s.core, &st);
    ASSERT_EQ(20, st.drop_unknown_ssrc);
    ASSERT_EQ(1, st.producers);
    ASSERT_EQ(4, st.consumers);  /* silent until the control plane closes them */
    ASSERT_EQ(0, rtc_core_consumer_close(sc.s.core, C1_VIDEO));
    ASSERT_EQ(0, rtc_core_transport_close(sc.s.core, T_PUB));
    rtc_core_stats(sc.s.core, &st);
    ASSERT_EQ(0, st.producers);
    ASSERT_EQ(3, st.consumers);  /* on the subscribers' transports, detached */
    scene_free(&sc);
}

TEST(sim_paused_producer_drops_media_and_resumes_seamlessly)
{
    struct scene sc;
    static const struct peer_rtp *rx_audio[PEER_MAX_RX];
    ASSERT_EQ(0, scene_connect(&sc, 30000));
    ASSERT_EQ(0, scene_media(&sc, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC));
    for (int i = 0; i < 5; i++)
        send_step(&sc, false);
    ASSERT_EQ(0, rtc_core_producer_set_paused(sc.s.core, P_AUDIO, true));
    for (int i = 0; i < 5; i++)
        send_step(&sc, false);
    ASSERT_EQ(5, sim_peer_rtp_with_ssrc(sc.sub[0], sc.sub_assrc[0], rx_audio, PEER_MAX_RX));
    ASSERT_EQ(0, rtc_core_producer_set_paused(sc.s.core, P_AUDIO, false));
    for (int i = 0; i < 5; i++)
        send_step(&sc, false);
    ASSERT_EQ(10, sim_peer_rtp_with_ssrc(sc.sub[0], sc.sub_assrc[0], rx_audio, PEER_MAX_RX));
    /* No hole in the numbering; the timestamp jumps by the paused time. */
    ASSERT_EQ((uint16_t)(rx_audio[4]->rtp.seq + 1), rx_audio[5]->rtp.seq);
    uint32_t gap = rx_audio[5]->rtp.timestamp - rx_audio[4]->rtp.timestamp;
    ASSERT(gap >= 960 * 5 && gap <= 960 * 7);
    scene_free(&sc);
}

TEST(sim_consent_loss_closes_silent_subscriber)
{
    struct scene sc;
    const char *detail = NULL;
    ASSERT_EQ(0, scene_connect(&sc, 3000));
    ASSERT_EQ(0, scene_media(&sc, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC));
    sc.sub[1]->keepalive = false;
    for (int i = 0; i < 200; i++)      /* 4 s */
        send_step(&sc, false);
    ASSERT_EQ(1, sim_count_events(&sc.s, SFU_EVENT_TRANSPORT_CLOSED, T_SUB2, &detail));
    ASSERT_STR_EQ("consent expired", detail);
    ASSERT_EQ(0, sim_count_events(&sc.s, SFU_EVENT_TRANSPORT_CLOSED, T_SUB1, NULL));
    size_t got = sim_peer_rtp_with_ssrc(sc.sub[1], sc.sub_assrc[1], rx_video, PEER_MAX_RX);
    ASSERT(got < 200 && got > 100);
    ASSERT_EQ(200, sim_peer_rtp_with_ssrc(sc.sub[0], sc.sub_assrc[0], rx_video, PEER_MAX_RX));
    scene_free(&sc);
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

TEST(sim_truncated_datagrams_are_counted)
{
    struct scene sc;
    struct sfu_stats st, before;
    struct sockaddr_storage stranger;
    uint8_t empty[1];
    ASSERT_EQ(0, scene_connect(&sc, 30000));
    ASSERT_EQ(0, scene_media(&sc, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC));
    send_step(&sc, false);
    struct rtc_core *core = sc.s.core;
    socklen_t sl = sim_addr_v4(&stranger, "192.0.2.200", 999);
    rtc_core_stats(core, &before);

    /* Truncated STUN, DTLS, RTP, RTCP from a known peer. */
    static const uint8_t stun_hdr[8] = {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42};
    sim_peer_send_raw(sc.pub, stun_hdr, sizeof stun_hdr);
    static const uint8_t dtls_short[5] = {22, 0xfe, 0xfd, 0, 0};
    sim_peer_send_raw(sc.pub, dtls_short, sizeof dtls_short);
    static uint8_t rtp_short[6] = {0x80, 100, 0, 1, 0, 0};
    sim_peer_send_raw(sc.pub, rtp_short, sizeof rtp_short);
    static const uint8_t rtcp_short[6] = {0x80, 200, 0, 6, 0, 0};
    sim_peer_send_raw(sc.pub, rtcp_short, sizeof rtcp_short);
    /* Not in any RFC 7983 range. */
    static const uint8_t odd[4] = {0x70, 1, 2, 3};
    sim_peer_send_raw(sc.pub, odd, sizeof odd);
    /* Authentic SRTCP whose content is broken (length field overruns). */
    static const uint8_t bad_rtcp[12] = {0x81, 201, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8};
    sim_peer_send_rtcp(sc.pub, bad_rtcp, sizeof bad_rtcp);
    sim_deliver(&sc.s);
    /* A stranger's RTP, a STUN request for a ufrag nobody has, nothing at all. */
    rtc_core_receive(core, rtp_short, sizeof rtp_short, &stranger, sl, sc.s.now_us);
    uint8_t req[200], txid[12] = {9};
    int rn = stun_binding_request_write(req, sizeof req, txid, "nobody:x", 1, 2, true,
                                        (const uint8_t *)"k", 1);
    rtc_core_receive(core, req, (size_t)rn, &stranger, sl, sc.s.now_us);
    rtc_core_receive(core, empty, 0, &stranger, sl, sc.s.now_us);

    rtc_core_stats(core, &st);
    ASSERT_EQ(before.drop_malformed_stun + 1, st.drop_malformed_stun);
    ASSERT_EQ(before.drop_malformed_dtls + 1, st.drop_malformed_dtls);
    ASSERT(st.drop_malformed_rtp + st.drop_srtp >= before.drop_malformed_rtp + before.drop_srtp + 1);
    ASSERT(st.drop_malformed_rtcp >= before.drop_malformed_rtcp + 2);
    ASSERT_EQ(before.drop_not_demuxable + 2, st.drop_not_demuxable);
    ASSERT_EQ(before.drop_unknown_source + 1, st.drop_unknown_source);
    ASSERT_EQ(before.drop_stun_auth + 1, st.drop_stun_auth);
    ASSERT_EQ(before.rx_packets + 9, st.rx_packets);
    scene_free(&sc);
}

/* Random bytes with a first byte from every RFC 7983 range. */
static size_t random_datagram(uint8_t *buf, size_t cap, uint32_t *seed)
{
    static const uint8_t firsts[] = {0x00, 0x01, 22, 23, 0x80, 0x90, 0x81, 0xbf};
    size_t len = lcg(seed) % cap;
    for (size_t k = 0; k < len; k++)
        buf[k] = (uint8_t)lcg(seed);
    if (len)
        buf[0] = firsts[lcg(seed) % sizeof firsts];
    if (len > 1 && (lcg(seed) & 1))
        buf[1] = (uint8_t)(200 + lcg(seed) % 8);
    return len;
}

TEST(sim_random_garbage_is_harmless)
{
    struct scene sc;
    struct sfu_stats st, before;
    struct sockaddr_storage stranger;
    uint8_t buf[1400];
    ASSERT_EQ(0, scene_connect(&sc, 30000));
    ASSERT_EQ(0, scene_media(&sc, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC));
    send_step(&sc, false);
    socklen_t sl = sim_addr_v4(&stranger, "192.0.2.200", 999);
    rtc_core_stats(sc.s.core, &before);
    /* From peers and strangers, plain and (RTP/RTCP) properly encrypted. */
    uint32_t seed = 12345;
    for (int i = 0; i < 3000; i++) {
        size_t len = random_datagram(buf, sizeof buf, &seed);
        if (len > 7 && (buf[0] & 0xc0) == 0x80 && (lcg(&seed) % 3) == 0) {
            if (len > 12 && (buf[1] < 200 || buf[1] > 207)) {
                struct rtp_header h = {.payload_type = PUB_PT_VP8, .seq = (uint16_t)i,
                                       .ssrc = PUB_VSSRC};
                sim_peer_send_rtp(sc.pub, &h, NULL, 0, buf, len - 12);
            } else {
                sim_peer_send_rtcp(sc.sub[i % 2], buf, len);
            }
        } else if (i % 3 == 0) {
            rtc_core_receive(sc.s.core, buf, len, &stranger, sl, sc.s.now_us);
        } else {
            sim_peer_send_raw(sc.sub[i % 2], buf, len);
        }
        if (i % 100 == 0)
            sim_run_ms(&sc.s, 1);
    }
    sim_deliver(&sc.s);
    /* Still working afterwards. */
    size_t got = sim_peer_rtp_with_ssrc(sc.sub[0], sc.sub_assrc[0], rx_video, PEER_MAX_RX);
    send_step(&sc, false);
    ASSERT_EQ(got + 1, sim_peer_rtp_with_ssrc(sc.sub[0], sc.sub_assrc[0], rx_video, PEER_MAX_RX));
    rtc_core_stats(sc.s.core, &st);
    ASSERT(st.rx_packets > before.rx_packets + 3000);
    ASSERT(st.drop_malformed_stun + st.drop_malformed_dtls + st.drop_malformed_rtp +
           st.drop_malformed_rtcp + st.drop_srtp + st.drop_unknown_source >
           before.drop_malformed_stun + before.drop_malformed_dtls + before.drop_malformed_rtp +
           before.drop_malformed_rtcp + before.drop_srtp + before.drop_unknown_source + 1000);
    scene_free(&sc);
}

/* A subscriber's network changes (a phone leaving Wi-Fi): media sent to its
 * old address is lost until it restarts ICE. With new credentials its check
 * from the new address nominates that path, and media follows there on the
 * same DTLS/SRTP session, the stream's numbers running on; checks with the
 * old credentials are not answered any more. */
TEST(sim_ice_restart_moves_a_subscriber_to_its_new_address)
{
    struct scene sc;
    ASSERT_EQ(0, scene_connect(&sc, 30000));
    ASSERT_EQ(0, scene_media(&sc, SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC));
    for (int i = 0; i < 10; i++)
        send_step(&sc, false);
    struct sim_peer *sub = sc.sub[0];
    size_t before = sim_peer_rtp_with_ssrc(sub, sc.sub_vssrc[0], rx_video, PEER_MAX_RX);
    ASSERT_EQ(20, before);
    uint16_t last_seq = rx_video[before - 1]->rtp.seq;

    sub->addr_len = sim_addr_v4(&sub->addr, "198.18.7.7", 41777);
    size_t lost = sc.s.n_unroutable;
    send_step(&sc, false);
    ASSERT(sc.s.n_unroutable >= lost + 2);

    ASSERT_EQ(0, rtc_core_transport_restart_ice(sc.s.core, T_SUB1, "restartU",
                                                "restart-password-0123456789", sc.s.now_us));
    size_t ok = sub->n_stun_ok;
    sim_peer_start(sub, sc.s.now_us);   /* still the old credentials */
    sim_deliver(&sc.s);
    ASSERT_EQ(ok, sub->n_stun_ok);
    strcpy(sub->remote_ufrag, "restartU");
    strcpy(sub->remote_pwd, "restart-password-0123456789");
    sim_peer_start(sub, sc.s.now_us);
    sim_deliver(&sc.s);
    ASSERT_EQ(ok + 1, sub->n_stun_ok);

    for (int i = 0; i < 10; i++)
        send_step(&sc, false);
    size_t after = sim_peer_rtp_with_ssrc(sub, sc.sub_vssrc[0], rx_video, PEER_MAX_RX);
    ASSERT_EQ(before + 20, after);
    /* Two packets went to the old address: the stream skips just those. */
    ASSERT_EQ((uint16_t)(last_seq + 3), rx_video[before]->rtp.seq);
    ASSERT_EQ(0, sub->n_undecryptable);
    ASSERT_EQ(3, sim_count_events(&sc.s, SFU_EVENT_TRANSPORT_CONNECTED, 0, NULL));
    ASSERT_EQ(0, sim_count_events(&sc.s, SFU_EVENT_TRANSPORT_CLOSED, 0, NULL));
    scene_free(&sc);
}
