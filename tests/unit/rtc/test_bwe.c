/* Bandwidth estimation against a simulated bottleneck on a virtual clock.
 * The link is a FIFO with a rate, a byte limit (tail drop), a propagation
 * delay and optional random loss. The sender is an encoder-like source that
 * sends a frame every 33 ms at the video budget (estimate minus audio), plus
 * audio every 20 ms, plus the probes the estimator asks for. The receiver is
 * Sabaq's own twcc_recorder; its feedback goes through rtcp_twcc_write and
 * rtcp_twcc_parse, 100 ms apart, back over the (uncongested) return path. */
#include "test.h"

#include <stdlib.h>

#include "sabaq/rtcp.h"
#include "rtc/bwe.h"
#include "rtc/probe.h"
#include "rtc/rtc_core.h"
#include "rtc/twcc_recorder.h"
#include "sim/sim.h"

#define MS 1000ull
#define S 1000000ull
#define STEP_US 200
#define FRAME_US 33333
#define MTU 1200
#define PAD_BYTES 250
#define FB_INTERVAL_US (100 * MS)
#define RX_CLOCK_OFFSET_US 123456789ll /* the receiver's clock has its own origin */
#define MAX_INFLIGHT 8192
#define MAX_FB 64
#define MAX_SAMPLES 1024         /* one per 100 ms */

struct inflight {
    uint16_t seq;
    bool is_audio;
    uint64_t arrival_us;
};

struct fb_msg {
    uint64_t at_us;
    size_t len;
    uint8_t data[1400];
};

struct link {
    uint64_t rate_bps, delay_us, busy_until_us;
    size_t limit_bytes;
    uint32_t loss_pct;
    uint64_t rng;
};

struct link_sim {
    uint64_t now_us;
    struct bwe *bwe;
    struct link link;
    struct twcc_recorder *rx;
    struct rtcp_twcc *scratch;
    struct inflight *fly;        /* FIFO: arrival order is send order */
    size_t fly_head, fly_n;
    struct fb_msg *fbs;
    size_t fb_head, fb_n;
    uint64_t want_bps, audio_bps;
    uint64_t next_frame_us, next_audio_us, next_fb_us;
    uint32_t pad_left;
    uint64_t pad_interval_us, next_pad_us;
    /* Measurements. */
    uint64_t est[MAX_SAMPLES];
    size_t n_est;
    uint64_t audio_sent, audio_lost, queue_us_sum, queue_n;
    uint64_t queue_from_us;      /* queueing delay counted from here on */
};

static uint32_t rnd(struct link *l)
{
    l->rng ^= l->rng << 13;
    l->rng ^= l->rng >> 7;
    l->rng ^= l->rng << 17;
    return (uint32_t)(l->rng >> 11);
}

static void ls_init(struct link_sim *m, uint64_t rate_bps)
{
    memset(m, 0, sizeof(*m));
    m->now_us = 10 * S;
    m->bwe = bwe_new(m->now_us);
    m->rx = twcc_recorder_new();
    m->scratch = malloc(sizeof(*m->scratch));
    m->fly = calloc(MAX_INFLIGHT, sizeof(*m->fly));
    m->fbs = calloc(MAX_FB, sizeof(*m->fbs));
    m->link.rate_bps = rate_bps;
    m->link.delay_us = 20 * MS;
    m->link.limit_bytes = 40000;
    m->link.rng = 0x9E3779B97F4A7C15ull;
    m->want_bps = 2500000;
    m->next_frame_us = m->next_audio_us = m->next_fb_us = m->now_us;
    bwe_set_wanted_bps(m->bwe, m->want_bps);
}

static void ls_free(struct link_sim *m)
{
    bwe_free(m->bwe);
    twcc_recorder_free(m->rx);
    free(m->scratch);
    free(m->fly);
    free(m->fbs);
}

/* Through the bottleneck: returns false when the packet is lost. */
static bool link_send(struct link_sim *m, size_t size, uint64_t *arrival)
{
    struct link *l = &m->link;
    uint64_t start = l->busy_until_us > m->now_us ? l->busy_until_us : m->now_us;
    uint64_t backlog = (start - m->now_us) * l->rate_bps / 8000000u;
    if (l->loss_pct && rnd(l) % 100 < l->loss_pct)
        return false;
    if (backlog + size > l->limit_bytes)
        return false;
    if (m->now_us >= m->queue_from_us) {
        m->queue_us_sum += start - m->now_us;
        m->queue_n++;
    }
    l->busy_until_us = start + size * 8000000u / l->rate_bps;
    *arrival = l->busy_until_us + l->delay_us;
    return true;
}

