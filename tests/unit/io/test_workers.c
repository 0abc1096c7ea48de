/* Several media workers on real loopback sockets, through the control-plane
 * API: a publisher on one worker, subscribers on both, media decrypted once
 * and re-encrypted for every subscriber whatever its worker; a keyframe
 * request from a consumer on the other worker reaching the publisher; STUN
 * checks and later datagrams that the kernel delivered to the wrong
 * worker's socket reaching the transport's worker. Run it under
 * ThreadSanitizer too (README, "Workers"). */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sabaq/clock.h"
#include "sabaq/error.h"
#include "sabaq/rtp.h"
#include "sabaq/sfu.h"
#include "sabaq/srtp_session.h"
#include "sabaq/stun.h"

#define N_SUBS 4
#define PUB_T 1
#define SUB_T0 2
#define P_AUDIO 10
#define P_VIDEO 11
#define PUB_ASSRC 0x0a0a0a0au
#define PUB_VSSRC 0x0b0b0b0bu
#define PT_OPUS 111
#define PT_VP8 96
#define AUDIO_WANTED 20
#define VIDEO_WANTED 10
#define DEADLINE_US 5000000ull   /* generous: the machine is shared */

struct peer {
    int fd;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    struct srtp_keys keys;       /* as Sabaq sees them */
    struct srtp_in *in;          /* what Sabaq sends to this peer */
    struct srtp_out *out;        /* what this peer sends to Sabaq */
    int worker;
    uint32_t assrc, vssrc;
    bool has_video;
    unsigned audio, video;       /* packets received intact */
    unsigned bad;                /* received but not as sent */
};

static struct srtp_keys keys_for(unsigned n, enum srtp_profile profile)
{
    struct srtp_keys k = {.profile = profile, .key_len = 16};
    k.salt_len = profile == SRTP_PROFILE_AEAD_AES_128_GCM ? 12 : 14;
    for (size_t i = 0; i < sizeof(k.local_key); i++) {
        k.local_key[i] = (uint8_t)(n * 31 + i);
        k.remote_key[i] = (uint8_t)(n * 17 + i * 3);
    }
    for (size_t i = 0; i < sizeof(k.local_salt); i++) {
        k.local_salt[i] = (uint8_t)(n + i * 5);
        k.remote_salt[i] = (uint8_t)(n * 7 + i);
    }
    return k;
}

static struct srtp_keys peer_view(const struct srtp_keys *k)
{
    struct srtp_keys p = *k;
    memcpy(p.local_key, k->remote_key, sizeof(p.local_key));
    memcpy(p.local_salt, k->remote_salt, sizeof(p.local_salt));
    memcpy(p.remote_key, k->local_key, sizeof(p.remote_key));
    memcpy(p.remote_salt, k->local_salt, sizeof(p.remote_salt));
    return p;
}

