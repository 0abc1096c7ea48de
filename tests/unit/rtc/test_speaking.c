/* Speaking detection on a virtual clock: talk and silence patterns in, the
 * exact SPEAKING_CHANGED sequence out (with when it came), no flapping on
 * pauses between words or on single loud packets, the stop when packets end
 * (DTX), on pause and on close; and the producer's hook. */
#include "test.h"

#include "sabaq/rtp.h"
#include "sabaq/sfu.h"
#include "rtc/producer.h"
#include "rtc/speaking.h"
#include "rtc/transport.h"

#define MS 1000ull
#define PACKET_US (20 * MS)      /* Opus frames */
#define LOUD 25                  /* ordinary speech, -25 dBov */
#define QUIET 127

struct rec {
    size_t n;
    uint32_t id[32];
    int32_t value[32];
    uint64_t at_us[32];
    uint64_t now_us;             /* set by the driver before each call */
};

static void capture(void *arg, const struct sfu_event *ev)
{
    struct rec *r = arg;
    if (ev->type != SFU_EVENT_SPEAKING_CHANGED || r->n == 32)
        return;
    r->id[r->n] = ev->id;
    r->value[r->n] = ev->value;
    r->at_us[r->n] = r->now_us;
    r->n++;
}

struct sim {
    struct speaking s;
    struct rtc_env env;
    struct rec rec;
    uint64_t now_us;
};

static void sim_init(struct sim *m)
{
    memset(m, 0, sizeof(*m));
    m->env.emit = capture;
    m->env.emit_arg = &m->rec;
    m->now_us = 1000 * MS;
}

/* `ms` of packets every 20 ms at `level`; the transport's 20 ms tick runs too. */
static void run(struct sim *m, uint64_t ms, uint8_t level)
{
    for (uint64_t end = m->now_us + ms * MS; m->now_us < end; m->now_us += PACKET_US) {
        m->rec.now_us = m->now_us;
        speaking_on_level(&m->s, &m->env, 7, level, m->now_us);
        speaking_tick(&m->s, &m->env, 7, m->now_us);
    }
}

/* `ms` without any packet (Opus DTX or a stalled sender), ticks only. */
static void run_silent(struct sim *m, uint64_t ms)
{
    for (uint64_t end = m->now_us + ms * MS; m->now_us < end; m->now_us += PACKET_US) {
        m->rec.now_us = m->now_us;
        speaking_tick(&m->s, &m->env, 7, m->now_us);
    }
}

TEST(speaking_starts_after_250ms_of_talk_and_stops_1s_after) {
    struct sim m;
    sim_init(&m);
    run(&m, 1000, QUIET);
    ASSERT_EQ(0, m.rec.n);
    uint64_t talk = m.now_us;
    run(&m, 3000, LOUD);
    ASSERT_EQ(1, m.rec.n);
    ASSERT_EQ(7, m.rec.id[0]);
    ASSERT_EQ(1, m.rec.value[0]);
    ASSERT(m.rec.at_us[0] - talk >= 200 * MS && m.rec.at_us[0] - talk <= 260 * MS);
    uint64_t hush = m.now_us;
    run(&m, 3000, QUIET);
    ASSERT_EQ(2, m.rec.n);
    ASSERT_EQ(0, m.rec.value[1]);
    ASSERT(m.rec.at_us[1] - hush >= 1000 * MS && m.rec.at_us[1] - hush <= 1060 * MS);
    ASSERT(!m.s.is_speaking);
}

TEST(speaking_rides_over_pauses_between_sentences) {
    struct sim m;
    sim_init(&m);
    for (int i = 0; i < 5; i++) {
        run(&m, 1200, LOUD);
        run(&m, 700, QUIET);     /* breathing, thinking: under a second */
    }
    ASSERT_EQ(1, m.rec.n);
    run(&m, 2000, QUIET);
    ASSERT_EQ(2, m.rec.n);
    ASSERT_EQ(1, m.rec.value[0]);
    ASSERT_EQ(0, m.rec.value[1]);
}

TEST(speaking_keeps_on_through_dips_between_syllables) {
    struct sim m;
    sim_init(&m);
    /* 60 ms voiced, 40 ms dip: the rhythm of syllables. */
    for (int i = 0; i < 30; i++) {
        run(&m, 60, LOUD);
        run(&m, 40, 70);
    }
    ASSERT_EQ(1, m.rec.n);
    ASSERT_EQ(1, m.rec.value[0]);
}