static void send_packet(struct link_sim *m, size_t size, bool is_audio)
{
    uint16_t seq = bwe_next_seq(m->bwe);
    uint64_t arrival;
    bwe_on_sent(m->bwe, m->now_us, size);
    if (is_audio)
        m->audio_sent++;
    if (!link_send(m, size, &arrival)) {
        m->audio_lost += is_audio;
        return;
    }
    if (m->fly_n == MAX_INFLIGHT)
        return;
    struct inflight *f = &m->fly[(m->fly_head + m->fly_n++) % MAX_INFLIGHT];
    f->seq = seq;
    f->is_audio = is_audio;
    f->arrival_us = arrival;
}

static void send_media(struct link_sim *m)
{
    if (m->audio_bps && m->now_us >= m->next_audio_us) {
        /* Three speakers, one Opus packet each per 20 ms. */
        for (int i = 0; i < 3; i++)
            send_packet(m, m->audio_bps / 3 * 20 / 8000, true);
        m->next_audio_us += 20 * MS;
    }
    if (m->now_us >= m->next_frame_us) {
        uint64_t rate = bwe_video_budget_bps(m->bwe, m->audio_bps);
        if (rate > m->want_bps)
            rate = m->want_bps;
        uint64_t bytes = rate * FRAME_US / 8000000u;
        for (; bytes >= 100; bytes -= bytes > MTU ? MTU : bytes)
            send_packet(m, bytes > MTU ? MTU : bytes, false);
        m->next_frame_us += FRAME_US;
    }
    struct bwe_probe p;
    if (!m->pad_left && bwe_probe_plan(m->bwe, m->now_us, &p) == 1) {
        m->pad_left = p.bytes;
        m->pad_interval_us = PAD_BYTES * 8000000ull / p.bps;
        m->next_pad_us = m->now_us;
    }
    while (m->pad_left && m->now_us >= m->next_pad_us) {
        send_packet(m, PAD_BYTES, false);
        m->pad_left = m->pad_left > PAD_BYTES ? m->pad_left - PAD_BYTES : 0;
        m->next_pad_us += m->pad_interval_us;
    }
}

static void receive(struct link_sim *m)
{
    while (m->fly_n && m->fly[m->fly_head].arrival_us <= m->now_us) {
        struct inflight *f = &m->fly[m->fly_head];
        twcc_recorder_record(m->rx, f->seq, (uint64_t)((int64_t)f->arrival_us + RX_CLOCK_OFFSET_US));
        m->fly_head = (m->fly_head + 1) % MAX_INFLIGHT;
        m->fly_n--;
    }
    if (m->now_us < m->next_fb_us)
        return;
    m->next_fb_us += FB_INTERVAL_US;
    while (twcc_recorder_take(m->rx, m->scratch, 200) > 0 && m->fb_n < MAX_FB) {
        struct fb_msg *f = &m->fbs[(m->fb_head + m->fb_n) % MAX_FB];
        int n = rtcp_twcc_write(f->data, sizeof(f->data), m->scratch);
        if (n <= 0)
            continue;
        f->len = (size_t)n;
        f->at_us = m->now_us + m->link.delay_us;
        m->fb_n++;
    }
}

static void deliver_feedback(struct link_sim *m)
{
    while (m->fb_n && m->fbs[m->fb_head].at_us <= m->now_us) {
        struct fb_msg *f = &m->fbs[m->fb_head];
        struct rtcp_iter it;
        struct rtcp_packet pkt;
        rtcp_iter_init(&it, f->data, f->len);
        if (rtcp_iter_next(&it, &pkt) == 1 && rtcp_twcc_parse(&pkt, m->scratch) == 0)
            bwe_on_feedback(m->bwe, m->scratch, m->now_us);
        m->fb_head = (m->fb_head + 1) % MAX_FB;
        m->fb_n--;
    }
}

