/* The media worker through the control-plane API (include/sabaq/sfu.h), on
 * real loopback sockets with ephemeral ports: start-up, candidates, STUN
 * connectivity checks answered by the worker thread (IPv4, dual stack, IPv6),
 * a DTLS handshake driven by the worker's timers and datagrams, drop
 * counters, events, argument checks and a clean stop. */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sabaq/clock.h"
#include "sabaq/dtls.h"
#include "sabaq/error.h"
#include "sabaq/sfu.h"
#include "sabaq/stun.h"

#define SERVER_UFRAG "srvU"
#define SERVER_PWD "serverpasswordserverpw"
#define PEER_FP \
    "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"

static atomic_int wakes;

static void count_wake(void *arg)
{
    (void)arg;
    atomic_fetch_add(&wakes, 1);
}

static struct sfu *start(const char *bind)
{
    struct sfu_config cfg = {
        .bind_address = bind,
        .port = 0,
        .announce = {"192.0.2.10", "2001:db8::10"},
        .consent_timeout_ms = 30000,
        .wake = count_wake,
    };
    return sfu_start(&cfg);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool has_ipv6_loopback(void)
{
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd < 0)
        return false;
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

/* A test peer on loopback; *self is its address, *server the sfu's. */
static int peer(int family, uint16_t server_port, struct sockaddr_storage *self,
                struct sockaddr_storage *server, socklen_t *server_len)
{
    int fd = socket(family, SOCK_DGRAM, 0);
    memset(server, 0, sizeof(*server));
    if (family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)server;
        s->sin_family = AF_INET;
        s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *server_len = sizeof(*s);
    } else {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)server;
        s->sin6_family = AF_INET6;
        s->sin6_addr = in6addr_loopback;
        *server_len = sizeof(*s);
    }
    struct sockaddr_storage any = *server;
    if (fd < 0 || bind(fd, (struct sockaddr *)&any, *server_len) != 0)
        return -1;
    socklen_t l = sizeof(*self);
    getsockname(fd, (struct sockaddr *)self, &l);
    if (family == AF_INET)
        ((struct sockaddr_in *)server)->sin_port = htons(server_port);
    else
        ((struct sockaddr_in6 *)server)->sin6_port = htons(server_port);
    return fd;
}

/* Sends Binding requests (retransmitted like a browser's, since the worker
 * may not have run the create command yet) until a response arrives. */
static int stun_check(int fd, const struct sockaddr_storage *server, socklen_t server_len,
                      const char *username, const char *pwd, uint8_t txid[STUN_TXID_LEN],
                      uint8_t *resp, size_t cap)
{
    uint8_t req[256];
    for (int i = 0; i < STUN_TXID_LEN; i++)
        txid[i] = (uint8_t)(0x40 + i);
    int len = stun_binding_request_write(req, sizeof(req), txid, username, 0x6e7f00ff,
                                         0x1122334455667788ull, true, (const uint8_t *)pwd,
                                         strlen(pwd));
    if (len < 0)
        return len;
    for (int attempt = 0; attempt < 20; attempt++) {
        sendto(fd, req, (size_t)len, 0, (const struct sockaddr *)server, server_len);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) == 1)
            return (int)recv(fd, resp, cap, 0);
    }
    return -1;
}

static void sum_drops(const struct sfu_stats *st, uint64_t *sum)
{
    *sum = st->drop_unknown_source + st->drop_malformed_stun + st->drop_stun_auth +
           st->drop_malformed_dtls + st->drop_malformed_rtp + st->drop_malformed_rtcp +
           st->drop_srtp + st->drop_unknown_ssrc + st->drop_not_demuxable + st->drop_oversize;
}

