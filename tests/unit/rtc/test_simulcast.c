/* Simulcast without a network: a producer ranks its layers by the frame
 * sizes of their keyframes whatever the offer's order, measures each
 * layer's bitrate over a sliding window, and a consumer switches layers
 * only at the start of a keyframe of its target and never while a frame of
 * the current layer is half sent (it finishes that frame, then replays the
 * keyframe from the cache). */
#include "test.h"

#include "sabaq/rtp.h"
#include "sabaq/vp8.h"
#include "rtc/consumer.h"
#include "rtc/producer.h"
#include "rtc/transport.h"

#define EXT_MID 4
#define EXT_RID 10

struct fixture {
    struct rtc_env env;
    struct transport t;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->t.env = &f->env;
    f->t.state = TRANSPORT_NEW;  /* nothing is actually sent */
    list_init(&f->t.producers);
    list_init(&f->t.consumers);
    list_init(&f->t.core_link);
    list_init(&f->t.handshake_link);
}

static struct producer *simulcast_producer(struct fixture *f, const char *rids)
{
    struct sdp_track t = {0};
    struct producer *p = NULL;
    strcpy(t.mid, "v");
    t.kind = SDP_KIND_VIDEO;
    t.payload_type = 100;
    t.clock_rate = 90000;
    t.ext.mid = EXT_MID;
    t.ext.rid = EXT_RID;
    t.n_rids = (uint8_t)strlen(rids);
    for (uint8_t i = 0; i < t.n_rids; i++)
        t.rids[i].id[0] = rids[i];
    return producer_create(&p, &f->t, 1, &t, 0) == 0 ? p : NULL;
}

/* A VP8 packet: X with 15-bit PictureID and TL0PICIDX; on keyframes the
 * frame header with the size. */
static size_t vp8_packet(uint8_t *buf, struct rtp_packet *rtp, uint32_t ssrc, const char *rid,
                         uint16_t seq, uint32_t ts, bool key, bool start, bool marker,
                         uint16_t w, uint16_t h, size_t size)
{
    struct rtp_ext_element ext[2] = {{EXT_MID, 1, (const uint8_t *)"v"},
                                     {EXT_RID, 1, (const uint8_t *)rid}};
    struct rtp_header hd = {.marker = marker, .payload_type = 100, .seq = seq, .timestamp = ts,
                            .ssrc = ssrc};
    int hl = rtp_header_write(buf, 1500, &hd, ext, 2);
    uint8_t *p = buf + hl;
    memset(p, 0x33, size);
    p[0] = (uint8_t)(0x80 | (start ? 0x10 : 0));
    p[1] = 0xC0;
    p[2] = (uint8_t)(0x80 | (seq >> 8 & 0x7f));
    p[3] = (uint8_t)seq;
    p[4] = (uint8_t)ts;
    const uint8_t hdr[10] = {(uint8_t)(key ? 0x50 : 0x51), 0x02, 0x00, 0x9d, 0x01, 0x2a,
                             (uint8_t)w, (uint8_t)(w >> 8), (uint8_t)h, (uint8_t)(h >> 8)};
    if (start)
        memcpy(p + 5, hdr, sizeof hdr);
    rtp_packet_parse(rtp, buf, (size_t)hl + size);
    return (size_t)hl + size;
}

/* Through the producer, as the transport would hand it over (learning the
 * SSRC from the rid on first sight). */
static void receive(struct fixture *f, struct producer *p, uint32_t ssrc, const char *rid,
                    uint16_t seq, bool key, uint16_t w, uint16_t h, size_t size, uint64_t now)
{
    uint8_t buf[1600];
    struct rtp_packet rtp;
    bool is_rtx = false;
    size_t len = vp8_packet(buf, &rtp, ssrc, rid, seq, 90u * (uint32_t)(now / 1000), key, true,
                            true, w, h, size);
    if (!transport_find_producer(&f->t, ssrc, &is_rtx))
        producer_learn_ssrc(&f->t, &rtp, &is_rtx);
    producer_receive_rtp(p, buf, len, &rtp, is_rtx, now);
}