static void ls_run(struct link_sim *m, uint64_t us)
{
    for (uint64_t end = m->now_us + us; m->now_us < end; m->now_us += STEP_US) {
        send_media(m);
        receive(m);
        deliver_feedback(m);
        if (m->now_us % (100 * MS) == 0 && m->n_est < MAX_SAMPLES) {
            m->est[m->n_est++] = bwe_estimate_bps(m->bwe);
#ifdef BWE_TRACE
            fprintf(stderr, "t=%5.1f est=%7llu delay=%7llu loss=%8llu acked=%7llu thr=%5.1f trend=%7.4f q=%llu\n",
                    (double)(m->n_est - 1) / 10, (unsigned long long)m->bwe->estimate_bps,
                    (unsigned long long)m->bwe->delay_bps, (unsigned long long)m->bwe->loss_bps,
                    (unsigned long long)m->bwe->acked_bps, m->bwe->threshold_ms, m->bwe->trend,
                    (unsigned long long)(m->link.busy_until_us > m->now_us ? m->link.busy_until_us - m->now_us : 0));
#endif
        }
    }
}

/* Estimates sampled in [from_s, to_s) of the run (10 samples a second). */
static uint64_t est_at(const struct link_sim *m, double s) { return m->est[(size_t)(s * 10)]; }

static uint64_t est_max(const struct link_sim *m, double from_s, double to_s)
{
    uint64_t v = 0;
    for (size_t i = (size_t)(from_s * 10); i < (size_t)(to_s * 10) && i < m->n_est; i++)
        v = m->est[i] > v ? m->est[i] : v;
    return v;
}

static uint64_t est_mean(const struct link_sim *m, double from_s, double to_s)
{
    uint64_t sum = 0, n = 0;
    for (size_t i = (size_t)(from_s * 10); i < (size_t)(to_s * 10) && i < m->n_est; i++, n++)
        sum += m->est[i];
    return n ? sum / n : 0;
}

TEST(bwe_follows_capacity_drop_and_recovery) {
    struct link_sim m;
    ls_init(&m, 2000000);
    ASSERT_EQ(BWE_START_BPS, bwe_estimate_bps(m.bwe));
    ls_run(&m, 15 * S);
    /* Probing finds the 2 Mbit/s within seconds, not the ~9 s of +8 %/s. */
    ASSERT(est_at(&m, 3) >= 1500000);
    ASSERT(est_mean(&m, 5, 15) >= 1500000 && est_mean(&m, 5, 15) <= 2100000);
    uint64_t overuses = m.bwe->counters.overuses;

    m.link.rate_bps = 500000;
    m.queue_from_us = m.now_us + 3 * S;
    ls_run(&m, 20 * S);
    ASSERT(m.bwe->counters.overuses > overuses);
    /* Under the new capacity within 3 s, and it stays there. */
    ASSERT(est_at(&m, 18) <= 500000);
    ASSERT(est_max(&m, 18, 35) <= 560000);
    ASSERT(est_mean(&m, 18, 35) <= 500000 && est_mean(&m, 18, 35) >= 350000);
    /* So the bottleneck queue stays short. */
    ASSERT(m.queue_us_sum / m.queue_n < 100 * MS);

    m.link.rate_bps = 2000000;
    ls_run(&m, 20 * S);
    ASSERT(est_at(&m, 40) >= 1400000);
    ASSERT(est_mean(&m, 40, 55) >= 1500000 && est_max(&m, 40, 55) <= 2300000);
    ls_free(&m);
}

TEST(bwe_random_loss_of_5_percent_does_not_collapse_it) {
    struct link_sim m;
    ls_init(&m, 2000000);
    m.link.loss_pct = 5;
    ls_run(&m, 30 * S);
    ASSERT_EQ(0, m.bwe->counters.loss_decreases);
    ASSERT(est_mean(&m, 10, 30) >= 1500000);
    ls_free(&m);
}

TEST(bwe_heavy_loss_brings_it_down) {
    struct link_sim m;
    ls_init(&m, 5000000);
    m.link.loss_pct = 20;
    ls_run(&m, 15 * S);
    ASSERT(m.bwe->counters.loss_decreases > 0);
    /* 20 % loss: x 0.9 each second, from wherever probing got it. */
    ASSERT(est_at(&m, 14) < 1000000 && est_at(&m, 14) < est_at(&m, 2) / 2);
    ls_free(&m);
}

/* A phone on weak mobile data: 250 kbit/s, three speakers' audio (120
 * kbit/s) and video at whatever is left. Audio goes first and gets through. */
