/* The worker's UDP socket on loopback: families, options, batched receive and
 * send, and the addresses passed through untouched (v4-mapped on "::"). */
#include "test.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sabaq/error.h"
#include "io/udp.h"

static int family_of(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    return ss.ss_family;
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

/* A plain test peer bound to an ephemeral loopback port. */
static int peer_socket(int family, struct sockaddr_storage *addr, socklen_t *len)
{
    int fd = socket(family, SOCK_DGRAM, 0);
    struct sockaddr_storage a = {0};
    if (family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&a;
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof(*s4);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_loopback;
        *len = sizeof(*s6);
    }
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, *len) != 0)
        return -1;
    socklen_t l = sizeof(*addr);
    getsockname(fd, (struct sockaddr *)addr, &l);
    *len = l;
    return fd;
}

static struct sockaddr_in loopback4(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static bool wait_readable(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 1;
}

TEST(udp_open_ipv4_literal_is_inet_nonblocking_on_ephemeral_port)
{
    int fd = udp_open("127.0.0.1", 0);
    ASSERT(fd >= 0);
    ASSERT_EQ(AF_INET, family_of(fd));
    ASSERT(udp_port(fd) != 0);
    ASSERT(fcntl(fd, F_GETFL) & O_NONBLOCK);
    socklen_t l;
    if (geteuid() == 0) { /* SO_RCVBUFFORCE: the kernel reports twice what was set */
        int size = 0;
        l = sizeof(size);
        ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &l));
        ASSERT(size >= UDP_SOCKET_BUFFER);
        ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &l));
        ASSERT(size >= UDP_SOCKET_BUFFER);
    }
    close(fd);
}

TEST(udp_open_any6_is_dual_stack)
{
    if (!has_ipv6_loopback())
        return;
    int fd = udp_open("::", 0);
    ASSERT(fd >= 0);
    ASSERT_EQ(AF_INET6, family_of(fd));
    int v6only = 1;
    socklen_t l = sizeof(v6only);
    ASSERT_EQ(0, getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &l));
    ASSERT_EQ(0, v6only);
    close(fd);
}

TEST(udp_open_ipv6_literal_is_inet6)
{
    if (!has_ipv6_loopback())
        return;
    int fd = udp_open("::1", 0);
    ASSERT(fd >= 0);
    ASSERT_EQ(AF_INET6, family_of(fd));
    close(fd);
}

TEST(udp_open_refuses_names_and_bad_literals)
{
    ASSERT_EQ(-SQ_EINVAL, udp_open("localhost", 0));
    ASSERT_EQ(-SQ_EINVAL, udp_open("1.2.3.400", 0));
    ASSERT_EQ(-SQ_EINVAL, udp_open("", 0));
    ASSERT_EQ(-SQ_EINVAL, udp_open(NULL, 0));
    /* A literal that is not ours: the bind fails. */
    ASSERT_EQ(-SQ_EIO, udp_open("192.0.2.1", 0));
}

TEST(udp_recv_batch_reads_several_datagrams_with_their_source)
{
    static struct udp_rx rx;
    int fd = udp_open("127.0.0.1", 0);
    ASSERT(fd >= 0);
    udp_rx_init(&rx);
    ASSERT_EQ(0, udp_recv_batch(fd, &rx)); /* nothing yet, no blocking */
    struct sockaddr_storage peer;
    socklen_t peer_len;
    int c = peer_socket(AF_INET, &peer, &peer_len);
    ASSERT(c >= 0);
    struct sockaddr_in to = loopback4(udp_port(fd));
    for (int i = 0; i < 3; i++) {
        uint8_t msg[100];
        memset(msg, 'a' + i, sizeof(msg));
        ASSERT_EQ(10 + i, sendto(c, msg, 10 + i, 0, (struct sockaddr *)&to, sizeof(to)));
    }
    ASSERT(wait_readable(fd, 1000));
    int n = udp_recv_batch(fd, &rx);
    ASSERT_EQ(3, n);
    for (int i = 0; i < 3; i++) {
        ASSERT_EQ(10 + i, rx.msgs[i].msg_len);
        ASSERT_EQ('a' + i, rx.buf[i][0]);
        ASSERT(!udp_rx_truncated(&rx, i));
        ASSERT_EQ(sizeof(struct sockaddr_in), rx.msgs[i].msg_hdr.msg_namelen);
        ASSERT_MEM_EQ(&peer, &rx.from[i], sizeof(struct sockaddr_in));
    }
    ASSERT_EQ(0, udp_recv_batch(fd, &rx));
    close(c);
    close(fd);
}

