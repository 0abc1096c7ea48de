/* Simulcast through the whole media plane in simulated time: an in-memory
 * browser publishes VP8 in three layers (one SSRC each, rid and
 * repaired-rid header extensions, every layer of a frame stamped with the
 * same RTP time as browsers do) and two subscribers receive it. Layer
 * choice by rendered size and bandwidth, switching at keyframes with a
 * seamless output, NACK/RTX per layer, the wanted-layers event, and layers
 * following the estimate the subscriber reports (REMB). */
#include "test.h"

#include <stdlib.h>

#include "sabaq/error.h"
#include "sabaq/rtcp.h"
#include "sabaq/sdp.h"
#include "rtc/bwe.h"
#include "rtc/rtc_core.h"
#include "rtc/rtc_env.h"
#include "sim.h"

enum { T_PUB = 1, T_SUBA = 2, T_SUBB = 3 };
enum { P_VIDEO = 10, P_AUDIO = 11 };
enum { CA_VIDEO = 20, CA_AUDIO = 21, CB_VIDEO = 22, CB_AUDIO = 23 };

#define PT_VP8 100
#define PT_RTX 101
#define PT_OPUS 109
#define EXT_AUDIO_LEVEL 1
#define EXT_TCC 3
#define EXT_MID 4
#define EXT_RID 5
#define EXT_RRID 6
#define TS_BASE 0x12345678u      /* one RTP time base for all layers */
#define ASSRC 0x000A0D10u
#define FRAME_TS 1800u          /* 20 ms at 90 kHz */

struct scene {
    struct sim s;
    struct sim_peer *pub, *sub[2];
    struct sim_vp8_stream layer[3]; /* in the offer's rid order */
    size_t send_order[3];        /* indexes into layer[], low quality first */
    uint32_t ts_base[3];         /* RTP time of frame 0, per layer */
    size_t pli_seen[3];
    uint16_t aseq, tcc;
    uint32_t frame;
    uint32_t sub_vssrc[2], sub_rtx[2], sub_assrc[2];
};

static const char *ufrags[3] = {"pubS", "subS", "subT"};
static const char *pwds[3] = {"pubS-password-0123456789", "subS-password-0123456789a",
                              "subT-password-0123456789b"};

/* q 320x180 ~100 kbit/s, h 640x360 ~500 kbit/s, f 1280x720 ~1.8 Mbit/s at
 * 50 frames/s. PictureIDs and TL0PICIDXs of the layers are unrelated. */
static struct sim_vp8_stream layer_named(char name, uint16_t *tcc)
{
    struct sim_vp8_stream s = {.pt = PT_VP8, .rtx_pt = PT_RTX, .mid = "0", .mid_ext = EXT_MID,
                               .rid_ext = EXT_RID, .rrid_ext = EXT_RRID, .tcc_ext = EXT_TCC,
                               .tcc_seq = tcc, .tag = (uint8_t)name};
    switch (name) {
    case 'q':
        s.rid = "q";
        s.ssrc = 0xA0000001u;
        s.width = 320, s.height = 180, s.packets_per_frame = 1, s.packet_size = 250;
        s.seq = 1000, s.picture_id = 100, s.tl0_pic_idx = 10;
        break;
    case 'h':
        s.rid = "h";
        s.ssrc = 0xA0000002u;
        s.width = 640, s.height = 360, s.packets_per_frame = 2, s.packet_size = 600;
        s.seq = 30000, s.picture_id = 5000, s.tl0_pic_idx = 70;
        break;
    default:
        s.rid = "f";
        s.ssrc = 0xA0000003u;
        s.width = 1280, s.height = 720, s.packets_per_frame = 4, s.packet_size = 1100;
        s.seq = 65000, s.picture_id = 32700, s.tl0_pic_idx = 250;
        break;
    }
    s.rtx_ssrc = s.ssrc + 0x100;
    return s;
}

