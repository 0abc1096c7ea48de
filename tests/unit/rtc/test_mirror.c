/* The cross-worker parts of one rtc_core, sans-IO (rtc/mesh.h), with the
 * other workers replaced by a recorder of the hook calls:
 * - an owner shares each routed packet (decrypted) with the workers that
 *   hold mirrors, and stops when told; a keyframe request from a mirror
 *   becomes a PLI to the publisher; layers wanted on another worker keep
 *   the owner's LAYERS_CHANGED mask;
 * - a mirror feeds its consumers from shared packets, sends their keyframe
 *   requests and wanted layers to the owner, never speaks for the owner
 *   (no PRODUCER_ACTIVE or SPEAKING_CHANGED of its own) and is not counted
 *   as a producer. */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "sabaq/error.h"
#include "sabaq/rtp.h"
#include "sabaq/srtp_session.h"
#include "rtc/mesh.h"
#include "rtc/rtc_core.h"

#define T0 1000000ull
#define PUB_T 1
#define SUB_T 2
#define P_VIDEO 7
#define PUB_VSSRC 0x0b0b0b0bu
#define EXT_AUDIO_LEVEL 1

struct calls {
    unsigned share_rtp, share_sr, ask_keyframe, report_wanted, forward, claim;
    uint32_t last_workers, last_producer;
    unsigned last_owner;
    uint8_t last_layer, wanted_mask;
    size_t last_len;
    uint8_t last_buf[1500];
};

static void on_share_rtp(void *arg, uint32_t id, uint32_t workers, const uint8_t *buf, size_t len,
                         uint8_t layer)
{
    struct calls *c = arg;
    c->share_rtp++;
    c->last_producer = id;
    c->last_workers = workers;
    c->last_layer = layer;
    c->last_len = len < sizeof(c->last_buf) ? len : sizeof(c->last_buf);
    memcpy(c->last_buf, buf, c->last_len);
}
static void on_share_sr(void *arg, uint32_t id, uint32_t workers,
                        const struct rtcp_sender_report *sr)
{
    struct calls *c = arg;
    (void)sr;
    c->share_sr++;
    c->last_producer = id;
    c->last_workers = workers;
}
static void on_ask_keyframe(void *arg, unsigned owner, uint32_t id, uint8_t layer)
{
    struct calls *c = arg;
    c->ask_keyframe++;
    c->last_owner = owner;
    c->last_producer = id;
    c->last_layer = layer;
}
static void on_report_wanted(void *arg, unsigned owner, uint32_t id, uint8_t layers)
{
    struct calls *c = arg;
    c->report_wanted++;
    c->last_owner = owner;
    c->last_producer = id;
    c->wanted_mask |= layers;
}
static void on_forward(void *arg, unsigned w, const uint8_t *buf, size_t len,
                       const struct sockaddr_storage *from, socklen_t from_len)
{
    (void)w, (void)buf, (void)len, (void)from, (void)from_len;
    ((struct calls *)arg)->forward++;
}
static void on_claim(void *arg, unsigned w, const struct sockaddr_storage *from, socklen_t len)
{
    (void)w, (void)from, (void)len;
    ((struct calls *)arg)->claim++;
}

static const struct mesh_ops ops = {on_share_rtp, on_share_sr, on_ask_keyframe, on_report_wanted,
                                    on_forward, on_claim};

/* Datagrams out, counted by destination port (peers are 127.0.0.1:port). */
struct sink {
    struct tx_batch tx;
    struct datagram slots[8];
    unsigned to_pub, to_sub, rtcp_to_pub;
    uint16_t pub_port, sub_port;
};

static void flush(struct tx_batch *b, void *arg)
{
    struct sink *s = arg;
    for (size_t i = 0; i < b->n; i++) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&b->slots[i].to;
        uint16_t port = ntohs(a->sin_port);
        if (port == s->pub_port) {
            s->to_pub++;
            if (rtp_is_rtcp(b->slots[i].data, b->slots[i].len))
                s->rtcp_to_pub++;
        } else if (port == s->sub_port) {
            s->to_sub++;
        }
    }
    b->n = 0;
}

struct events {
    unsigned active, speaking, layers;
    int32_t layers_value;
};