TEST(bwe_leaves_audio_its_share_on_a_weak_link) {
    struct link_sim m;
    ls_init(&m, 250000);
    m.audio_bps = 120000;
    ls_run(&m, 10 * S);
    uint64_t sent = m.audio_sent, lost = m.audio_lost;
    ls_run(&m, 20 * S);
    uint64_t budget = bwe_video_budget_bps(m.bwe, m.audio_bps);
    ASSERT(est_mean(&m, 10, 30) <= 250000 && est_mean(&m, 10, 30) >= 170000);
    ASSERT(budget <= 130000);
    /* Under 1 % of the audio lost once settled. */
    ASSERT((m.audio_lost - lost) * 100 < (m.audio_sent - sent));
    ASSERT_EQ(0, bwe_video_budget_bps(m.bwe, 20000000));
    ls_free(&m);
}

TEST(bwe_probe_plan_asks_for_2x_for_20ms_only_when_wanted) {
    struct bwe *b = bwe_new(0);
    struct bwe_probe p;
    ASSERT(b);
    ASSERT_EQ(0, bwe_probe_plan(b, 0, &p));        /* nothing wanted */
    bwe_set_wanted_bps(b, 800000);
    ASSERT_EQ(0, bwe_probe_plan(b, 0, &p));        /* already above it */
    bwe_set_wanted_bps(b, 5000000);
    ASSERT_EQ(1, bwe_probe_plan(b, 0, &p));
    ASSERT_EQ(2 * BWE_START_BPS, p.bps);
    ASSERT_EQ(BWE_PROBE_DURATION_US, p.duration_us);
    ASSERT_EQ(5000, p.bytes);
    ASSERT(p.cluster != 0);
    ASSERT_EQ(0, bwe_probe_plan(b, 1000, &p));     /* one in flight */
    /* Never answered: given up, then backed off. */
    ASSERT_EQ(0, bwe_probe_plan(b, 2 * S, &p));
    ASSERT_EQ(0, bwe_probe_plan(b, 3 * S, &p));
    ASSERT_EQ(1, bwe_probe_plan(b, 8 * S, &p));
    bwe_free(b);
}

TEST(bwe_ignores_feedback_it_cannot_place) {
    struct bwe *b = bwe_new(0);
    struct rtcp_twcc *fb = calloc(1, sizeof(*fb));
    ASSERT(b && fb);
    /* Feedback before anything was sent, and for numbers never sent. */
    fb->base_seq = 100;
    fb->count = 50;
    for (int i = 0; i < 50; i++)
        fb->arrival_us[i] = i * 1000;
    bwe_on_feedback(b, fb, 3 * S);
    for (uint64_t t = 0; t < 3000; t++)
        bwe_on_sent(b, t * 1000, 1200);   /* wraps the history ring */
    fb->base_seq = 0;                      /* long gone from the ring */
    bwe_on_feedback(b, fb, 3 * S);
    fb->base_seq = 5000;                   /* not sent yet */
    bwe_on_feedback(b, fb, 3 * S);
    ASSERT_EQ(BWE_START_BPS, bwe_estimate_bps(b));
    /* All lost, then reported again as received: counted once. */
    fb->base_seq = (uint16_t)(3000 - 50);
    for (int i = 0; i < 50; i++)
        fb->arrival_us[i] = -1;
    bwe_on_feedback(b, fb, 3 * S);
    ASSERT_EQ(50, b->lost);
    for (int i = 0; i < 50; i++)
        fb->arrival_us[i] = -64000 + i * 250; /* negative times are legal */
    bwe_on_feedback(b, fb, 3 * S);
    ASSERT_EQ(0, b->lost);
    ASSERT_EQ(50, b->received);
    bwe_on_feedback(b, fb, 3 * S);
    ASSERT_EQ(50, b->received);
    free(fb);
    bwe_free(b);
}

TEST(bwe_remb_only_until_transport_cc_arrives) {
    struct bwe *b = bwe_new(0);
    struct rtcp_twcc *fb = calloc(1, sizeof(*fb));
    ASSERT(b && fb);
    bwe_on_remb(b, 300000);
    ASSERT_EQ(300000, bwe_estimate_bps(b));
    bwe_on_remb(b, 1);
    ASSERT_EQ(BWE_MIN_BPS, bwe_estimate_bps(b));
    bwe_on_sent(b, 0, 100);
    fb->count = 1;
    bwe_on_feedback(b, fb, 1000);
    bwe_on_remb(b, 5000000);
    ASSERT_EQ(BWE_MIN_BPS, bwe_estimate_bps(b));
    ASSERT_EQ(BWE_START_BPS, bwe_estimate_bps(NULL));
    free(fb);
    bwe_free(b);
}