TEST(udp_recv_batch_flags_oversize_datagrams)
{
    static struct udp_rx rx;
    static uint8_t big[UDP_RX_BUF + 500];
    int fd = udp_open("127.0.0.1", 0);
    ASSERT(fd >= 0);
    udp_rx_init(&rx);
    struct sockaddr_storage peer;
    socklen_t peer_len;
    int c = peer_socket(AF_INET, &peer, &peer_len);
    struct sockaddr_in to = loopback4(udp_port(fd));
    ASSERT_EQ(sizeof(big), sendto(c, big, sizeof(big), 0, (struct sockaddr *)&to, sizeof(to)));
    ASSERT_EQ(4, sendto(c, "tiny", 4, 0, (struct sockaddr *)&to, sizeof(to)));
    ASSERT(wait_readable(fd, 1000));
    ASSERT_EQ(2, udp_recv_batch(fd, &rx));
    ASSERT(udp_rx_truncated(&rx, 0));
    ASSERT(!udp_rx_truncated(&rx, 1));
    ASSERT_EQ(4, rx.msgs[1].msg_len);
    close(c);
    close(fd);
}

static void no_flush(struct tx_batch *b, void *arg)
{
    (void)arg;
    b->n = 0;
}

static void put(struct tx_batch *b, const char *text, const void *to, socklen_t to_len)
{
    struct datagram *d = tx_batch_next(b);
    struct sockaddr_storage ss = {0};
    memcpy(&ss, to, to_len);
    memcpy(d->data, text, strlen(text));
    tx_batch_commit(b, strlen(text), &ss, to_len);
}

TEST(udp_send_batch_sends_all_and_skips_a_refused_datagram)
{
    static struct udp_tx tx;
    static struct datagram slots[4];
    struct tx_batch b = {.slots = slots, .cap = 4, .flush = no_flush};
    int fd = udp_open("127.0.0.1", 0);
    ASSERT(fd >= 0);
    struct sockaddr_storage peer;
    socklen_t peer_len;
    int c = peer_socket(AF_INET, &peer, &peer_len);
    ASSERT(c >= 0);
    struct sockaddr_in port0 = loopback4(0); /* the kernel refuses port 0 */
    put(&b, "first", &peer, peer_len);
    put(&b, "refused", &port0, sizeof(port0));
    put(&b, "third", &peer, peer_len);
    ASSERT_EQ(1, udp_send_batch(fd, &tx, &b));
    ASSERT_EQ(0, b.n);
    char buf[64];
    ASSERT(wait_readable(c, 1000));
    ASSERT_EQ(5, recv(c, buf, sizeof(buf), MSG_DONTWAIT));
    ASSERT_MEM_EQ("first", buf, 5);
    ASSERT_EQ(5, recv(c, buf, sizeof(buf), MSG_DONTWAIT));
    ASSERT_MEM_EQ("third", buf, 5);
    ASSERT_EQ(-1, recv(c, buf, sizeof(buf), MSG_DONTWAIT));
    close(c);
    close(fd);
}

TEST(udp_dual_stack_sees_ipv4_peers_v4_mapped_and_answers_them)
{
    static struct udp_rx rx;
    static struct udp_tx tx;
    static struct datagram slots[2];
    if (!has_ipv6_loopback())
        return;
    int fd = udp_open("::", 0);
    ASSERT(fd >= 0);
    udp_rx_init(&rx);
    struct sockaddr_storage peer;
    socklen_t peer_len;
    int c = peer_socket(AF_INET, &peer, &peer_len);
    ASSERT(c >= 0);
    struct sockaddr_in to = loopback4(udp_port(fd));
    ASSERT_EQ(4, sendto(c, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to)));
    ASSERT(wait_readable(fd, 1000));
    ASSERT_EQ(1, udp_recv_batch(fd, &rx));
    const struct sockaddr_in6 *from = (const struct sockaddr_in6 *)&rx.from[0];
    ASSERT_EQ(AF_INET6, from->sin6_family);
    ASSERT(IN6_IS_ADDR_V4MAPPED(&from->sin6_addr));
    ASSERT_MEM_EQ(&((struct sockaddr_in *)&peer)->sin_addr, &from->sin6_addr.s6_addr[12], 4);
    ASSERT_EQ(((struct sockaddr_in *)&peer)->sin_port, from->sin6_port);
    /* Sent back to exactly what was received. */
    struct tx_batch b = {.slots = slots, .cap = 2, .flush = no_flush};
    put(&b, "pong", &rx.from[0], rx.msgs[0].msg_hdr.msg_namelen);
    ASSERT_EQ(0, udp_send_batch(fd, &tx, &b));
    char buf[16];
    ASSERT(wait_readable(c, 1000));
    ASSERT_EQ(4, recv(c, buf, sizeof(buf), MSG_DONTWAIT));
    ASSERT_MEM_EQ("pong", buf, 4);
    close(c);
    close(fd);
}

TEST(udp_open_refuses_a_port_already_taken)
{
    int fd = udp_open("127.0.0.1", 0);
    ASSERT(fd >= 0);
    ASSERT(udp_open("127.0.0.1", udp_port(fd)) < 0);
    close(fd);
}