static void on_event(void *arg, const struct sfu_event *ev)
{
    struct events *e = arg;
    if (ev->type == SFU_EVENT_PRODUCER_ACTIVE)
        e->active++;
    if (ev->type == SFU_EVENT_SPEAKING_CHANGED)
        e->speaking++;
    if (ev->type == SFU_EVENT_LAYERS_CHANGED) {
        e->layers++;
        e->layers_value = ev->value;
    }
}

struct fixture {
    struct calls calls;
    struct sink sink;
    struct events events;
    struct rtc_core *core;
    struct srtp_keys pub_keys;
    struct srtp_out *pub_out;    /* the publisher's own protect */
};

static socklen_t addr(struct sockaddr_storage *ss, uint16_t port)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sizeof(*a);
}

static struct srtp_keys keys(uint8_t seed)
{
    struct srtp_keys k = {.profile = SRTP_PROFILE_AEAD_AES_128_GCM, .key_len = 16, .salt_len = 12};
    for (int i = 0; i < 16; i++) {
        k.local_key[i] = (uint8_t)(seed + i);
        k.remote_key[i] = (uint8_t)(seed * 3 + i);
    }
    for (int i = 0; i < 12; i++) {
        k.local_salt[i] = (uint8_t)(seed + 2 * i);
        k.remote_salt[i] = (uint8_t)(seed * 5 + i);
    }
    return k;
}

/* Core `self` of a two-worker mesh, with a connected transport for a
 * publisher (port 5000) and one for a subscriber (port 6000). */
static int fixture_init(struct fixture *f, unsigned self)
{
    memset(f, 0, sizeof(*f));
    f->sink.tx.slots = f->sink.slots;
    f->sink.tx.cap = 8;
    f->sink.tx.flush = flush;
    f->sink.tx.flush_arg = &f->sink;
    f->sink.pub_port = 5000;
    f->sink.sub_port = 6000;
    struct rtc_core_config cfg = {.tx = &f->sink.tx, .emit = on_event, .emit_arg = &f->events,
                                  .mesh = &ops, .mesh_arg = &f->calls, .worker_index = self};
    f->core = rtc_core_new(&cfg);
    struct sockaddr_storage a;
    f->pub_keys = keys(1);
    struct srtp_keys sub = keys(2), view = f->pub_keys;
    memcpy(view.local_key, f->pub_keys.remote_key, 16);
    memcpy(view.local_salt, f->pub_keys.remote_salt, 12);
    f->pub_out = srtp_out_new(&view);
    if (!f->core || !f->pub_out)
        return -1;
    socklen_t l = addr(&a, 5000);
    if (rtc_core_transport_create_connected(f->core, PUB_T, &f->pub_keys, &a, l, T0) < 0)
        return -1;
    l = addr(&a, 6000);
    return rtc_core_transport_create_connected(f->core, SUB_T, &sub, &a, l, T0);
}

static void fixture_free(struct fixture *f)
{
    rtc_core_free(f->core);
    srtp_out_free(f->pub_out);
}

static struct sdp_track video_track(uint8_t n_rids)
{
    struct sdp_track t = {0};
    strcpy(t.mid, "1");
    t.kind = SDP_KIND_VIDEO;
    t.payload_type = 96;
    t.clock_rate = 90000;
    t.ssrc = n_rids ? 0 : PUB_VSSRC;
    t.feedback = SDP_FB_NACK | SDP_FB_NACK_PLI;
    t.n_rids = n_rids;
    for (uint8_t i = 0; i < n_rids; i++)
        t.rids[i].id[0] = "qhf"[i];
    return t;
}

static struct sdp_outgoing video_out(void)
{
    struct sdp_outgoing o = {0};
    strcpy(o.mid, "v");
    o.kind = SDP_KIND_VIDEO;
    o.active = true;
    o.ssrc = 0x2000;
    strcpy(o.cname, "c");
    return o;
}