TEST(speaking_ignores_single_loud_packets_and_short_bursts) {
    struct sim m;
    sim_init(&m);
    for (int i = 0; i < 20; i++) {
        run(&m, 20, 0);          /* one packet at full scale: a knock, a click */
        run(&m, 480, QUIET);
    }
    for (int i = 0; i < 10; i++) {
        run(&m, 140, 10);        /* a cough */
        run(&m, 860, QUIET);
    }
    ASSERT_EQ(0, m.rec.n);
    run(&m, 1000, QUIET);
    ASSERT_EQ(0, speaking_loudness(&m.s));
}

TEST(speaking_never_starts_on_background_noise) {
    struct sim m;
    sim_init(&m);
    run(&m, 5000, 60);           /* a fan or a busy room after noise suppression */
    run(&m, 5000, SPEAKING_LOUD_LEVEL + 1);
    ASSERT_EQ(0, m.rec.n);
    run(&m, 1000, SPEAKING_LOUD_LEVEL);
    ASSERT_EQ(1, m.rec.n);
}

TEST(speaking_stops_when_packets_stop) {
    struct sim m;
    sim_init(&m);
    run(&m, 1000, LOUD);
    ASSERT_EQ(1, m.rec.n);
    uint64_t gone = m.now_us;
    run_silent(&m, 2000);
    ASSERT_EQ(2, m.rec.n);
    ASSERT_EQ(0, m.rec.value[1]);
    ASSERT(m.rec.at_us[1] - gone <= 1060 * MS);
    /* Back after a long gap: starts again as from fresh. */
    run_silent(&m, 60000);
    uint64_t back = m.now_us;
    run(&m, 1000, LOUD);
    ASSERT_EQ(3, m.rec.n);
    ASSERT_EQ(1, m.rec.value[2]);
    ASSERT(m.rec.at_us[2] - back <= 260 * MS);
}

TEST(speaking_stop_emits_zero_only_when_speaking) {
    struct sim m;
    sim_init(&m);
    speaking_stop(&m.s, &m.env, 7);
    ASSERT_EQ(0, m.rec.n);
    run(&m, 1000, LOUD);
    speaking_stop(&m.s, &m.env, 7);
    ASSERT_EQ(2, m.rec.n);
    ASSERT_EQ(0, m.rec.value[1]);
    speaking_stop(&m.s, &m.env, 7);
    ASSERT_EQ(2, m.rec.n);
    ASSERT_EQ(0, speaking_loudness(&m.s));
}

TEST(speaking_loudness_orders_speakers) {
    struct sim a, b;
    sim_init(&a);
    sim_init(&b);
    run(&a, 2000, 20);
    run(&b, 2000, 35);
    ASSERT(speaking_loudness(&a.s) >= 24 && speaking_loudness(&a.s) <= 25);
    ASSERT(speaking_loudness(&b.s) >= 9 && speaking_loudness(&b.s) <= 10);
    run(&a, 2000, QUIET);
    ASSERT_EQ(0, speaking_loudness(&a.s));
}

struct levels {
    size_t n, n_speaking;
    int32_t value[64];
    uint64_t at_us[64];
    uint64_t now_us;
};

static void capture_levels(void *arg, const struct sfu_event *ev)
{
    struct levels *r = arg;
    if (ev->type == SFU_EVENT_SPEAKING_CHANGED)
        r->n_speaking++;
    if (ev->type != SFU_EVENT_AUDIO_LEVEL || r->n == 64)
        return;
    r->value[r->n] = ev->value;
    r->at_us[r->n] = r->now_us;
    r->n++;
}