/* ---- wired into the media core (simulated peers, real ICE/DTLS/SRTP) ---- */


enum { E_PUB = 1, E_SUB = 2, E_VIDEO = 10, E_AUDIO = 11, E_CV = 20, E_CA = 21 };
#define E_VSSRC 0x11223344u
#define E_ASSRC 0x000A0D10u
#define E_SUB_V 1111u
#define E_SUB_RTX 1112u
#define E_SUB_A 1113u
#define E_EXT_MID 4

struct e2e {
    struct sim s;
    struct sim_peer *pub, *sub;
    uint16_t vseq, aseq;
};

static int e2e_connect(struct e2e *e)
{
    static const char *uf[2] = {"pubU", "subA"};
    static const char *pw[2] = {"pub-password-0123456789ab", "subA-password-0123456789a"};
    struct sim_peer *peers[2];
    memset(e, 0, sizeof(*e));
    if (sim_init(&e->s, 30000) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        struct sockaddr_storage a;
        char ip[32];
        snprintf(ip, sizeof ip, "198.18.0.%d", i + 1);
        socklen_t al = sim_addr_v4(&a, ip, (uint16_t)(40001 + i));
        peers[i] = sim_peer_new(uf[i], &a, al, uf[i], pw[i], dtls_cert_fingerprint(e->s.cert));
        if (!peers[i] || rtc_core_transport_create(e->s.core, (uint32_t)(E_PUB + i), uf[i], pw[i],
                                                   "sha-256", sim_peer_fingerprint(peers[i]),
                                                   e->s.now_us) < 0)
            return -1;
        sim_add_peer(&e->s, peers[i]);
        sim_peer_start(peers[i], e->s.now_us);
    }
    e->pub = peers[0];
    e->sub = peers[1];
    sim_run_ms(&e->s, 300);
    if (!e->pub->is_connected || !e->sub->is_connected)
        return -1;
    struct sdp_track v = {0}, a = {0};
    strcpy(v.mid, "0");
    v.kind = SDP_KIND_VIDEO;
    v.payload_type = 100;
    v.clock_rate = 90000;
    v.ssrc = E_VSSRC;
    v.ext.mid = E_EXT_MID;
    strcpy(a.mid, "1");
    a.kind = SDP_KIND_AUDIO;
    a.payload_type = 109;
    a.clock_rate = 48000;
    a.ssrc = E_ASSRC;
    a.ext.mid = E_EXT_MID;
    struct sdp_outgoing ov = {.kind = SDP_KIND_VIDEO, .active = true, .ssrc = E_SUB_V,
                              .rtx_ssrc = E_SUB_RTX};
    struct sdp_outgoing oa = {.kind = SDP_KIND_AUDIO, .active = true, .ssrc = E_SUB_A};
    strcpy(ov.mid, "v0");
    strcpy(oa.mid, "a0");
    uint64_t now = e->s.now_us;
    struct rtc_core *core = e->s.core;
    if (rtc_core_producer_create(core, E_VIDEO, E_PUB, &v, now) < 0 ||
        rtc_core_producer_create(core, E_AUDIO, E_PUB, &a, now) < 0 ||
        rtc_core_consumer_create(core, E_CV, E_SUB, E_VIDEO, &ov, now) < 0 ||
        rtc_core_consumer_create(core, E_CA, E_SUB, E_AUDIO, &oa, now) < 0)
        return -1;
    return 0;
}

static void e2e_free(struct e2e *e)
{
    sim_destroy(&e->s);
    sim_peer_free(e->pub);
    sim_peer_free(e->sub);
}