/* A one-packet VP8 frame (a keyframe when asked) in plain RTP. */
static size_t vp8(uint8_t *buf, uint16_t seq, bool key)
{
    struct rtp_header h = {.marker = true, .payload_type = 96, .seq = seq,
                           .timestamp = 3000u * seq, .ssrc = PUB_VSSRC};
    int hl = rtp_header_write(buf, 1500, &h, NULL, 0);
    static const uint8_t hdr[11] = {0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
    memcpy(buf + hl, hdr, sizeof(hdr));
    if (!key)
        buf[hl + 1] |= 0x01;
    memset(buf + hl + sizeof(hdr), 0x44, 100);
    return (size_t)hl + sizeof(hdr) + 100;
}

/* Sent by the publisher: protected, then received by the core. */
static void publish(struct fixture *f, uint16_t seq, bool key, uint64_t now)
{
    uint8_t buf[1600];
    size_t len = vp8(buf, seq, key);
    struct sockaddr_storage a;
    socklen_t l = addr(&a, 5000);
    if (srtp_out_protect_rtp(f->pub_out, buf, &len, sizeof(buf), 0) == 0)
        rtc_core_receive(f->core, buf, len, &a, l, now);
    tx_batch_flush(&f->sink.tx);
}

TEST(mesh_owner_shares_routed_packets_with_mirror_workers_until_told_to_stop)
{
    struct fixture f;
    ASSERT_EQ(0, fixture_init(&f, 0));
    struct sdp_track t = video_track(0);
    ASSERT_EQ(0, rtc_core_producer_create(f.core, P_VIDEO, PUB_T, &t, T0));
    publish(&f, 100, true, T0 + 1000);
    ASSERT_EQ(0, f.calls.share_rtp); /* nobody elsewhere yet */
    ASSERT_EQ(0, rtc_core_producer_share(f.core, P_VIDEO, 1, true));
    ASSERT_EQ(-SQ_EINVAL, rtc_core_producer_share(f.core, P_VIDEO, 0, true)); /* itself */
    publish(&f, 101, false, T0 + 2000);
    ASSERT_EQ(1, f.calls.share_rtp);
    ASSERT_EQ(P_VIDEO, f.calls.last_producer);
    ASSERT_EQ(1u << 1, f.calls.last_workers);
    /* Decrypted: exactly the packet the publisher protected. */
    uint8_t plain[1600];
    size_t len = vp8(plain, 101, false);
    ASSERT_EQ(len, f.calls.last_len);
    ASSERT_MEM_EQ(plain, f.calls.last_buf, len);
    ASSERT_EQ(0, rtc_core_producer_share(f.core, P_VIDEO, 1, false));
    publish(&f, 102, false, T0 + 3000);
    ASSERT_EQ(1, f.calls.share_rtp);
    fixture_free(&f);
}

TEST(mesh_owner_sends_a_mirrors_keyframe_request_to_the_publisher_as_pli)
{
    struct fixture f;
    ASSERT_EQ(0, fixture_init(&f, 0));
    struct sdp_track t = video_track(0);
    ASSERT_EQ(0, rtc_core_producer_create(f.core, P_VIDEO, PUB_T, &t, T0));
    unsigned before = f.sink.rtcp_to_pub;
    ASSERT_EQ(0, rtc_core_remote_keyframe(f.core, P_VIDEO, 0, T0 + 1000));
    tx_batch_flush(&f.sink.tx);
    ASSERT_EQ(before + 1, f.sink.rtcp_to_pub);
    ASSERT_EQ(-SQ_ENOTFOUND, rtc_core_remote_keyframe(f.core, 99, 0, T0 + 1000));
    fixture_free(&f);
}

/* Nobody on the owner's worker watches the simulcast producer; a mirror's
 * consumers want layer f (bit 2). After the 5 s grace the mask is f alone,
 * not empty. */
TEST(mesh_owner_keeps_layers_wanted_on_another_worker)
{
    struct fixture f;
    ASSERT_EQ(0, fixture_init(&f, 0));
    struct sdp_track t = video_track(3);
    ASSERT_EQ(0, rtc_core_producer_create(f.core, P_VIDEO, PUB_T, &t, T0));
    uint64_t now = T0;
    for (int i = 0; i < 80; i++) {   /* 8 s in 100 ms steps */
        now += 100000;
        ASSERT_EQ(0, rtc_core_remote_wanted(f.core, P_VIDEO, 1u << 2, now));
        rtc_core_handle_timeouts(f.core, now);
    }
    ASSERT(f.events.layers >= 1);
    ASSERT_EQ(1 << 2, f.events.layers_value);
    fixture_free(&f);
}

/* Core 1 mirrors producer 7 of worker 0 for a subscriber here. */
TEST(mesh_mirror_feeds_its_consumers_and_asks_the_owner_for_keyframes)
{
    struct fixture f;
    ASSERT_EQ(0, fixture_init(&f, 1));
    struct sdp_track t = video_track(0);
    t.ext.audio_level = EXT_AUDIO_LEVEL; /* ignored for video: no speaking either way */
    ASSERT_EQ(-SQ_EINVAL, rtc_core_mirror_create(f.core, P_VIDEO, 1, &t, T0)); /* itself */
    ASSERT_EQ(0, rtc_core_mirror_create(f.core, P_VIDEO, 0, &t, T0));
    ASSERT_EQ(-SQ_EEXIST, rtc_core_mirror_create(f.core, P_VIDEO, 0, &t, T0));
    ASSERT(!rtc_core_owns_producer(f.core, P_VIDEO));
    struct sdp_outgoing o = video_out();
    ASSERT_EQ(0, rtc_core_consumer_create(f.core, 70, SUB_T, P_VIDEO, &o, T0));
    /* The new video consumer needs a keyframe: asked of the owner. */
    ASSERT(f.calls.ask_keyframe >= 1);
    ASSERT_EQ(0, f.calls.last_owner);
    ASSERT_EQ(P_VIDEO, f.calls.last_producer);
    ASSERT_EQ(0, f.sink.rtcp_to_pub); /* never to the publisher from here */
    /* A delta first (waits), then a keyframe and deltas: forwarded. */
    uint8_t buf[1600];
    size_t len = vp8(buf, 10, false);
    ASSERT_EQ(0, rtc_core_mirror_receive(f.core, P_VIDEO, buf, len, 0, T0 + 1000));
    tx_batch_flush(&f.sink.tx);
    ASSERT_EQ(0, f.sink.to_sub);
    for (uint16_t s = 11; s < 15; s++) {
        len = vp8(buf, s, s == 11);
        ASSERT_EQ(0, rtc_core_mirror_receive(f.core, P_VIDEO, buf, len, 0, T0 + 1000 + s));
    }
    tx_batch_flush(&f.sink.tx);
    ASSERT_EQ(4, f.sink.to_sub);
    ASSERT_EQ(0, f.calls.share_rtp);  /* a mirror shares nothing further */
    ASSERT_EQ(0, f.events.active);    /* the owner's event, not the mirror's */
    ASSERT_EQ(-SQ_ENOTFOUND, rtc_core_mirror_receive(f.core, 99, buf, len, 0, T0 + 2000));
    ASSERT_EQ(-SQ_EMALFORMED, rtc_core_mirror_receive(f.core, P_VIDEO, buf, 5, 0, T0 + 2000));
    struct sfu_stats st;
    rtc_core_stats(f.core, &st);
    ASSERT_EQ(0, st.producers);       /* a mirror is not a producer of this worker */
    ASSERT_EQ(1, st.consumers);
    /* Closed like a producer: the consumer goes silent. */
    ASSERT_EQ(0, rtc_core_producer_close(f.core, P_VIDEO));
    len = vp8(buf, 20, true);
    ASSERT_EQ(-SQ_ENOTFOUND, rtc_core_mirror_receive(f.core, P_VIDEO, buf, len, 0, T0 + 3000));
    fixture_free(&f);
}

/* Simulcast mirror: what its consumers want goes to the owner each layer
 * tick; a mirror never emits LAYERS_CHANGED itself. */
TEST(mesh_mirror_reports_wanted_layers_to_the_owner)
{
    struct fixture f;
    ASSERT_EQ(0, fixture_init(&f, 1));
    struct sdp_track t = video_track(3);
    ASSERT_EQ(0, rtc_core_mirror_create(f.core, P_VIDEO, 0, &t, T0));
    struct sdp_outgoing o = video_out();
    ASSERT_EQ(0, rtc_core_consumer_create(f.core, 70, SUB_T, P_VIDEO, &o, T0));
    uint8_t buf[1600];
    uint64_t now = T0;
    for (int i = 0; i < 30; i++) {   /* 3 s of all three layers at 10 fps */
        now += 100000;
        for (uint8_t layer = 0; layer < 3; layer++) {
            size_t len = vp8(buf, (uint16_t)(i + 1), i % 10 == 0);
            buf[11] = (uint8_t)(0x10 + layer); /* one SSRC per layer */
            rtc_core_mirror_receive(f.core, P_VIDEO, buf, len, layer, now);
        }
        rtc_core_handle_timeouts(f.core, now);
        tx_batch_flush(&f.sink.tx);
    }
    ASSERT(f.calls.report_wanted >= 10);
    ASSERT_EQ(0, f.calls.last_owner);
    ASSERT(f.calls.wanted_mask != 0);
    ASSERT_EQ(0, f.events.layers);
    fixture_free(&f);
}
