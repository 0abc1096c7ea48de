/* UDP socket of a media worker: open, recvmmsg, sendmmsg (see udp.h). */
#include "io/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sabaq/error.h"

/* A full socket buffer drains in well under a millisecond at these rates;
 * after this many 1 ms waits the rest of the batch is dropped instead of
 * stalling every other peer on the worker. */
#define TX_FULL_RETRIES 3
#define TX_FULL_WAIT_MS 1

static void set_buffer(int fd, int force_opt, int opt)
{
    int size = UDP_SOCKET_BUFFER;
    /* The FORCE variants ignore net.core.[rw]mem_max but need CAP_NET_ADMIN;
     * without it the plain option gets what the sysctl allows. */
    if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) != 0)
        (void)setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

static int configure(int fd, const struct addrinfo *ai)
{
    int zero = 0;
    if (ai->ai_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ai->ai_addr;
        /* "::" serves IPv4 peers too, as v4-mapped addresses. */
        if (IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr) &&
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0)
            return -1;
    }
    /* No SO_REUSEADDR/SO_REUSEPORT: with them a second server started on the
     * same media port would bind without complaint and steal half the peers.
     * Several workers on one port will need REUSEPORT plus a guard of their own. */
    set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
    set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
    return bind(fd, ai->ai_addr, ai->ai_addrlen);
}

int udp_open(const char *bind_address, uint16_t port)
{
    struct addrinfo hints = {
        .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_DGRAM,
        .ai_protocol = IPPROTO_UDP,
    };
    struct addrinfo *ai = NULL;
    char service[8];
    if (!bind_address)
        return -SQ_EINVAL;
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    if (getaddrinfo(bind_address, service, &hints, &ai) != 0 || !ai) {
        errno = EINVAL;
        return -SQ_EINVAL;
    }
    int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    if (fd < 0) {
        freeaddrinfo(ai);
        return -SQ_EIO;
    }
    int rc = configure(fd, ai);
    int saved = errno;
    freeaddrinfo(ai);
    if (rc != 0) {
        close(fd);
        errno = saved;
        return -SQ_EIO;
    }
    return fd;
}

uint16_t udp_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

void udp_rx_init(struct udp_rx *rx)
{
    memset(rx->msgs, 0, sizeof(rx->msgs));
    for (int i = 0; i < UDP_RX_BATCH; i++) {
        rx->iov[i].iov_base = rx->buf[i];
        rx->iov[i].iov_len = UDP_RX_BUF;
        rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
        rx->msgs[i].msg_hdr.msg_iovlen = 1;
        rx->msgs[i].msg_hdr.msg_name = &rx->from[i];
    }
}

int udp_recv_batch(int fd, struct udp_rx *rx)
{
    /* recvmmsg overwrites the name lengths and flags: reset them each call. */
    for (int i = 0; i < UDP_RX_BATCH; i++) {
        rx->msgs[i].msg_hdr.msg_namelen = sizeof(rx->from[i]);
        rx->msgs[i].msg_hdr.msg_flags = 0;
    }
    for (;;) {
        int n = recvmmsg(fd, rx->msgs, UDP_RX_BATCH, MSG_DONTWAIT, NULL);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        /* ICMP errors reported on the socket (IP_RECVERR is off, but be safe):
         * nothing was read, the next call will read on. */
        if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH)
            continue;
        return -SQ_EIO;
    }
}

static void fill_msgs(struct udp_tx *tx, struct tx_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct datagram *d = &b->slots[i];
        tx->iov[i].iov_base = d->data;
        tx->iov[i].iov_len = d->len;
        memset(&tx->msgs[i], 0, sizeof(tx->msgs[i]));
        tx->msgs[i].msg_hdr.msg_name = &d->to;
        tx->msgs[i].msg_hdr.msg_namelen = d->to_len;
        tx->msgs[i].msg_hdr.msg_iov = &tx->iov[i];
        tx->msgs[i].msg_hdr.msg_iovlen = 1;
    }
}

size_t udp_send_batch(int fd, struct udp_tx *tx, struct tx_batch *b)
{
    size_t n = b->n < UDP_TX_BATCH ? b->n : UDP_TX_BATCH;
    size_t sent = 0, dropped = b->n - n;
    int waits = 0;
    b->n = n;
    fill_msgs(tx, b);
    while (sent < n) {
        int r = sendmmsg(fd, &tx->msgs[sent], (unsigned)(n - sent), 0);
        if (r > 0) {
            sent += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
            if (waits++ == TX_FULL_RETRIES)
                break;
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            (void)poll(&p, 1, TX_FULL_WAIT_MS);
            continue;
        }
        /* sendmmsg reports the error of the first unsent datagram (bad
         * address, EMSGSIZE, unreachable): skip that one and go on. */
        sent++;
        dropped++;
    }
    dropped += n - sent;
    b->n = 0;
    return dropped;
}
