/* The worker-side tap: a recorded producer's packets are copied into the
 * recorder's ring as the producer parsed them; producers not recorded, and
 * paused ones, cost nothing and send nothing. */
#include "test.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "sabaq/rtp.h"
#include "record/record_tap.h"
#include "rtc/producer.h"
#include "rtc/transport.h"

struct fixture {
    struct rtc_env env;
    struct transport t;
    struct record_tap *tap;
    atomic_bool idle;
    int evfd;
};

static int fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->t.env = &f->env;
    list_init(&f->t.producers);
    list_init(&f->t.consumers);
    list_init(&f->t.core_link);
    list_init(&f->t.handshake_link);
    atomic_init(&f->idle, false);
    f->evfd = eventfd(0, EFD_NONBLOCK);
    f->tap = record_tap_new(f->evfd, &f->idle);
    f->env.record_tap = f->tap;
    return f->tap && f->evfd >= 0 ? 0 : -1;
}

static void fixture_free(struct fixture *f)
{
    record_tap_free(f->tap);
    close(f->evfd);
}

static void receive(struct producer *p, uint16_t seq, uint32_t ts, bool marker, uint64_t now)
{
    uint8_t buf[256];
    struct rtp_packet rtp;
    struct rtp_header h = {.payload_type = 111, .seq = seq, .timestamp = ts, .ssrc = 0x500,
                           .marker = marker};
    int hl = rtp_header_write(buf, sizeof(buf), &h, NULL, 0);
    for (int i = 0; i < 40; i++)
        buf[hl + i] = (uint8_t)(seq + i);
    rtp_packet_parse(&rtp, buf, (size_t)hl + 40);
    producer_receive_rtp(p, buf, (size_t)hl + 40, &rtp, false, now);
}

static int ring_len(struct record_ring *r)
{
    return (int)(atomic_load(&r->head) - atomic_load(&r->tail));
}

TEST(record_tap_copies_only_recorded_unpaused_producers)
{
    struct fixture f;
    struct producer *p;
    ASSERT_EQ(0, fixture_init(&f));
    struct sdp_track t = {0};
    strcpy(t.mid, "a");
    t.kind = SDP_KIND_AUDIO;
    t.payload_type = 111;
    t.clock_rate = 48000;
    t.ssrc = 0x500;
    ASSERT_EQ(0, producer_create(&p, &f.t, 31, &t, 0));

    receive(p, 100, 960, false, 1000);
    ASSERT_EQ(0, ring_len(&f.tap->ring));   /* not recorded: nothing copied */

    record_tap_producer(p, true, 2000);
    atomic_store(&f.idle, true);            /* the recorder sleeps */
    receive(p, 101, 1920, true, 3000);
    ASSERT_EQ(1, ring_len(&f.tap->ring));
    const struct record_packet *r = record_ring_peek(&f.tap->ring);
    ASSERT(r != NULL);
    ASSERT_EQ(31, r->producer_id);
    ASSERT_EQ(0x10000u + 101, (long long)r->ext_seq);
    ASSERT_EQ(1920, r->rtp_timestamp);
    ASSERT_EQ(3000, (long long)r->arrival_us);
    ASSERT(r->marker);
    ASSERT_EQ(40, r->payload_len);
    ASSERT_EQ((uint8_t)(101 + 7), r->payload[7]);
    /* It woke the sleeping recorder once. */
    uint64_t v = 0;
    ASSERT_EQ((ssize_t)sizeof(v), read(f.evfd, &v, sizeof(v)));
    ASSERT_EQ(1, (long long)v);
    ASSERT(!atomic_load(&f.idle));
    receive(p, 102, 2880, false, 4000);     /* awake: no second write */
    ASSERT(read(f.evfd, &v, sizeof(v)) < 0);
    ASSERT_EQ(2, ring_len(&f.tap->ring));

    /* A muted (paused) producer is not recorded either. */
    producer_set_paused(p, true);
    receive(p, 103, 3840, false, 5000);
    ASSERT_EQ(2, ring_len(&f.tap->ring));
    producer_set_paused(p, false);

    /* Two recordings took it; after both let go, nothing more is copied. */
    record_tap_producer(p, true, 6000);
    record_tap_producer(p, false, 6000);
    receive(p, 104, 4800, false, 7000);
    ASSERT_EQ(3, ring_len(&f.tap->ring));
    record_tap_producer(p, false, 8000);
    receive(p, 105, 5760, false, 9000);
    ASSERT_EQ(3, ring_len(&f.tap->ring));
    producer_free(p);
    fixture_free(&f);
}

TEST(record_tap_drops_and_counts_when_the_recorder_falls_behind)
{
    struct fixture f;
    struct producer *p;
    ASSERT_EQ(0, fixture_init(&f));
    struct sdp_track t = {0};
    strcpy(t.mid, "a");
    t.kind = SDP_KIND_AUDIO;
    t.payload_type = 111;
    t.clock_rate = 48000;
    t.ssrc = 0x500;
    ASSERT_EQ(0, producer_create(&p, &f.t, 32, &t, 0));
    record_tap_producer(p, true, 0);
    for (int i = 0; i < RECORD_RING_SLOTS + 10; i++)
        receive(p, (uint16_t)i, (uint32_t)i * 960, false, 1000 + (uint64_t)i);
    ASSERT_EQ(RECORD_RING_SLOTS, ring_len(&f.tap->ring));
    ASSERT_EQ(10, (long long)atomic_load(&f.tap->ring.dropped_full));
    producer_free(p);
    fixture_free(&f);
}