static int connect_peers(struct scene *sc)
{
    struct sockaddr_storage a;
    if (sim_init(&sc->s, 30000) < 0)
        return -1;
    const char *fp = dtls_cert_fingerprint(sc->s.cert);
    struct sim_peer *peers[3];
    for (int i = 0; i < 3; i++) {
        char ip[32], name[16];
        snprintf(ip, sizeof ip, "198.18.1.%d", i + 1);
        snprintf(name, sizeof name, "s%d", i);
        socklen_t al = sim_addr_v4(&a, ip, (uint16_t)(41001 + i));
        peers[i] = sim_peer_new(name, &a, al, ufrags[i], pwds[i], fp);
        if (!peers[i] ||
            rtc_core_transport_create(sc->s.core, (uint32_t)(T_PUB + i), ufrags[i], pwds[i],
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

/* A publisher whose offer lists the rids in `order` ("qhf" or "fhq"), and
 * both subscribers consuming its video and audio. */
static int scene_start(struct scene *sc, const char *order)
{
    memset(sc, 0, sizeof(*sc));
    if (connect_peers(sc) < 0)
        return -1;
    struct sdp_track v = {0}, a = {0};
    strcpy(v.mid, "0");
    v.kind = SDP_KIND_VIDEO;
    v.payload_type = PT_VP8;
    v.rtx_payload_type = PT_RTX;
    v.clock_rate = 90000;
    v.ext = (struct rtp_ext_ids){.mid = EXT_MID, .rid = EXT_RID, .repaired_rid = EXT_RRID,
                                 .transport_cc = EXT_TCC};
    v.feedback = SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_TRANSPORT_CC;
    v.n_rids = 3;
    for (size_t i = 0; i < 3; i++) {
        sc->layer[i] = layer_named(order[i], &sc->tcc);
        sc->ts_base[i] = TS_BASE;
        snprintf(v.rids[i].id, sizeof v.rids[i].id, "%c", order[i]);
        v.rids[i].send = true;
        sc->send_order[strchr("qhf", order[i]) - "qhf"] = i;
    }
    strcpy(a.mid, "1");
    a.kind = SDP_KIND_AUDIO;
    a.payload_type = PT_OPUS;
    a.clock_rate = 48000;
    a.ssrc = ASSRC;
    a.ext = (struct rtp_ext_ids){.mid = EXT_MID, .audio_level = EXT_AUDIO_LEVEL,
                                 .transport_cc = EXT_TCC};
    a.feedback = SDP_FB_TRANSPORT_CC;
    struct rtc_core *core = sc->s.core;
    uint64_t now = sc->s.now_us;
    if (rtc_core_producer_create(core, P_VIDEO, T_PUB, &v, now) < 0 ||
        rtc_core_producer_create(core, P_AUDIO, T_PUB, &a, now) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        sc->sub_vssrc[i] = 7000u + 100u * (uint32_t)i;
        sc->sub_rtx[i] = sc->sub_vssrc[i] + 1;
        sc->sub_assrc[i] = sc->sub_vssrc[i] + 2;
        struct sdp_outgoing ov = outgoing(SDP_KIND_VIDEO, "v0", sc->sub_vssrc[i], sc->sub_rtx[i]);
        struct sdp_outgoing oa = outgoing(SDP_KIND_AUDIO, "a0", sc->sub_assrc[i], 0);
        if (rtc_core_consumer_create(core, (uint32_t)(CA_VIDEO + 2 * i), (uint32_t)(T_SUBA + i),
                                     P_VIDEO, &ov, now) < 0 ||
            rtc_core_consumer_create(core, (uint32_t)(CA_AUDIO + 2 * i), (uint32_t)(T_SUBA + i),
                                     P_AUDIO, &oa, now) < 0)
            return -1;
    }
    return 0;
}

static void scene_free(struct scene *sc)
{
    sim_destroy(&sc->s);
    sim_peer_free(sc->pub);
    sim_peer_free(sc->sub[0]);
    sim_peer_free(sc->sub[1]);
}

static void send_audio(struct scene *sc)
{
    uint8_t payload[80] = {0}, tcc[2], level = 0x80 | 30;
    tcc[0] = (uint8_t)(sc->tcc >> 8);
    tcc[1] = (uint8_t)sc->tcc++;
    struct rtp_ext_element ext[3] = {
        {EXT_MID, 1, (const uint8_t *)"1"}, {EXT_AUDIO_LEVEL, 1, &level}, {EXT_TCC, 2, tcc}};
    struct rtp_header h = {.payload_type = PT_OPUS, .seq = sc->aseq, .timestamp = 960u * sc->aseq,
                           .ssrc = ASSRC};
    sim_peer_send_rtp(sc->pub, &h, ext, 3, payload, sizeof payload);
    sc->aseq++;
}

/* One 20 ms frame of every layer, low quality first (a layer answers a PLI
 * with a keyframe at its next frame), and an audio packet. skip[i] drops
 * packets of the layer named "qhf"[i] on the way. */
static void step_skip(struct scene *sc, const uint32_t skip[3])
{
    for (size_t k = 0; k < 3; k++) {
        size_t i = sc->send_order[k];
        uint32_t ts = sc->ts_base[i] + FRAME_TS * sc->frame;
        struct sim_vp8_stream *l = &sc->layer[i];
        size_t plis = sim_peer_pli_count(sc->pub, l->ssrc);
        bool key = sc->frame == 0 || plis > sc->pli_seen[i];
        sc->pli_seen[i] = plis;
        sim_peer_send_vp8_frame(sc->pub, l, ts, key, skip ? skip[k] : 0);
    }
    send_audio(sc);
    sc->frame++;
    sim_run_ms(&sc->s, 20);
}

static void steps(struct scene *sc, int n)
{
    for (int i = 0; i < n; i++)
        step_skip(sc, NULL);
}

static const struct peer_rtp *rx[PEER_MAX_RX];

/* The subscriber's video, read back: tags, descriptors. */
struct seen {
    size_t n;
    struct sim_vp8_tag tag[PEER_MAX_RX];
    struct vp8_descriptor d[PEER_MAX_RX];
};
static struct seen seen_a, seen_b;

static int read_video(const struct scene *sc, int sub, struct seen *out)
{
    out->n = sim_peer_rtp_with_ssrc(sc->sub[sub], sc->sub_vssrc[sub], rx, PEER_MAX_RX);
    for (size_t i = 0; i < out->n; i++)
        if (sim_vp8_read(rx[i], 0, &out->d[i], &out->tag[i]) < 0)
            return -1;
    return 0;
}

static bool seqs_continuous(size_t n)
{
    for (size_t i = 1; i < n; i++)
        if ((uint16_t)(rx[i - 1]->rtp.seq + 1) != rx[i]->rtp.seq)
            return false;
    return true;
}

/* Index of the first packet of stream `tag` at or after `from`; n if none. */
static size_t first_of(const struct seen *s, size_t from, char tag)
{
    for (size_t i = from; i < s->n; i++)
        if (s->tag[i].stream == (uint8_t)tag)
            return i;
    return s->n;
}

static size_t count_of(const struct seen *s, size_t from, char tag)
{
    size_t n = 0;
    for (size_t i = from; i < s->n; i++)
        n += s->tag[i].stream == (uint8_t)tag;
    return n;
}

TEST(sim_simulcast_small_view_gets_low_layer_big_view_high)
{
    struct scene sc;
    struct sfu_stats st;
    ASSERT_EQ(0, scene_start(&sc, "qhf"));
    ASSERT_EQ(0, rtc_core_consumer_set_preferred_size(sc.s.core, CA_VIDEO, 320, 180, sc.s.now_us));
    ASSERT_EQ(0, rtc_core_consumer_set_preferred_size(sc.s.core, CB_VIDEO, 1280, 720, sc.s.now_us));
    ASSERT_EQ(-SQ_EINVAL,
              rtc_core_consumer_set_preferred_size(sc.s.core, CA_AUDIO, 1, 1, sc.s.now_us));
    ASSERT_EQ(-SQ_ENOTFOUND, rtc_core_consumer_set_preferred_size(sc.s.core, 999, 1, 1, sc.s.now_us));
    steps(&sc, 50);
    /* Every layer's SSRC was learnt from its rid: nothing unknown. */
    rtc_core_stats(sc.s.core, &st);
    ASSERT_EQ(0, st.drop_unknown_ssrc);

    ASSERT_EQ(0, read_video(&sc, 0, &seen_a));
    ASSERT_EQ(50, seen_a.n);                  /* one q packet a frame, from the first */
    ASSERT_EQ(50, count_of(&seen_a, 0, 'q'));
    ASSERT(seen_a.d[0].is_keyframe);
    ASSERT_EQ(320, seen_a.d[0].width);
    ASSERT_EQ(180, seen_a.d[0].height);
    ASSERT(seqs_continuous(seen_a.n));

    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    ASSERT_EQ(200, seen_b.n);                 /* four f packets a frame */
    ASSERT_EQ(200, count_of(&seen_b, 0, 'f'));
    ASSERT(seen_b.d[0].is_keyframe);
    ASSERT_EQ(1280, seen_b.d[0].width);
    ASSERT_EQ(720, seen_b.d[0].height);
    ASSERT(seqs_continuous(seen_b.n));
    /* Audio was never held back. */
    ASSERT_EQ(50, sim_peer_rtp_with_ssrc(sc.sub[1], sc.sub_assrc[1], rx, PEER_MAX_RX));
    scene_free(&sc);
}

TEST(sim_simulcast_offer_high_to_low_is_ranked_by_size)
{
    struct scene sc;
    ASSERT_EQ(0, scene_start(&sc, "fhq"));
    ASSERT_EQ(0, rtc_core_consumer_set_preferred_size(sc.s.core, CA_VIDEO, 320, 180, sc.s.now_us));
    ASSERT_EQ(0, rtc_core_consumer_set_preferred_size(sc.s.core, CB_VIDEO, 1280, 720, sc.s.now_us));
    steps(&sc, 30);
    ASSERT_EQ(0, read_video(&sc, 0, &seen_a));
    ASSERT_EQ(30, seen_a.n);
    ASSERT_EQ(30, count_of(&seen_a, 0, 'q'));
    /* Before the sizes were known B may have started on another layer;
     * from the second frame on it is f only. */
    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    size_t f0 = first_of(&seen_b, 0, 'f');
    ASSERT(f0 <= 2);
    ASSERT_EQ(seen_b.n - f0, count_of(&seen_b, f0, 'f'));
    ASSERT(seen_b.n - f0 >= 4 * 29);
    ASSERT(seqs_continuous(seen_b.n));
    scene_free(&sc);
}

/* B watching f; its bandwidth drops to 1 Mbit/s: h from h's next keyframe. */
static int drop_to_h(struct scene *sc, size_t *switch_at)
{
    if (scene_start(sc, "qhf") < 0 ||
        rtc_core_consumer_set_preferred_size(sc->s.core, CA_VIDEO, 320, 180, sc->s.now_us) < 0 ||
        rtc_core_consumer_set_preferred_size(sc->s.core, CB_VIDEO, 1280, 720, sc->s.now_us) < 0)
        return -1;
    steps(sc, 50);
    size_t plis = sim_peer_pli_count(sc->pub, sc->layer[1].ssrc);
    if (rtc_core_transport_set_estimate_bps(sc->s.core, T_SUBB, 1000000, sc->s.now_us) < 0)
        return -1;
    steps(sc, 3);
    if (sim_peer_pli_count(sc->pub, sc->layer[1].ssrc) != plis + 1)
        return -2;               /* one PLI, naming h's SSRC */
    steps(sc, 20);
    if (read_video(sc, 1, &seen_b) < 0)
        return -3;
    *switch_at = first_of(&seen_b, 0, 'h');
    return *switch_at < seen_b.n ? 0 : -4;
}

TEST(sim_simulcast_bandwidth_drop_switches_at_keyframe_seamlessly)
{
    struct scene sc;
    size_t k;
    ASSERT_EQ(0, drop_to_h(&sc, &k));
    ASSERT(k > 200);
    /* f until the switch, h from then on, not one packet of f after. */
    ASSERT_EQ(k, count_of(&seen_b, 0, 'f'));
    ASSERT_EQ(seen_b.n - k, count_of(&seen_b, k, 'h'));
    ASSERT(seen_b.n - k >= 2 * 18);
    /* The switch packet is the start of an h keyframe, after a whole f frame. */
    ASSERT(seen_b.d[k].is_keyframe);
    ASSERT_EQ(640, seen_b.d[k].width);
    ASSERT(rx[k - 1]->rtp.marker);
    /* Sequence numbers run on without a gap. */
    ASSERT(seqs_continuous(seen_b.n));
    /* The timestamp is h's own, in the clock f was sent in: one frame on. */
    ASSERT_EQ(seen_b.tag[k - 1].ts + FRAME_TS, seen_b.tag[k].ts);
    ASSERT_EQ(rx[k - 1]->rtp.timestamp + FRAME_TS, rx[k]->rtp.timestamp);
    uint32_t ts_off = rx[k - 1]->rtp.timestamp - seen_b.tag[k - 1].ts;
    for (size_t i = k; i < seen_b.n; i++)
        ASSERT_EQ(ts_off, rx[i]->rtp.timestamp - seen_b.tag[i].ts);
    /* PictureID and TL0PICIDX go on by one although h's own are unrelated. */
    ASSERT_EQ((seen_b.d[k - 1].picture_id + 1) & 0x7fff, seen_b.d[k].picture_id);
    ASSERT_EQ((uint8_t)(seen_b.d[k - 1].tl0_pic_idx + 1), seen_b.d[k].tl0_pic_idx);
    ASSERT(seen_b.tag[k].picture_id != seen_b.d[k].picture_id);
    for (size_t i = k + 1; i < seen_b.n; i++) {
        uint16_t step = seen_b.tag[i].picture_id == seen_b.tag[i - 1].picture_id ? 0 : 1;
        ASSERT_EQ((seen_b.d[i - 1].picture_id + step) & 0x7fff, seen_b.d[i].picture_id);
        ASSERT_EQ((uint8_t)(seen_b.d[i - 1].tl0_pic_idx + step), seen_b.d[i].tl0_pic_idx);
    }
    /* A kept q throughout. */
    ASSERT_EQ(0, read_video(&sc, 0, &seen_a));
    ASSERT_EQ(seen_a.n, count_of(&seen_a, 0, 'q'));
    struct sfu_stats st;
    rtc_core_stats(sc.s.core, &st);
    ASSERT_EQ(0, st.drop_unknown_ssrc);
    scene_free(&sc);
}

TEST(sim_simulcast_bandwidth_rise_goes_up_after_hysteresis)
{
    struct scene sc;
    size_t k;
    ASSERT_EQ(0, drop_to_h(&sc, &k));
    size_t before = seen_b.n;
    uint64_t t0 = sc.s.now_us;
    ASSERT_EQ(0, rtc_core_transport_set_estimate_bps(sc.s.core, T_SUBB, 5000000, t0));
    steps(&sc, 120);                          /* 2.4 s: still h */
    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    ASSERT_EQ(0, count_of(&seen_b, before, 'f'));
    steps(&sc, 30);                           /* by 3 s: f */
    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    size_t u = first_of(&seen_b, before, 'f');
    ASSERT(u < seen_b.n);
    ASSERT(seen_b.d[u].is_keyframe);
    ASSERT_EQ(1280, seen_b.d[u].width);
    ASSERT_EQ(seen_b.n - u, count_of(&seen_b, u, 'f'));
    ASSERT(seqs_continuous(seen_b.n));
    /* f's keyframe is of the instant whose h frame just went out: it
     * follows one tick later rather than at the same time. */
    ASSERT_EQ(seen_b.tag[u - 1].ts, seen_b.tag[u].ts);
    ASSERT_EQ(rx[u - 1]->rtp.timestamp + 1, rx[u]->rtp.timestamp);
    ASSERT_EQ((seen_b.d[u - 1].picture_id + 1) & 0x7fff, seen_b.d[u].picture_id);
    scene_free(&sc);
}

/* A NACK the subscriber sends, for its own seq. */
static void nack(struct scene *sc, int sub, uint16_t seq)
{
    uint8_t buf[64];
    int len = rtcp_nack_write(buf, sizeof buf, 0xBEEF, sc->sub_vssrc[sub], &seq, 1);
    sim_peer_send_rtcp(sc->sub[sub], buf, (size_t)len);
    sim_deliver(&sc->s);
}

TEST(sim_simulcast_nack_is_answered_from_each_layers_cache)
{
    struct scene sc;
    size_t k;
    static const struct peer_rtp *rtx[16];
    ASSERT_EQ(0, drop_to_h(&sc, &k));
    static struct peer_rtp f_last, h_second;
    f_last = *rx[k - 1];                      /* the last f packet, before the switch */
    h_second = *rx[k + 1];
    ASSERT_EQ(0, rtp_packet_parse(&f_last.rtp, f_last.data, f_last.len));
    ASSERT_EQ(0, rtp_packet_parse(&h_second.rtp, h_second.data, h_second.len));
    nack(&sc, 1, f_last.rtp.seq);
    nack(&sc, 1, h_second.rtp.seq);
    ASSERT_EQ(2, sim_peer_rtp_with_ssrc(sc.sub[1], sc.sub_rtx[1], rtx, 16));
    /* Each exactly as first sent (VP8 ids rewritten the same way), OSN first. */
    const struct peer_rtp *want[2] = {&f_last, &h_second};
    for (int i = 0; i < 2; i++) {
        ASSERT_EQ(SDP_SUB_PT_RTX, rtx[i]->rtp.payload_type);
        ASSERT_EQ(want[i]->rtp.seq, (uint16_t)(rtx[i]->rtp.payload[0] << 8 | rtx[i]->rtp.payload[1]));
        ASSERT_EQ(want[i]->rtp.timestamp, rtx[i]->rtp.timestamp);
        ASSERT_EQ(want[i]->rtp.payload_len + 2, rtx[i]->rtp.payload_len);
        ASSERT_MEM_EQ(want[i]->rtp.payload, rtx[i]->rtp.payload + 2, want[i]->rtp.payload_len);
    }
    scene_free(&sc);
}

TEST(sim_simulcast_publisher_rtx_repairs_one_layer)
{
    struct scene sc;
    size_t k;
    ASSERT_EQ(0, drop_to_h(&sc, &k));
    /* The second packet of h's next frame is lost, then repaired on h's
     * RTX SSRC (learnt from repaired-rid). */
    struct sim_vp8_stream *h = &sc.layer[sc.send_order[1]];
    uint16_t first = h->seq, pid = h->picture_id;
    uint8_t tl0 = h->tl0_pic_idx;
    uint32_t ts = TS_BASE + FRAME_TS * sc.frame;
    const uint32_t skip[3] = {0, 1u << 1, 0};
    step_skip(&sc, skip);
    steps(&sc, 1);
    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    size_t before = seen_b.n;
    ASSERT_EQ(0, sim_peer_send_vp8_rtx(sc.pub, h, first, 1, ts, false, pid, tl0));
    sim_deliver(&sc.s);
    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    ASSERT_EQ(before + 1, seen_b.n);
    const struct peer_rtp *got = rx[seen_b.n - 1];
    ASSERT_EQ('h', seen_b.tag[seen_b.n - 1].stream);
    ASSERT_EQ((uint16_t)(first + 1), seen_b.tag[seen_b.n - 1].seq);
    /* It fills the hole it left: one after the frame's first packet. */
    for (size_t i = 0; i + 1 < seen_b.n; i++)
        if (seen_b.tag[i].stream == 'h' && seen_b.tag[i].seq == first)
            ASSERT_EQ((uint16_t)(rx[i]->rtp.seq + 1), got->rtp.seq);
    struct sfu_stats st;
    rtc_core_stats(sc.s.core, &st);
    ASSERT_EQ(0, st.drop_unknown_ssrc);
    scene_free(&sc);
}

TEST(sim_simulcast_keyframe_requests_are_per_layer_and_rate_limited)
{
    struct scene sc;
    struct sfu_stats st0, st;
    ASSERT_EQ(0, scene_start(&sc, "qhf"));
    steps(&sc, 20);
    size_t n0[3];
    for (int i = 0; i < 3; i++)
        n0[i] = sim_peer_pli_count(sc.pub, sc.layer[i].ssrc);
    rtc_core_stats(sc.s.core, &st0);
    ASSERT_EQ(0, rtc_core_producer_request_keyframe(sc.s.core, P_VIDEO, sc.s.now_us));
    sim_deliver(&sc.s);
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(n0[i] + 1, sim_peer_pli_count(sc.pub, sc.layer[i].ssrc));
    /* 100 ms later: every layer is inside its own 300 ms window. */
    sim_run_ms(&sc.s, 100);
    ASSERT_EQ(0, rtc_core_producer_request_keyframe(sc.s.core, P_VIDEO, sc.s.now_us));
    sim_deliver(&sc.s);
    rtc_core_stats(sc.s.core, &st);
    ASSERT_EQ(st0.pli_suppressed + 3, st.pli_suppressed);
    for (int i = 0; i < 3; i++)
        ASSERT_EQ(n0[i] + 1, sim_peer_pli_count(sc.pub, sc.layer[i].ssrc));
    /* A subscriber's PLI names its own layer only. */
    sim_run_ms(&sc.s, 300);
    uint8_t buf[64];
    int len = rtcp_pli_write(buf, sizeof buf, 0xBEEF, sc.sub_vssrc[0]);
    ASSERT_EQ(0, sim_peer_send_rtcp(sc.sub[0], buf, (size_t)len));
    sim_deliver(&sc.s);
    ASSERT_EQ(n0[2] + 2, sim_peer_pli_count(sc.pub, sc.layer[2].ssrc)); /* no size: f */
    ASSERT_EQ(n0[0] + 1, sim_peer_pli_count(sc.pub, sc.layer[0].ssrc));
    ASSERT_EQ(n0[1] + 1, sim_peer_pli_count(sc.pub, sc.layer[1].ssrc));
    /* One receiver report block per layer. */
    ASSERT(sc.pub->n_rr > 0);
    ASSERT_EQ(4, sc.pub->last_rr.report_count); /* three layers and the audio */
    scene_free(&sc);
}

TEST(sim_simulcast_hidden_video_is_not_sent_and_layers_unwanted_are_reported)
{
    struct scene sc;
    const char *detail = NULL;
    ASSERT_EQ(0, scene_start(&sc, "qhf"));
    ASSERT_EQ(0, rtc_core_consumer_set_preferred_size(sc.s.core, CA_VIDEO, 320, 180, sc.s.now_us));
    ASSERT_EQ(0, rtc_core_consumer_set_preferred_size(sc.s.core, CB_VIDEO, 640, 360, sc.s.now_us));
    steps(&sc, 200);                          /* 4 s: f still counts as wanted */
    ASSERT_EQ(0, sim_count_events(&sc.s, SFU_EVENT_LAYERS_CHANGED, P_VIDEO, NULL));
    steps(&sc, 60);                           /* past 5 s: nobody wants f */
    ASSERT_EQ(1, sim_count_events(&sc.s, SFU_EVENT_LAYERS_CHANGED, P_VIDEO, &detail));
    ASSERT_STR_EQ("q,h", detail);
    ASSERT_EQ(3, sc.s.events[sc.s.n_events - 1].value);
    /* B enlarges its view: f is wanted again at once. */
    ASSERT_EQ(0, rtc_core_consumer_set_preferred_size(sc.s.core, CB_VIDEO, 1280, 720, sc.s.now_us));
    steps(&sc, 6);
    ASSERT_EQ(2, sim_count_events(&sc.s, SFU_EVENT_LAYERS_CHANGED, P_VIDEO, &detail));
    ASSERT_STR_EQ("q,h,f", detail);
    ASSERT_EQ(7, sc.s.events[sc.s.n_events - 1].value);

    /* Both hide the video: nothing is sent, and it is counted. */
    ASSERT_EQ(0, read_video(&sc, 0, &seen_a));
    size_t a_before = seen_a.n;
    ASSERT_EQ(0, rtc_core_consumer_set_preferred_size(sc.s.core, CA_VIDEO, 0, 0, sc.s.now_us));
    ASSERT_EQ(0, rtc_core_consumer_set_preferred_size(sc.s.core, CB_VIDEO, 0, 0, sc.s.now_us));
    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    size_t b_before = seen_b.n;
    uint64_t hidden0 = rtc_core_counters(sc.s.core)->drop_hidden;
    steps(&sc, 270);
    /* One q packet a frame for each of the two: what the cheapest copy
     * would have been. */
    ASSERT_EQ(hidden0 + 2 * 270, rtc_core_counters(sc.s.core)->drop_hidden);
    ASSERT_EQ(0, read_video(&sc, 0, &seen_a));
    ASSERT_EQ(a_before, seen_a.n);
    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    ASSERT_EQ(b_before, seen_b.n);
    ASSERT(sim_count_events(&sc.s, SFU_EVENT_LAYERS_CHANGED, P_VIDEO, &detail) >= 3);
    size_t last = sc.s.n_events - 1;   /* audio level events come in between */
    while (sc.s.events[last].type != SFU_EVENT_LAYERS_CHANGED)
        last--;
    ASSERT_EQ(0, sc.s.events[last].value);
    ASSERT_STR_EQ("", detail);

    /* Shown again: from q's next keyframe, seq and PictureID running on. */
    ASSERT_EQ(0, rtc_core_consumer_set_preferred_size(sc.s.core, CA_VIDEO, 320, 180, sc.s.now_us));
    steps(&sc, 10);
    ASSERT_EQ(0, read_video(&sc, 0, &seen_a));
    ASSERT(seen_a.n >= a_before + 8);
    ASSERT(seen_a.d[a_before].is_keyframe);
    ASSERT(seqs_continuous(seen_a.n));
    ASSERT_EQ((seen_a.d[a_before - 1].picture_id + 1) & 0x7fff, seen_a.d[a_before].picture_id);
    /* The timestamp jumps by the time it was hidden (5.6 s and a bit). */
    uint32_t gap = rx[a_before]->rtp.timestamp - rx[a_before - 1]->rtp.timestamp;
    ASSERT(gap >= 90000u * 5 && gap <= 90000u * 6);
    ASSERT_EQ(seen_a.tag[a_before].ts - seen_a.tag[a_before - 1].ts, gap);
    sim_count_events(&sc.s, SFU_EVENT_LAYERS_CHANGED, P_VIDEO, &detail);
    ASSERT_STR_EQ("q", detail);
    ASSERT_EQ(1, sc.s.events[sc.s.n_events - 1].value);
    scene_free(&sc);
}

/* A sender report for layer i: its RTP time of the next frame at NTP `ntp`. */
static void layer_sr(struct scene *sc, size_t i, uint64_t ntp)
{
    uint8_t buf[128];
    struct rtcp_sender_report sr = {.ssrc = sc->layer[i].ssrc, .ntp_time = ntp,
                                    .rtp_time = sc->ts_base[i] + FRAME_TS * sc->frame};
    int len = rtcp_sender_report_write(buf, sizeof buf, &sr);
    sim_peer_send_rtcp(sc->pub, buf, (size_t)len);
}

/* Firefox-like: every layer its own RTP time base. Without sender reports
 * the switch cannot map the clocks and continues by the wall clock; with
 * reports of both layers it is exact in media time. The h keyframe arrives
 * 27 ms after the last f packet for a frame 20 ms later, so the two differ. */
TEST(sim_simulcast_layers_with_their_own_time_base_map_through_sender_reports)
{
    for (int with_sr = 0; with_sr < 2; with_sr++) {
        struct scene sc;
        ASSERT_EQ(0, scene_start(&sc, "qhf"));
        sc.ts_base[1] = TS_BASE + 0x40000000u;
        sc.ts_base[2] = TS_BASE - 0x0badf00du;
        ASSERT_EQ(0, rtc_core_consumer_set_preferred_size(sc.s.core, CB_VIDEO, 1280, 720,
                                                          sc.s.now_us));
        steps(&sc, 40);
        if (with_sr) {
            uint64_t ntp = 0xE0000000ull << 32;
            layer_sr(&sc, 2, ntp);
            steps(&sc, 5);
            layer_sr(&sc, 1, ntp + (100ull << 32) / 1000); /* 100 ms later */
        }
        steps(&sc, 5);
        ASSERT_EQ(0, rtc_core_transport_set_estimate_bps(sc.s.core, T_SUBB, 1000000, sc.s.now_us));
        for (int i = 0; i < 3; i++) {
            sim_run_ms(&sc.s, 7);
            steps(&sc, 1);
        }
        steps(&sc, 5);
        ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
        size_t k = first_of(&seen_b, 0, 'h');
        ASSERT(k > 0 && k < seen_b.n);
        ASSERT_EQ(k, count_of(&seen_b, 0, 'f'));
        ASSERT(seqs_continuous(seen_b.n));
        uint32_t d = rx[k]->rtp.timestamp - rx[k - 1]->rtp.timestamp;
        ASSERT_EQ(with_sr ? FRAME_TS : 27u * 90u, d);
        /* Later h frames keep h's own spacing. */
        for (size_t i = k + 1; i < seen_b.n; i++)
            ASSERT_EQ(seen_b.tag[i].ts - seen_b.tag[k].ts, rx[i]->rtp.timestamp - rx[k]->rtp.timestamp);
        scene_free(&sc);
    }
}

/* B on h, its bandwidth up: steps until the publisher is asked for an f
 * keyframe (after the hysteresis), so the next f frame must be one. */
static int up_until_f_is_asked(struct scene *sc, size_t *k)
{
    if (drop_to_h(sc, k) < 0 ||
        rtc_core_transport_set_estimate_bps(sc->s.core, T_SUBB, 5000000, sc->s.now_us) < 0)
        return -1;
    size_t fi = sc->send_order[2];
    for (int i = 0; i < 200; i++) {
        if (sim_peer_pli_count(sc->pub, sc->layer[fi].ssrc) > sc->pli_seen[fi])
            return 0;
        steps(sc, 1);
    }
    return -1;
}

/* One frame sent as a pacer interleaves layers: q, h's first packet, f's
 * first two (its keyframe begins while h's frame is half sent), then h's
 * second packet (unless it is lost on the way), then the rest of f. */
static void interleaved_step(struct scene *sc, bool lose_h_end)
{
    struct sim_vp8_stream *q = &sc->layer[sc->send_order[0]];
    struct sim_vp8_stream *h = &sc->layer[sc->send_order[1]];
    struct sim_vp8_stream *f = &sc->layer[sc->send_order[2]];
    size_t fi = sc->send_order[2];
    uint32_t ts = TS_BASE + FRAME_TS * sc->frame;
    sc->pli_seen[fi] = sim_peer_pli_count(sc->pub, f->ssrc);
    sim_peer_send_vp8_frame(sc->pub, q, ts, false, 0);
    sim_peer_send_vp8_part(sc->pub, h, ts, false, 0, 1);
    sim_peer_send_vp8_part(sc->pub, f, ts, true, 0, 2);
    if (lose_h_end) {
        h->seq++;
        h->picture_id = (uint16_t)((h->picture_id + 1) & 0x7fff);
        h->tl0_pic_idx++;
    } else {
        sim_peer_send_vp8_part(sc->pub, h, ts, false, 1, 1);
    }
    sim_peer_send_vp8_part(sc->pub, f, ts, true, 2, 2);
    send_audio(sc);
    sc->frame++;
    sim_run_ms(&sc->s, 20);
}

TEST(sim_simulcast_switch_waits_for_the_half_sent_frame_and_replays_the_keyframe)
{
    struct scene sc;
    size_t k;
    ASSERT_EQ(0, up_until_f_is_asked(&sc, &k));
    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    size_t before = seen_b.n;
    uint16_t f_first = sc.layer[sc.send_order[2]].seq;
    interleaved_step(&sc, false);
    steps(&sc, 3);
    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    size_t u = first_of(&seen_b, before, 'f');
    ASSERT(u < seen_b.n);
    /* h's frame went out whole, then f's keyframe from its first packet. */
    ASSERT_EQ('h', seen_b.tag[u - 1].stream);
    ASSERT(rx[u - 1]->rtp.marker);
    ASSERT_EQ('h', seen_b.tag[u - 2].stream);
    ASSERT_EQ(seen_b.tag[u - 2].seq + 1, seen_b.tag[u - 1].seq);
    for (size_t i = 0; i < 4; i++) {
        ASSERT_EQ('f', seen_b.tag[u + i].stream);
        ASSERT_EQ((uint16_t)(f_first + i), seen_b.tag[u + i].seq);
    }
    ASSERT(seen_b.d[u].is_keyframe);
    ASSERT_EQ(1280, seen_b.d[u].width);
    ASSERT(rx[u + 3]->rtp.marker);
    ASSERT_EQ(seen_b.n - u, count_of(&seen_b, u, 'f'));
    ASSERT_EQ(4 * 4, seen_b.n - u);
    ASSERT(seqs_continuous(seen_b.n));
    ASSERT_EQ(rx[u - 1]->rtp.timestamp + 1, rx[u]->rtp.timestamp);
    ASSERT_EQ((seen_b.d[u - 1].picture_id + 1) & 0x7fff, seen_b.d[u].picture_id);
    scene_free(&sc);
}

TEST(sim_simulcast_switch_after_a_half_frame_whose_end_is_lost)
{
    struct scene sc;
    size_t k;
    ASSERT_EQ(0, up_until_f_is_asked(&sc, &k));
    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    size_t before = seen_b.n;
    uint16_t f_first = sc.layer[sc.send_order[2]].seq;
    interleaved_step(&sc, true);
    /* Nothing of f yet: h's frame may still end. */
    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    ASSERT_EQ(seen_b.n, first_of(&seen_b, before, 'f'));
    ASSERT_EQ(before + 1, seen_b.n);
    /* h's next frame shows the end is lost: f's keyframe is replayed whole
     * (before h's new frame, which is not sent). */
    steps(&sc, 1);
    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    size_t u = first_of(&seen_b, before, 'f');
    ASSERT_EQ(before + 1, u);
    ASSERT(seen_b.d[u].is_keyframe);
    for (size_t i = 0; i < 8; i++) {
        ASSERT_EQ('f', seen_b.tag[u + i].stream);
        ASSERT_EQ((uint16_t)(f_first + i), seen_b.tag[u + i].seq);
    }
    ASSERT_EQ(u + 8, seen_b.n);
    ASSERT(seqs_continuous(seen_b.n));
    scene_free(&sc);
}

static void remb(struct scene *sc, int sub, uint64_t bps)
{
    uint8_t buf[64];
    struct rtcp_remb r = {.sender_ssrc = 0xBEEF, .bitrate_bps = bps, .n_ssrcs = 1,
                          .ssrcs = {sc->sub_vssrc[sub]}};
    int len = rtcp_remb_write(buf, sizeof buf, &r);
    sim_peer_send_rtcp(sc->sub[sub], buf, (size_t)len);
    sim_deliver(&sc->s);
}

/* Both watch big; what each subscriber's REMB says decides its layer (no
 * estimate set from outside), and the estimator hears what they would
 * like so it can probe toward it. */
TEST(sim_simulcast_layers_follow_the_subscribers_remb)
{
    struct scene sc;
    ASSERT_EQ(0, scene_start(&sc, "qhf"));
    ASSERT_EQ(0, rtc_core_consumer_set_preferred_size(sc.s.core, CA_VIDEO, 1280, 720, sc.s.now_us));
    ASSERT_EQ(0, rtc_core_consumer_set_preferred_size(sc.s.core, CB_VIDEO, 1280, 720, sc.s.now_us));
    steps(&sc, 50);
    struct bwe *ba = rtc_core_transport_bwe(sc.s.core, T_SUBA);
    struct bwe *bb = rtc_core_transport_bwe(sc.s.core, T_SUBB);
    ASSERT(ba && bb);
    /* No word from the subscribers yet: no limit, f for both, no probing. */
    ASSERT(!bwe_has_estimate(ba));
    ASSERT_EQ(0, ba->wanted_bps);
    ASSERT_EQ(0, read_video(&sc, 0, &seen_a));
    size_t before_a = seen_a.n;
    ASSERT_EQ(before_a, count_of(&seen_a, 0, 'f'));

    size_t plis_q = sim_peer_pli_count(sc.pub, sc.layer[0].ssrc);
    remb(&sc, 0, 300000);
    remb(&sc, 1, 5000000);
    ASSERT(bwe_has_estimate(ba));
    ASSERT_EQ(300000, bwe_estimate_bps(ba));
    /* The choice ran on the REMB itself, not at the next layer tick. */
    ASSERT_EQ(plis_q + 1, sim_peer_pli_count(sc.pub, sc.layer[0].ssrc));
    steps(&sc, 50);

    ASSERT_EQ(0, read_video(&sc, 0, &seen_a));
    size_t k = first_of(&seen_a, before_a, 'q');
    ASSERT(k < seen_a.n);
    ASSERT(seen_a.d[k].is_keyframe);
    ASSERT_EQ(320, seen_a.d[k].width);
    ASSERT_EQ(seen_a.n - k, count_of(&seen_a, k, 'q'));
    ASSERT(seen_a.n - k >= 40);
    ASSERT(seqs_continuous(seen_a.n));
    ASSERT_EQ(0, read_video(&sc, 1, &seen_b));
    ASSERT_EQ(seen_b.n, count_of(&seen_b, 0, 'f'));
    ASSERT(seen_b.n >= 4 * 95);
    /* Each would like f (~1.8 Mbit/s) and its audio: A's estimator probes. */
    ASSERT(ba->wanted_bps > 1500000 && ba->wanted_bps < 2500000);
    ASSERT_EQ(ba->wanted_bps, bb->wanted_bps);
    ASSERT(bwe_estimate_bps(ba) < ba->wanted_bps);
    scene_free(&sc);
}