/* A verified success response to txid, carrying `expect` as XOR-MAPPED-ADDRESS. */
static void check_stun_answer(struct sfu *s, int family, const char *bind)
{
    ASSERT(s);
    struct sockaddr_storage self, server;
    socklen_t server_len;
    int fd = peer(family, sfu_port(s), &self, &server, &server_len);
    ASSERT(fd >= 0);
    ASSERT_EQ(0, sfu_transport_create(s, 1, SERVER_UFRAG, SERVER_PWD, "sha-256", PEER_FP));
    uint8_t txid[STUN_TXID_LEN], resp[256];
    int n = stun_check(fd, &server, server_len, SERVER_UFRAG ":peerU", SERVER_PWD, txid, resp,
                       sizeof(resp));
    close(fd);
    if (n <= 0)
        fprintf(stderr, "    no STUN answer on %s\n", bind);
    ASSERT(n > 0);
    struct stun_message m;
    ASSERT_EQ(0, stun_message_parse(&m, resp, (size_t)n));
    ASSERT_EQ(STUN_BINDING_SUCCESS, m.type);
    ASSERT_MEM_EQ(txid, m.txid, STUN_TXID_LEN);
    ASSERT(m.fingerprint_offset != 0);
    ASSERT_EQ(0, stun_message_check_integrity(&m, (const uint8_t *)SERVER_PWD, strlen(SERVER_PWD)));
    ASSERT(m.has_xor_mapped_address);
    /* The peer's own address, in its own family (no v4-mapped form leaks out). */
    ASSERT_EQ(family, m.xor_mapped_address.ss_family);
    if (family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&m.xor_mapped_address;
        const struct sockaddr_in *b = (const struct sockaddr_in *)&self;
        ASSERT_EQ(b->sin_port, a->sin_port);
        ASSERT_EQ(b->sin_addr.s_addr, a->sin_addr.s_addr);
    } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&m.xor_mapped_address;
        const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)&self;
        ASSERT_EQ(b->sin6_port, a->sin6_port);
        ASSERT_MEM_EQ(&b->sin6_addr, &a->sin6_addr, 16);
    }
}

TEST(sfu_start_reports_port_fingerprint_and_host_candidates)
{
    struct sfu *s = start("127.0.0.1");
    ASSERT(s);
    uint16_t port = sfu_port(s);
    ASSERT(port != 0);
    const char *fp = sfu_fingerprint(s);
    ASSERT(fp);
    ASSERT_EQ(95, strlen(fp));
    ASSERT(fp == sfu_fingerprint(s)); /* made once, immutable */
    struct sdp_candidate c[SDP_MAX_CANDIDATES];
    ASSERT_EQ(2, sfu_candidates(s, c, SDP_MAX_CANDIDATES));
    ASSERT_STR_EQ("1", c[0].foundation);
    ASSERT_EQ(1, c[0].component);
    ASSERT_STR_EQ("udp", c[0].transport);
    ASSERT_EQ(2130706431u, c[0].priority);
    ASSERT_STR_EQ("192.0.2.10", c[0].address);
    ASSERT_EQ(port, c[0].port);
    ASSERT_STR_EQ("host", c[0].type);
    ASSERT_EQ(2130706430u, c[1].priority);
    ASSERT_STR_EQ("2001:db8::10", c[1].address);
    ASSERT_EQ(port, c[1].port);
    ASSERT_EQ(1, sfu_candidates(s, c, 1));
    sfu_stop(s);
}

TEST(sfu_start_fails_on_an_address_it_cannot_bind)
{
    struct sfu_config cfg = {.bind_address = "not-an-address", .port = 0};
    ASSERT(!sfu_start(&cfg));
    cfg.bind_address = "192.0.2.1"; /* TEST-NET: not on this machine */
    ASSERT(!sfu_start(&cfg));
}

TEST(sfu_answers_stun_binding_on_ipv4)
{
    struct sfu *s = start("127.0.0.1");
    check_stun_answer(s, AF_INET, "127.0.0.1");
    sfu_stop(s);
}

TEST(sfu_answers_ipv4_stun_binding_on_dual_stack)
{
    if (!has_ipv6_loopback())
        return;
    struct sfu *s = start("::");
    check_stun_answer(s, AF_INET, "::");
    sfu_stop(s);
}

TEST(sfu_answers_ipv6_stun_binding_on_dual_stack)
{
    if (!has_ipv6_loopback())
        return;
    struct sfu *s = start("::");
    check_stun_answer(s, AF_INET6, "::");
    sfu_stop(s);
}

TEST(sfu_counts_garbage_datagrams_as_drops)
{
    struct sfu *s = start("127.0.0.1");
    ASSERT(s);
    struct sockaddr_storage self, server;
    socklen_t server_len;
    int fd = peer(AF_INET, sfu_port(s), &self, &server, &server_len);
    ASSERT(fd >= 0);
    struct sfu_stats st;
    uint64_t before, after = 0;
    sleep_ms(250); /* the first snapshot is published at start */
    sfu_stats_get(s, &st);
    sum_drops(&st, &before);
    uint64_t rx_before = st.rx_packets;
    static const uint8_t garbage[][8] = {
        {0xff, 1, 2, 3}, {0x10, 0, 0, 0}, {0x80, 0x60, 0, 1}, {0, 1, 0, 0}, {0x16, 0xfe, 0xfd},
    };
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
        sendto(fd, garbage[i], sizeof(garbage[i]), 0, (struct sockaddr *)&server, server_len);
    /* The snapshot is published every ~200 ms: allow a few periods. */
    for (int i = 0; i < 20 && after < before + 5; i++) {
        sleep_ms(50);
        sfu_stats_get(s, &st);
        sum_drops(&st, &after);
    }
    close(fd);
    ASSERT_EQ(before + 5, after);
    ASSERT_EQ(rx_before + 5, st.rx_packets);
    ASSERT_EQ(0, st.drop_tx);
    sfu_stop(s);
}