/* A VP8 packet of simulcast layer `ssrc`: keyframes carry their size. */
static void receive_vp8(struct producer *p, uint32_t ssrc, uint16_t seq, bool key, uint16_t w,
                        uint16_t h, uint64_t now)
{
    uint8_t buf[256];
    struct rtp_packet rtp;
    struct rtp_header hd = {.payload_type = 96, .seq = seq, .timestamp = seq * 3000u,
                            .ssrc = ssrc, .marker = true};
    int hl = rtp_header_write(buf, sizeof(buf), &hd, NULL, 0);
    uint8_t *v = buf + hl;
    v[0] = 0x10;                 /* S, partition 0, no extensions */
    v[1] = key ? 0x00 : 0x01;    /* frame tag: P bit */
    v[2] = v[3] = 0;
    v[4] = 0x9d, v[5] = 0x01, v[6] = 0x2a;
    v[7] = (uint8_t)w, v[8] = (uint8_t)(w >> 8), v[9] = (uint8_t)h, v[10] = (uint8_t)(h >> 8);
    memset(v + 11, 0x33, 20);
    rtp_packet_parse(&rtp, buf, (size_t)hl + 31);
    producer_receive_rtp(p, buf, (size_t)hl + 31, &rtp, false, now);
}

/* The layers of the packets in the ring, oldest first, emptied. */
static int drain_layers(struct record_ring *r, uint8_t *layers, bool *keys, int cap)
{
    int n = 0;
    const struct record_packet *pkt;
    while ((pkt = record_ring_peek(r)) && n < cap) {
        layers[n] = pkt->layer;
        keys[n] = pkt->is_keyframe;
        n++;
        record_ring_release(r);
    }
    return n;
}

TEST(record_tap_follows_the_best_simulcast_layer_switching_at_keyframes)
{
    struct fixture f;
    struct producer *p;
    uint8_t layers[64];
    bool keys[64];
    ASSERT_EQ(0, fixture_init(&f));
    struct sdp_track t = {0};
    strcpy(t.mid, "v");
    t.kind = SDP_KIND_VIDEO;
    t.payload_type = 96;
    t.clock_rate = 90000;
    t.n_rids = 2;
    strcpy(t.rids[0].id, "q");
    strcpy(t.rids[1].id, "h");
    ASSERT_EQ(0, producer_create(&p, &f.t, 41, &t, 0));
    p->layers[0].ssrc = 0x100;
    p->layers[1].ssrc = 0x200;
    record_tap_producer(p, true, 0);        /* nothing arrives yet: the top of the offer */
    ASSERT_EQ(1, p->record_layer);
    uint64_t now = 1000;
    receive_vp8(p, 0x100, 1, true, 320, 180, now);
    receive_vp8(p, 0x200, 1, true, 640, 360, now);
    for (uint16_t s = 2; s < 6; s++) {
        now += 33000;
        receive_vp8(p, 0x100, s, false, 0, 0, now);
        receive_vp8(p, 0x200, s, false, 0, 0, now);
    }
    /* "q"'s keyframe came first and was all there was; from "h"'s keyframe
     * on, only "h", the larger one. */
    int n = drain_layers(&f.tap->ring, layers, keys, 64);
    ASSERT_EQ(6, n);
    ASSERT_EQ(0, layers[0]);
    ASSERT(keys[0]);
    ASSERT(keys[1]);
    for (int i = 1; i < n; i++)
        ASSERT_EQ(1, layers[i]);
    ASSERT_EQ(now, (long long)p->layers[1].wanted_us); /* kept wanted for the publisher */

    /* "h" stops arriving (the publisher's uplink): after a second without it
     * the recording moves to "q" at its next keyframe, asked for. */
    for (uint16_t s = 6; s < 40; s++) {
        now += 33000;
        receive_vp8(p, 0x100, s, false, 0, 0, now);
    }
    ASSERT_EQ(1, p->record_layer);
    ASSERT_EQ(0, p->record_next_layer);
    ASSERT(p->layers[0].wants_keyframe);
    ASSERT_EQ(0, drain_layers(&f.tap->ring, layers, keys, 64));
    now += 33000;
    receive_vp8(p, 0x100, 40, true, 320, 180, now);
    now += 33000;
    receive_vp8(p, 0x100, 41, false, 0, 0, now);
    n = drain_layers(&f.tap->ring, layers, keys, 64);
    ASSERT_EQ(2, n);
    ASSERT_EQ(0, layers[0]);
    ASSERT(keys[0]);
    ASSERT_EQ(0, p->record_layer);

    /* "h" comes back: the recording returns to it at its keyframe. */
    now += 33000;
    receive_vp8(p, 0x200, 50, false, 0, 0, now);
    receive_vp8(p, 0x100, 42, false, 0, 0, now);
    ASSERT_EQ(1, p->record_next_layer);
    now += 33000;
    receive_vp8(p, 0x200, 51, true, 640, 360, now);
    receive_vp8(p, 0x100, 43, false, 0, 0, now);
    n = drain_layers(&f.tap->ring, layers, keys, 64);
    ASSERT_EQ(2, n);                        /* q's delta before the switch, then h's key */
    ASSERT_EQ(0, layers[0]);
    ASSERT_EQ(1, layers[1]);
    ASSERT(keys[1]);
    producer_free(p);
    fixture_free(&f);
}