/* 20 ms: a one-packet VP8 frame (a keyframe first) and an Opus packet. */
static void e2e_step(struct e2e *e, bool key)
{
    static const uint8_t keyhdr[10] = {0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
    uint8_t payload[200];
    memset(payload, 0x5A, sizeof payload);
    payload[0] = 0x10;
    memcpy(payload + 1, keyhdr, sizeof keyhdr);
    if (!key)
        payload[1] |= 0x01;
    struct rtp_ext_element vext = {E_EXT_MID, 1, (const uint8_t *)"0"};
    struct rtp_header vh = {.marker = true, .payload_type = 100, .seq = e->vseq,
                            .timestamp = 3000u * e->vseq, .ssrc = E_VSSRC};
    sim_peer_send_rtp(e->pub, &vh, &vext, 1, payload, sizeof payload);
    struct rtp_ext_element aext = {E_EXT_MID, 1, (const uint8_t *)"1"};
    struct rtp_header ah = {.payload_type = 109, .seq = e->aseq, .timestamp = 960u * e->aseq,
                            .ssrc = E_ASSRC};
    sim_peer_send_rtp(e->pub, &ah, &aext, 1, payload, 60);
    e->vseq++;
    e->aseq++;
    sim_run_ms(&e->s, 20);
}

static int tcc_seq(const struct peer_rtp *r)
{
    const uint8_t *v;
    size_t n;
    if (rtp_packet_find_ext(&r->rtp, SDP_SUB_EXT_TRANSPORT_CC, &v, &n) != 1 || n != 2)
        return -1;
    return v[0] << 8 | v[1];
}

TEST(bwe_subscriber_packets_carry_transport_wide_seqs_and_feedback_reaches_it) {
    struct e2e e;
    ASSERT_EQ(0, e2e_connect(&e));
    struct bwe *b = rtc_core_transport_bwe(e.s.core, E_SUB);
    ASSERT(b);
    ASSERT(!rtc_core_transport_bwe(e.s.core, E_PUB));
    for (int i = 0; i < 25; i++)
        e2e_step(&e, i == 0);
    /* Video and audio share one sequence, with no gap and no repeat. */
    ASSERT(e.sub->n_rx >= 45);
    int first = tcc_seq(&e.sub->rx[0]);
    ASSERT(first >= 0);
    for (size_t i = 1; i < e.sub->n_rx; i++)
        ASSERT_EQ((first + (int)i) & 0xFFFF, tcc_seq(&e.sub->rx[i]));

    /* The subscriber's feedback: everything arrived, 2 ms apart. */
    struct rtcp_twcc *fb = calloc(1, sizeof(*fb));
    uint8_t buf[1200];
    ASSERT(fb);
    fb->sender_ssrc = 42;
    fb->base_seq = (uint16_t)first;
    fb->count = (uint16_t)e.sub->n_rx;
    for (size_t i = 0; i < e.sub->n_rx; i++)
        fb->arrival_us[i] = 5000000 + (int64_t)i * 2000;
    int n = rtcp_twcc_write(buf, sizeof buf, fb);
    ASSERT(n > 0);
    ASSERT_EQ(0, sim_peer_send_rtcp(e.sub, buf, (size_t)n));
    sim_deliver(&e.s);
    ASSERT_EQ(1, b->counters.feedbacks);
    ASSERT_EQ(e.sub->n_rx, b->received);
    free(fb);
    e2e_free(&e);
}

TEST(bwe_probe_sends_padding_on_the_rtx_ssrc) {
    struct e2e e;
    const struct peer_rtp *got[256];
    ASSERT_EQ(0, e2e_connect(&e));
    struct bwe *b = rtc_core_transport_bwe(e.s.core, E_SUB);
    ASSERT(b);
    for (int i = 0; i < 5; i++)
        e2e_step(&e, i == 0);
    ASSERT_EQ(0, sim_peer_rtp_with_ssrc(e.sub, E_SUB_RTX, got, 256)); /* not wanted yet */
    bwe_set_wanted_bps(b, 3000000);
    e2e_step(&e, false);
    size_t n = sim_peer_rtp_with_ssrc(e.sub, E_SUB_RTX, got, 256);
    /* 2 x 1 Mbit/s for 20 ms = 5000 bytes: 20 packets of 255 bytes of padding. */
    ASSERT_EQ(20, n);
    ASSERT_EQ(1, b->counters.probes);
    int prev = -1;
    for (size_t i = 0; i < n; i++) {
        ASSERT(got[i]->data[0] & 0x20);
        ASSERT_EQ(SDP_SUB_PT_RTX, got[i]->rtp.payload_type);
        ASSERT_EQ(0, got[i]->rtp.payload_len);
        ASSERT_EQ(PROBE_PADDING, got[i]->rtp.padding_len);
        int s = tcc_seq(got[i]);
        ASSERT(s >= 0 && (prev < 0 || s == prev + 1));
        prev = s;
    }
    /* One cluster at a time. */
    e2e_step(&e, false);
    ASSERT_EQ(20, sim_peer_rtp_with_ssrc(e.sub, E_SUB_RTX, got, 256));
    e2e_free(&e);
}