TEST(sfu_counts_transports_in_stats)
{
    struct sfu *s = start("127.0.0.1");
    ASSERT(s);
    ASSERT_EQ(0, sfu_transport_create(s, 1, "ufragA", SERVER_PWD, "sha-256", PEER_FP));
    ASSERT_EQ(0, sfu_transport_create(s, 2, "ufragB", SERVER_PWD, "sha-256", PEER_FP));
    struct sfu_stats st = {0};
    for (int i = 0; i < 20 && st.transports != 2; i++) {
        sleep_ms(50);
        sfu_stats_get(s, &st);
    }
    ASSERT_EQ(2, st.transports);
    ASSERT_EQ(0, sfu_transport_close(s, 1));
    for (int i = 0; i < 20 && st.transports != 1; i++) {
        sleep_ms(50);
        sfu_stats_get(s, &st);
    }
    ASSERT_EQ(1, st.transports);
    sfu_stop(s); /* transport 2 still open: freed by the stop (ASan checks) */
}

TEST(sfu_reports_a_refused_transport_as_closed_event)
{
    struct sfu *s = start("127.0.0.1");
    ASSERT(s);
    int wakes_before = atomic_load(&wakes);
    ASSERT_EQ(0, sfu_transport_create(s, 7, "ufragA", SERVER_PWD, "sha-256", PEER_FP));
    /* Same ufrag again: the core cannot demultiplex two transports by it. */
    ASSERT_EQ(0, sfu_transport_create(s, 8, "ufragA", SERVER_PWD, "sha-256", PEER_FP));
    struct sfu_event ev;
    int got = 0;
    for (int i = 0; i < 40 && !got; i++) {
        sleep_ms(25);
        got = sfu_poll_event(s, &ev);
    }
    ASSERT_EQ(1, got);
    ASSERT(atomic_load(&wakes) > wakes_before);
    ASSERT_EQ(SFU_EVENT_TRANSPORT_CLOSED, ev.type);
    ASSERT_EQ(8, ev.id);
    ASSERT(strstr(ev.detail, "create failed") != NULL);
    ASSERT_EQ(0, sfu_poll_event(s, &ev));
    sfu_stop(s);
}

TEST(sfu_refuses_bad_arguments)
{
    struct sfu *s = start("127.0.0.1");
    ASSERT(s);
    char long_ufrag[40];
    memset(long_ufrag, 'u', sizeof(long_ufrag) - 1);
    long_ufrag[sizeof(long_ufrag) - 1] = '\0';
    ASSERT_EQ(-SQ_EINVAL, sfu_transport_create(s, 1, NULL, SERVER_PWD, "sha-256", PEER_FP));
    ASSERT_EQ(-SQ_EINVAL, sfu_transport_create(s, 1, "", SERVER_PWD, "sha-256", PEER_FP));
    ASSERT_EQ(-SQ_EINVAL, sfu_transport_create(s, 1, "u", NULL, "sha-256", PEER_FP));
    ASSERT_EQ(-SQ_EINVAL, sfu_transport_create(s, 1, long_ufrag, SERVER_PWD, "sha-256", PEER_FP));
    ASSERT_EQ(-SQ_EINVAL, sfu_transport_create(s, 1, "u", SERVER_PWD, "sha-256", NULL));
    ASSERT_EQ(-SQ_EINVAL, sfu_transport_create(s, 1, "u", SERVER_PWD, NULL, PEER_FP));
    ASSERT_EQ(-SQ_EINVAL, sfu_transport_create(s, 1, "u", SERVER_PWD, "", PEER_FP));
    ASSERT_EQ(-SQ_EINVAL, sfu_producer_create(s, 1, 1, NULL));
    ASSERT_EQ(-SQ_EINVAL, sfu_consumer_create(s, 1, 1, 1, NULL));
    ASSERT_EQ(-SQ_EINVAL, sfu_transport_close(NULL, 1));
    struct sfu_event ev;
    ASSERT_EQ(0, sfu_poll_event(s, &ev));
    sfu_stop(s);
    sfu_stop(NULL);
}