TEST(simulcast_producer_ranks_layers_by_keyframe_size)
{
    struct fixture f;
    fixture_init(&f);
    struct producer *p = simulcast_producer(&f, "fhq");
    ASSERT(p);
    ASSERT_EQ(3, p->n_layers);
    ASSERT_EQ(0x7, p->wanted_mask);
    /* Before any size: the offer's order. */
    ASSERT_EQ(0, p->rank[0]);
    ASSERT_EQ(2, p->rank[2]);
    /* Two sizes falling along the offer: the order flips at once. */
    receive(&f, p, 0x30, "q", 1, true, 320, 180, 200, 1000);
    receive(&f, p, 0x10, "f", 1, true, 1280, 720, 1000, 2000);
    ASSERT_EQ(2, p->rank[0]);
    ASSERT_EQ(1, p->rank[1]);
    ASSERT_EQ(0, p->rank[2]);
    ASSERT_EQ(0x10, p->layers[0].ssrc);
    ASSERT_EQ(0x30, p->layers[2].ssrc);
    /* All known: by size, whatever the offer said (h is the smallest here). */
    receive(&f, p, 0x20, "h", 1, true, 160, 90, 100, 3000);
    ASSERT_EQ(1, p->rank[0]);
    ASSERT_EQ(2, p->rank[1]);
    ASSERT_EQ(0, p->rank[2]);
    ASSERT_EQ(160, p->layers[1].width);
    producer_free(p);
}

TEST(simulcast_producer_measures_each_layer_over_a_window)
{
    struct fixture f;
    fixture_init(&f);
    struct producer *p = simulcast_producer(&f, "qh");
    ASSERT(p);
    /* q: 1000-byte packets every 20 ms (~400 kbit/s); h: 4x that. */
    for (uint32_t i = 0; i < 150; i++) {
        uint64_t now = 1000000 + 20000ull * i;
        receive(&f, p, 0x1, "q", (uint16_t)i, i == 0, 320, 180, 1000, now);
        for (int k = 0; k < 4; k++)
            receive(&f, p, 0x2, "h", (uint16_t)(4 * i + (uint32_t)k), i == 0 && k == 0, 640, 360,
                    1000, now + 1000);
    }
    uint64_t now = 1000000 + 20000ull * 150;
    uint64_t q = producer_layer_bitrate_bps(&p->layers[0], now);
    uint64_t h = producer_layer_bitrate_bps(&p->layers[1], now);
    uint64_t q_len = p->layers[0].bytes / 150;
    ASSERT(q > q_len * 8 * 50 * 95 / 100 && q < q_len * 8 * 50 * 105 / 100);
    ASSERT(h > 4 * q * 95 / 100 && h < 4 * q * 105 / 100);
    ASSERT(producer_layer_is_active(&p->layers[1], now));
    /* h stops: inactive after a second, its last rate still known. */
    producer_tick_layers(p, now);
    for (uint32_t i = 150; i < 250; i++)
        receive(&f, p, 0x1, "q", (uint16_t)i, false, 0, 0, 1000, 1000000 + 20000ull * i);
    now = 1000000 + 20000ull * 250;
    ASSERT(!producer_layer_is_active(&p->layers[1], now));
    ASSERT(producer_layer_is_active(&p->layers[0], now));
    ASSERT_EQ(p->layers[1].known_bps, producer_layer_bitrate_bps(&p->layers[1], now));
    ASSERT(p->layers[1].known_bps > 3 * q);
    producer_free(p);
}

/* Packet of a frame of layer q (0x100) or h (0x101), through the producer
 * (which caches and routes it; the transport sends nothing). */
static void feed(struct fixture *f, struct producer *p, bool is_h, uint16_t seq, uint32_t ts,
                 bool key, bool start, bool marker, uint64_t now)
{
    uint8_t buf[1600];
    struct rtp_packet rtp;
    bool is_rtx = false;
    size_t len = vp8_packet(buf, &rtp, is_h ? 0x101 : 0x100, is_h ? "h" : "q", seq, ts, key,
                            start, marker, is_h ? 640 : 320, is_h ? 360 : 180, 100);
    if (!transport_find_producer(&f->t, rtp.ssrc, &is_rtx))
        producer_learn_ssrc(&f->t, &rtp, &is_rtx);
    producer_receive_rtp(p, buf, len, &rtp, is_rtx, now);
}

static struct consumer *watch(struct fixture *f, struct producer *p)
{
    struct consumer *c = NULL;
    struct sdp_outgoing o = {.kind = SDP_KIND_VIDEO, .active = true, .ssrc = 5000,
                             .rtx_ssrc = 5001};
    return consumer_create(&c, &f->t, p, 9, &o, 0) == 0 ? c : NULL;
}