static int open_peer(struct peer *p, unsigned n, enum srtp_profile profile)
{
    memset(p, 0, sizeof(*p));
    p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (p->fd < 0 || bind(p->fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        return -1;
    p->addr_len = sizeof(p->addr);
    getsockname(p->fd, (struct sockaddr *)&p->addr, &p->addr_len);
    p->keys = keys_for(n, profile);
    struct srtp_keys view = peer_view(&p->keys);
    p->in = srtp_in_new(&view);
    p->out = srtp_out_new(&view);
    return p->in && p->out ? 0 : -1;
}

static void close_peer(struct peer *p)
{
    if (p->fd >= 0)
        close(p->fd);
    srtp_in_free(p->in);
    srtp_out_free(p->out);
}

static struct sockaddr_in server_addr(struct sfu *s)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(sfu_port(s))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static struct sdp_track track(enum sdp_media_kind kind)
{
    struct sdp_track t = {0};
    t.kind = kind;
    strcpy(t.mid, kind == SDP_KIND_AUDIO ? "0" : "1");
    t.payload_type = kind == SDP_KIND_AUDIO ? PT_OPUS : PT_VP8;
    t.clock_rate = kind == SDP_KIND_AUDIO ? 48000 : 90000;
    t.ssrc = kind == SDP_KIND_AUDIO ? PUB_ASSRC : PUB_VSSRC;
    if (kind == SDP_KIND_VIDEO)
        t.feedback = SDP_FB_NACK | SDP_FB_NACK_PLI;
    return t;
}

static struct sdp_outgoing outgoing(enum sdp_media_kind kind, uint32_t ssrc)
{
    struct sdp_outgoing o = {0};
    strcpy(o.mid, kind == SDP_KIND_AUDIO ? "a" : "v");
    o.kind = kind;
    o.active = true;
    o.ssrc = ssrc;
    strcpy(o.cname, "c");
    return o;
}

/* Payloads carry a magic and a counter, so a subscriber can tell the copy
 * it got is a packet that was sent, byte for byte. */
#define MAGIC 0x5ab4c0deu

static void send_media(struct peer *pub, const struct sockaddr_in *to, bool video, uint16_t seq,
                       uint32_t counter, bool key)
{
    uint8_t pkt[256 + SRTP_MAX_TRAILER], payload[64];
    size_t n = 0;
    if (video) {
        static const uint8_t hdr[11] = {0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a,
                                        0x40, 0x01, 0xf0, 0x00};
        memcpy(payload, hdr, sizeof(hdr));
        if (!key)
            payload[1] |= 0x01;
        n = sizeof(hdr);
    }
    uint32_t words[2] = {htonl(MAGIC), htonl(counter)};
    memcpy(payload + n, words, sizeof(words));
    n += sizeof(words);
    struct rtp_header h = {.marker = true, .payload_type = video ? PT_VP8 : PT_OPUS, .seq = seq,
                           .timestamp = counter * (video ? 3000u : 960u),
                           .ssrc = video ? PUB_VSSRC : PUB_ASSRC};
    int hl = rtp_header_write(pkt, sizeof(pkt), &h, NULL, 0);
    if (hl < 0)
        return;
    memcpy(pkt + hl, payload, n);
    size_t len = (size_t)hl + n;
    if (srtp_out_protect_rtp(pub->out, pkt, &len, sizeof(pkt), 0) == 0)
        sendto(pub->fd, pkt, len, 0, (const struct sockaddr *)to, sizeof(*to));
}

static bool has_magic(const struct rtp_packet *r, size_t skip, uint32_t sent)
{
    uint32_t w[2];
    if (r->payload_len != skip + sizeof(w))
        return false;
    memcpy(w, r->payload + skip, sizeof(w));
    return ntohl(w[0]) == MAGIC && ntohl(w[1]) < sent;
}

static void drain_sub(struct peer *p, uint32_t sent)
{
    uint8_t buf[2048];
    for (;;) {
        ssize_t r = recv(p->fd, buf, sizeof(buf), 0);
        if (r <= 0)
            return;
        size_t len = (size_t)r;
        if (rtp_is_rtcp(buf, len))
            continue;            /* sender reports */
        struct rtp_packet rtp;
        if (srtp_in_unprotect_rtp(p->in, buf, &len) != 0 || rtp_packet_parse(&rtp, buf, len) < 0) {
            p->bad++;
            continue;
        }
        if (rtp.ssrc == p->assrc && rtp.payload_type == SDP_SUB_PT_OPUS && has_magic(&rtp, 0, sent))
            p->audio++;
        else if (rtp.ssrc == p->vssrc && rtp.payload_type == SDP_SUB_PT_VP8 &&
                 has_magic(&rtp, 11, sent))
            p->video++;
        else
            p->bad++;
    }
}

/* A PLI (RFC 4585 sec. 6.3.1) for the publisher's video SSRC. */
static bool got_pli(struct peer *pub)
{
    uint8_t buf[2048];
    for (;;) {
        ssize_t r = recv(pub->fd, buf, sizeof(buf), 0);
        if (r <= 0)
            return false;
        size_t len = (size_t)r;
        if (!rtp_is_rtcp(buf, len) || srtp_in_unprotect_rtcp(pub->in, buf, &len) != 0)
            continue;
        for (size_t off = 0; off + 12 <= len;) {
            size_t plen = 4 * ((size_t)(buf[off + 2] << 8 | buf[off + 3]) + 1);
            uint32_t media = (uint32_t)buf[off + 8] << 24 | (uint32_t)buf[off + 9] << 16 |
                             (uint32_t)buf[off + 10] << 8 | buf[off + 11];
            if (buf[off + 1] == 206 && (buf[off] & 0x1f) == 1 && media == PUB_VSSRC)
                return true;
            off += plen;
        }
    }
}

static bool all_received(const struct peer *subs)
{
    for (int i = 0; i < N_SUBS; i++)
        if (subs[i].audio < AUDIO_WANTED || (subs[i].has_video && subs[i].video < VIDEO_WANTED))
            return false;
    return true;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* Publisher on one worker; audio to every subscriber, video only to those
 * on the other worker, so the publisher hears a PLI only if a mirror's
 * keyframe request reached the owner. */
static void fan_out_across_workers(enum srtp_profile profile)
{
    struct sfu_config cfg = {.bind_address = "127.0.0.1", .workers = 2,
                             .announce = {"127.0.0.1"}};
    struct sfu *s = sfu_start(&cfg);
    ASSERT(s);
    struct sockaddr_in to = server_addr(s);
    struct peer pub, subs[N_SUBS];
    ASSERT_EQ(0, open_peer(&pub, 0, profile));
    ASSERT_EQ(0, sfu_transport_create_connected(s, PUB_T, &pub.keys, &pub.addr, pub.addr_len));
    pub.worker = sfu_transport_worker(s, PUB_T);
    struct sdp_track a = track(SDP_KIND_AUDIO), v = track(SDP_KIND_VIDEO);
    ASSERT_EQ(0, sfu_producer_create(s, P_AUDIO, PUB_T, &a));
    ASSERT_EQ(0, sfu_producer_create(s, P_VIDEO, PUB_T, &v));
    int on_other = 0, on_same = 0;
    for (int i = 0; i < N_SUBS; i++) {
        struct peer *p = &subs[i];
        uint32_t t = (uint32_t)(SUB_T0 + i);
        ASSERT_EQ(0, open_peer(p, (unsigned)(1 + i), profile));
        ASSERT_EQ(0, sfu_transport_create_connected(s, t, &p->keys, &p->addr, p->addr_len));
        p->worker = sfu_transport_worker(s, t);
        p->assrc = 0x1000u + (uint32_t)i;
        p->vssrc = 0x2000u + (uint32_t)i;
        struct sdp_outgoing oa = outgoing(SDP_KIND_AUDIO, p->assrc);
        ASSERT_EQ(0, sfu_consumer_create(s, (uint32_t)(100 + i), t, P_AUDIO, &oa));
        on_other += p->worker != pub.worker;
        on_same += p->worker == pub.worker;
    }
    /* Sessions are spread: subscribers on the publisher's worker and on the other. */
    ASSERT(on_other > 0 && on_same > 0);
    for (int i = 0; i < N_SUBS; i++) {
        struct peer *p = &subs[i];
        if (p->worker == pub.worker)
            continue;
        struct sdp_outgoing ov = outgoing(SDP_KIND_VIDEO, p->vssrc);
        ASSERT_EQ(0, sfu_consumer_create(s, (uint32_t)(200 + i), (uint32_t)(SUB_T0 + i), P_VIDEO,
                                         &ov));
        p->has_video = true;
    }
    /* Media every 5 ms (a keyframe every 10th video packet) until every
     * subscriber has enough, or the deadline. */
    bool pli = false;
    uint32_t sent = 0;
    uint64_t start = sq_now_us();
    while (sq_now_us() - start < DEADLINE_US && !(all_received(subs) && pli)) {
        send_media(&pub, &to, false, (uint16_t)(1000 + sent), sent, false);
        send_media(&pub, &to, true, (uint16_t)(5000 + sent), sent, sent % 10 == 0);
        sent++;
        sleep_ms(5);
        for (int i = 0; i < N_SUBS; i++)
            drain_sub(&subs[i], sent);
        pli = pli || got_pli(&pub);
    }
    for (int i = 0; i < N_SUBS; i++) {
        if (subs[i].audio < AUDIO_WANTED || (subs[i].has_video && subs[i].video < VIDEO_WANTED))
            fprintf(stderr, "    subscriber %d (worker %d, publisher's %d): %u audio, %u video\n",
                    i, subs[i].worker, pub.worker, subs[i].audio, subs[i].video);
        ASSERT(subs[i].audio >= AUDIO_WANTED);
        ASSERT_EQ(0, subs[i].bad);
        if (subs[i].has_video)
            ASSERT(subs[i].video >= VIDEO_WANTED);
        else
            ASSERT_EQ(0, subs[i].video);
    }
    ASSERT(pli);
    /* Counters arrive every ~200 ms: wait for the numbers to settle. */
    struct sfu_stats st;
    for (int i = 0; i < 100; i++) {
        sfu_stats_get(s, &st);
        if (st.mesh_shared > 0 && st.consumers == (uint64_t)(N_SUBS + on_other))
            break;
        sleep_ms(20);
    }
    ASSERT(st.mesh_shared > 0);  /* handed to the other worker by reference */
    ASSERT_EQ(2, st.producers); /* mirrors are not counted */
    ASSERT_EQ(N_SUBS + on_other, st.consumers);
    /* Closing the producer closes its mirror: the consumers go silent. */
    ASSERT_EQ(0, sfu_producer_close(s, P_VIDEO));
    for (int i = 0; i < 100; i++) {
        sfu_stats_get(s, &st);
        if (st.producers == 1)
            break;
        sleep_ms(20);
    }
    ASSERT_EQ(1, st.producers);
    sfu_stop(s);
    for (int i = 0; i < N_SUBS; i++)
        close_peer(&subs[i]);
    close_peer(&pub);
}

TEST(workers_forward_a_publishers_media_to_subscribers_on_every_worker_gcm)
{
    fan_out_across_workers(SRTP_PROFILE_AEAD_AES_128_GCM);
}

TEST(workers_forward_a_publishers_media_to_subscribers_on_every_worker_cm)
{
    fan_out_across_workers(SRTP_PROFILE_AES128_CM_SHA1_80);
}

#define N_ICE 16
#define ICE_PWD "serverpasswordserverpw"
#define ICE_FP \
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"

/* One Binding request (sent up to `attempts` times, 100 ms apart, while
 * unanswered); true on a success response. */
static bool stun_check(int fd, const struct sockaddr_in *to, const char *username,
                       const char *pwd, int attempts)
{
    uint8_t req[256], resp[256], txid[STUN_TXID_LEN];
    for (int i = 0; i < STUN_TXID_LEN; i++)
        txid[i] = (uint8_t)(0x30 + i);
    int len = stun_binding_request_write(req, sizeof(req), txid, username, 0x6e7f00ff,
                                         0x1122334455667788ull, true, (const uint8_t *)pwd,
                                         strlen(pwd));
    if (len < 0)
        return false;
    for (int attempt = 0; attempt < attempts; attempt++) {
        sendto(fd, req, (size_t)len, 0, (const struct sockaddr *)to, sizeof(*to));
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) != 1)
            continue;
        ssize_t n = recv(fd, resp, sizeof(resp), 0);
        struct stun_message m;
        return n > 0 && stun_message_parse(&m, resp, (size_t)n) == 0 &&
               m.type == STUN_BINDING_SUCCESS && memcmp(m.txid, txid, STUN_TXID_LEN) == 0;
    }
    return false;
}

static struct sfu *start_two_workers(void)
{
    struct sfu_config cfg = {.bind_address = "127.0.0.1", .workers = 2,
                             .announce = {"127.0.0.1"}};
    return sfu_start(&cfg);
}

/* A UDP socket on 127.0.0.1 (an ephemeral port): one peer. -1 on failure. */
static int loopback_socket(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static bool stun_ok(int fd, const struct sockaddr_in *to, const char *username)
{
    return stun_check(fd, to, username, ICE_PWD, 30);
}

/* The kernel spreads the 16 peers over both sockets by 4-tuple hash, which
 * ignores which worker holds each transport: about half the checks land on
 * the wrong worker (all landing right: 2^-16). Each is answered all the
 * same, and after it the peer's other datagrams follow the claim: an
 * SRTP-looking packet reaches its (not yet connected) transport, not the
 * "unknown source" drop. */
TEST(workers_route_stun_and_later_datagrams_to_the_transports_worker)
{
    struct sfu *s = start_two_workers();
    ASSERT(s);
    struct sockaddr_in to = server_addr(s);
    int fds[N_ICE];
    int per_worker[2] = {0, 0};
    for (int i = 0; i < N_ICE; i++) {
        char ufrag[16];
        snprintf(ufrag, sizeof(ufrag), "uf%02d", i);
        ASSERT_EQ(0, sfu_transport_create(s, (uint32_t)(1 + i), ufrag, ICE_PWD, "sha-256", ICE_FP));
        per_worker[sfu_transport_worker(s, (uint32_t)(1 + i))]++;
        fds[i] = loopback_socket();
        ASSERT(fds[i] >= 0);
    }
    ASSERT_EQ(N_ICE / 2, per_worker[0]);
    ASSERT_EQ(N_ICE / 2, per_worker[1]);
    for (int i = 0; i < N_ICE; i++) {
        char username[32];
        snprintf(username, sizeof(username), "uf%02d:peer", i);
        ASSERT(stun_ok(fds[i], &to, username));
    }
    /* An RTP-looking datagram from each peer. */
    static const uint8_t fake[20] = {0x80, 0x60, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4};
    for (int i = 0; i < N_ICE; i++)
        sendto(fds[i], fake, sizeof(fake), 0, (const struct sockaddr *)&to, sizeof(to));
    struct sfu_stats st;
    for (int i = 0; i < 150; i++) {
        sfu_stats_get(s, &st);
        if (st.drop_srtp + st.drop_unknown_source >= N_ICE)
            break;
        sleep_ms(20);
    }
    ASSERT(st.mesh_forwarded > 0);
    ASSERT_EQ(0, st.drop_unknown_source);
    ASSERT_EQ(N_ICE, st.drop_srtp); /* each reached its transport, which has no keys yet */
    for (int i = 0; i < N_ICE; i++)
        close(fds[i]);
    sfu_stop(s);
}

/* ICE restart with two workers: checks with a transport's new ufrag reach
 * it from either socket (the other worker learnt the new route), the old
 * ufrag is answered by neither, and a ufrag in use elsewhere is refused. */
TEST(workers_route_a_restarted_transports_new_ufrag_only)
{
    struct sfu *s = start_two_workers();
    ASSERT(s);
    struct sockaddr_in to = server_addr(s);
    int fds[N_ICE];
    for (int i = 0; i < N_ICE; i++) {
        char ufrag[16];
        snprintf(ufrag, sizeof(ufrag), "old%02d", i);
        ASSERT_EQ(0, sfu_transport_create(s, (uint32_t)(1 + i), ufrag, ICE_PWD, "sha-256", ICE_FP));
        fds[i] = loopback_socket();
        ASSERT(fds[i] >= 0);
    }
    ASSERT_EQ(-SQ_EEXIST, sfu_transport_restart_ice(s, 1, "old01", "newpasswordnewpassword"));
    ASSERT_EQ(-SQ_ENOTFOUND, sfu_transport_restart_ice(s, 99, "new99", "newpasswordnewpassword"));
    ASSERT_EQ(-SQ_EINVAL, sfu_transport_restart_ice(s, 1, "", "newpasswordnewpassword"));
    for (int i = 0; i < N_ICE; i++) {
        char ufrag[16];
        snprintf(ufrag, sizeof(ufrag), "new%02d", i);
        ASSERT_EQ(0, sfu_transport_restart_ice(s, (uint32_t)(1 + i), ufrag,
                                               "newpasswordnewpassword"));
    }
    for (int i = 0; i < N_ICE; i++) {
        char username[32];
        snprintf(username, sizeof(username), "new%02d:peer", i);
        ASSERT(stun_check(fds[i], &to, username, "newpasswordnewpassword", 30));
    }
    /* Some checks came in on the other worker (stats are published by the
     * workers now and then). */
    struct sfu_stats st;
    for (int i = 0; i < 100; i++) {
        sfu_stats_get(s, &st);
        if (st.mesh_forwarded > 0)
            break;
        sleep_ms(20);
    }
    ASSERT(st.mesh_forwarded > 0);
    for (int i = 0; i < 4; i++) {
        char username[32];
        snprintf(username, sizeof(username), "old%02d:peer", i);
        ASSERT(!stun_check(fds[i], &to, username, ICE_PWD, 3));
    }
    for (int i = 0; i < N_ICE; i++)
        close(fds[i]);
    sfu_stop(s);
}