TEST(speaking_reports_its_loudness_every_250ms_only_while_speaking) {
    struct sim m;
    struct levels lv;
    sim_init(&m);
    memset(&lv, 0, sizeof(lv));
    m.env.emit = capture_levels;
    m.env.emit_arg = &lv;
    /* The recorder's clock is the levels' one here. */
    for (uint64_t end = m.now_us + 2000 * MS; m.now_us < end; m.now_us += PACKET_US) {
        lv.now_us = m.now_us;
        speaking_on_level(&m.s, &m.env, 7, QUIET, m.now_us);
    }
    ASSERT_EQ(0, lv.n);
    for (uint64_t end = m.now_us + 3000 * MS; m.now_us < end; m.now_us += PACKET_US) {
        lv.now_us = m.now_us;
        speaking_on_level(&m.s, &m.env, 7, LOUD, m.now_us);
    }
    ASSERT_EQ(1, lv.n_speaking);
    /* Started at ~250 ms: then one level every 250 ms, 10 or 11 of them. */
    ASSERT(lv.n >= 10 && lv.n <= 11);
    for (size_t i = 1; i < lv.n; i++)   /* buckets close at the next 20 ms packet */
        ASSERT(lv.at_us[i] - lv.at_us[i - 1] >= 240 * MS &&
               lv.at_us[i] - lv.at_us[i - 1] <= 260 * MS);
    ASSERT(lv.value[lv.n - 1] >= 19 && lv.value[lv.n - 1] <= 20);   /* 45 - 25 dB */
    ASSERT(lv.value[0] < lv.value[lv.n - 1]);                       /* still rising */
    size_t talking = lv.n;
    for (uint64_t end = m.now_us + 3000 * MS; m.now_us < end; m.now_us += PACKET_US) {
        lv.now_us = m.now_us;
        speaking_on_level(&m.s, &m.env, 7, QUIET, m.now_us);
    }
    ASSERT_EQ(2, lv.n_speaking);
    /* Until the stop (1 s later) levels go on, falling; then none. */
    ASSERT(lv.n > talking && lv.n <= talking + 4);
    ASSERT(lv.value[lv.n - 1] < lv.value[talking - 1]);
}

/* ---- the producer's hook ---------------------------------------------- */

#define PUB_EXT_LEVEL 3

static size_t audio_packet(uint8_t *buf, struct rtp_packet *rtp, uint16_t seq, uint8_t level)
{
    uint8_t v = (uint8_t)(0x80 | level);
    struct rtp_ext_element ext = {PUB_EXT_LEVEL, 1, &v};
    struct rtp_header h = {.payload_type = 111, .seq = seq, .timestamp = seq * 960u,
                           .ssrc = 0x1234};
    int hl = rtp_header_write(buf, 200, &h, &ext, 1);
    memset(buf + hl, 0xAB, 40);
    rtp_packet_parse(rtp, buf, (size_t)hl + 40);
    return (size_t)hl + 40;
}

TEST(producer_emits_speaking_changes_and_stops_on_pause_and_close) {
    struct rtc_env env = {0};
    struct transport t = {0};
    struct rec rec = {0};
    struct producer *p = NULL;
    struct sdp_track tr = {0};
    env.emit = capture;
    env.emit_arg = &rec;
    t.env = &env;
    list_init(&t.producers);
    list_init(&t.consumers);
    strcpy(tr.mid, "a");
    tr.kind = SDP_KIND_AUDIO;
    tr.payload_type = 111;
    tr.clock_rate = 48000;
    tr.ssrc = 0x1234;
    tr.ext.audio_level = PUB_EXT_LEVEL;
    ASSERT_EQ(0, producer_create(&p, &t, 42, &tr, 0));

    uint8_t buf[256];
    struct rtp_packet rtp;
    uint64_t now = 0;
    uint16_t seq = 1;
    for (int i = 0; i < 50; i++, now += PACKET_US) {
        size_t n = audio_packet(buf, &rtp, seq++, LOUD);
        producer_receive_rtp(p, buf, n, &rtp, false, now);
    }
    ASSERT_EQ(1, rec.n);
    ASSERT_EQ(42, rec.id[0]);
    ASSERT_EQ(1, rec.value[0]);
    producer_set_paused(p, true);
    ASSERT_EQ(2, rec.n);
    ASSERT_EQ(0, rec.value[1]);
    /* Packets of a paused (muted) producer do not count. */
    for (int i = 0; i < 50; i++, now += PACKET_US) {
        size_t n = audio_packet(buf, &rtp, seq++, LOUD);
        producer_receive_rtp(p, buf, n, &rtp, false, now);
    }
    ASSERT_EQ(2, rec.n);
    producer_set_paused(p, false);
    for (int i = 0; i < 50; i++, now += PACKET_US) {
        size_t n = audio_packet(buf, &rtp, seq++, LOUD);
        producer_receive_rtp(p, buf, n, &rtp, false, now);
    }
    ASSERT_EQ(3, rec.n);
    ASSERT_EQ(1, rec.value[2]);
    producer_free(p);
    ASSERT_EQ(4, rec.n);
    ASSERT_EQ(42, rec.id[3]);
    ASSERT_EQ(0, rec.value[3]);
}