TEST(sfu_stop_is_clean_with_commands_still_queued)
{
    struct sfu *s = start("127.0.0.1");
    ASSERT(s);
    struct sdp_track track = {.mid = "0", .kind = SDP_KIND_AUDIO, .payload_type = 111,
                              .clock_rate = 48000, .ssrc = 1234};
    struct sdp_outgoing out = {.mid = "0", .kind = SDP_KIND_AUDIO, .active = true, .ssrc = 5678,
                               .cname = "c", .stream_id = "s", .track_id = "t"};
    for (uint32_t i = 0; i < 50; i++) {
        char ufrag[16];
        snprintf(ufrag, sizeof(ufrag), "u%u", (unsigned)i);
        ASSERT_EQ(0, sfu_transport_create(s, 100 + i, ufrag, SERVER_PWD, "sha-256", PEER_FP));
        ASSERT_EQ(0, sfu_producer_create(s, 200 + i, 100 + i, &track));
        ASSERT_EQ(0, sfu_producer_set_paused(s, 200 + i, i % 2));
        ASSERT_EQ(0, sfu_consumer_create(s, 300 + i, 100 + i, 200 + i, &out));
    }
    sfu_stop(s); /* runs the queue, then frees every transport, producer, consumer */
}

/* Runs the client side of the handshake until it and the worker agree; the
 * worker's half is driven by datagrams and its DTLS retransmit timer. */
static bool dtls_handshake(struct dtls_conn *cli, int fd, const struct sockaddr_storage *server,
                           socklen_t server_len)
{
    uint8_t buf[2048];
    if (dtls_conn_connect(cli, sq_now_us()) != 0)
        return false;
    uint64_t give_up = sq_now_us() + 5000000;
    while (dtls_conn_state(cli) != DTLS_STATE_CONNECTED && sq_now_us() < give_up) {
        int n;
        while ((n = dtls_conn_poll_transmit(cli, buf, sizeof(buf))) > 0)
            sendto(fd, buf, (size_t)n, 0, (const struct sockaddr *)server, server_len);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) == 1) {
            n = (int)recv(fd, buf, sizeof(buf), 0);
            if (n > 0 && !stun_is_message(buf, (size_t)n))
                dtls_conn_receive(cli, buf, (size_t)n, sq_now_us());
        }
        if (sq_now_us() >= dtls_conn_next_deadline_us(cli))
            dtls_conn_handle_timeout(cli, sq_now_us());
    }
    return dtls_conn_state(cli) == DTLS_STATE_CONNECTED;
}

TEST(sfu_connects_a_peer_over_stun_and_dtls_and_reports_it)
{
    struct sfu *s = start("127.0.0.1");
    ASSERT(s);
    struct dtls_cert *cert = dtls_cert_generate();
    struct dtls_conn *cli = cert ? dtls_conn_new(cert, DTLS_ROLE_CLIENT) : NULL;
    struct sockaddr_storage self, server;
    socklen_t server_len;
    int fd = peer(AF_INET, sfu_port(s), &self, &server, &server_len);
    bool ok = cli && fd >= 0 &&
              dtls_conn_set_remote_fingerprint(cli, "sha-256", sfu_fingerprint(s)) == 0 &&
              sfu_transport_create(s, 42, SERVER_UFRAG, SERVER_PWD, "sha-256",
                                   dtls_cert_fingerprint(cert)) == 0;
    uint8_t txid[STUN_TXID_LEN], resp[256];
    int n = ok ? stun_check(fd, &server, server_len, SERVER_UFRAG ":peerU", SERVER_PWD, txid,
                            resp, sizeof(resp))
               : -1;
    bool connected = n > 0 && dtls_handshake(cli, fd, &server, server_len);
    struct sfu_event ev = {0};
    int got = 0;
    for (int i = 0; i < 100 && connected && !got; i++) {
        got = sfu_poll_event(s, &ev);
        if (!got)
            sleep_ms(10);
    }
    if (fd >= 0)
        close(fd);
    dtls_conn_free(cli);
    dtls_cert_free(cert);
    sfu_stop(s);
    ASSERT(ok);
    ASSERT(n > 0);
    ASSERT(connected);
    ASSERT_EQ(1, got);
    ASSERT_EQ(SFU_EVENT_TRANSPORT_CONNECTED, ev.type);
    ASSERT_EQ(42, ev.id);
    ASSERT(ev.detail[0] != '\0'); /* the SRTP profile */
}