TEST(simulcast_consumer_switches_at_a_keyframe_after_the_current_frame)
{
    struct fixture f;
    fixture_init(&f);
    struct producer *p = simulcast_producer(&f, "qh");
    ASSERT(p);
    struct consumer *c = watch(&f, p);
    ASSERT(c);
    ASSERT(c->is_simulcast);
    ASSERT_EQ(1, c->target_layer);            /* no size, no estimate: the top */
    ASSERT_EQ(-1, c->current_layer);
    /* q is not the target; h's delta frame cannot start the stream. */
    feed(&f, p, false, 10, 1000, true, true, true, 1000);
    feed(&f, p, true, 500, 1000, false, true, true, 1100);
    ASSERT_EQ(-1, c->current_layer);
    /* h's keyframe starts it; its frame is half sent when... */
    feed(&f, p, true, 501, 2800, true, true, false, 21000);
    ASSERT_EQ(1, c->current_layer);
    /* ...the subscriber shrinks the video and q's keyframe begins. */
    ASSERT_EQ(0, consumer_set_preferred_size(c, 320, 180, 21100));
    ASSERT_EQ(0, c->target_layer);
    feed(&f, p, false, 11, 2800, true, true, false, 21200);
    feed(&f, p, false, 12, 2800, false, false, true, 21300);
    ASSERT_EQ(1, c->current_layer);
    ASSERT(c->has_pending_switch);
    /* h's frame ends: the switch, with q's keyframe replayed from the start. */
    feed(&f, p, true, 502, 2800, false, false, true, 21400);
    ASSERT(!c->has_pending_switch);
    ASSERT_EQ(0, c->current_layer);
    ASSERT_EQ(1, c->layer_switches);
    ASSERT(!c->in_frame);                     /* the replay reached q's marker */
    /* h goes nowhere now. */
    feed(&f, p, true, 503, 4600, false, true, true, 41000);
    ASSERT_EQ(0, c->current_layer);
    consumer_free(c);
    producer_free(p);
}

TEST(simulcast_consumer_switch_does_not_wait_for_a_frame_that_never_ends)
{
    struct fixture f;
    fixture_init(&f);
    struct producer *p = simulcast_producer(&f, "qh");
    ASSERT(p);
    struct consumer *c = watch(&f, p);
    ASSERT(c);
    /* The end of h's frame is lost: h's next frame marks it over. */
    feed(&f, p, true, 501, 2800, true, true, false, 1000);
    ASSERT_EQ(0, consumer_set_preferred_size(c, 320, 180, 1100));
    feed(&f, p, false, 11, 2800, true, true, true, 1200);
    ASSERT(c->has_pending_switch);
    feed(&f, p, true, 503, 4600, false, true, true, 21000);
    ASSERT_EQ(0, c->current_layer);
    /* Back to h; then h stops in mid-frame: after CONSUMER_MID_FRAME_TIMEOUT_US
     * of silence, q's keyframe switches anyway. */
    ASSERT_EQ(0, consumer_set_preferred_size(c, 640, 360, 21100));
    feed(&f, p, true, 504, 6400, true, true, false, 41000);
    ASSERT_EQ(1, c->current_layer);
    ASSERT_EQ(0, consumer_set_preferred_size(c, 320, 180, 41100));
    feed(&f, p, false, 12, 6400, true, true, true, 41200);
    ASSERT(c->has_pending_switch);
    feed(&f, p, false, 13, 8200, false, true, true, 41000 + CONSUMER_MID_FRAME_TIMEOUT_US - 1);
    ASSERT_EQ(1, c->current_layer);
    feed(&f, p, false, 14, 10000, false, true, true, 41000 + CONSUMER_MID_FRAME_TIMEOUT_US);
    ASSERT_EQ(0, c->current_layer);
    ASSERT_EQ(3, c->layer_switches);
    consumer_free(c);
    producer_free(p);
}

TEST(simulcast_consumer_hidden_sends_nothing)
{
    struct fixture f;
    fixture_init(&f);
    struct producer *p = simulcast_producer(&f, "qh");
    ASSERT(p);
    struct consumer *c = watch(&f, p);
    ASSERT(c);
    feed(&f, p, true, 501, 2800, true, true, true, 1000);
    ASSERT_EQ(1, c->current_layer);
    ASSERT_EQ(0, consumer_set_preferred_size(c, 0, 0, 2000));
    ASSERT_EQ(-1, c->target_layer);
    ASSERT_EQ(-1, c->current_layer);
    feed(&f, p, false, 11, 4600, false, true, true, 21000);
    feed(&f, p, true, 502, 4600, false, true, true, 21000);
    ASSERT_EQ(1, f.env.more.drop_hidden);     /* once a frame: the q copy */
    ASSERT_EQ(-1, c->current_layer);
    consumer_free(c);
    producer_free(p);
}
