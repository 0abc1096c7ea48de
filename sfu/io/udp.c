/* UDP socket of a media worker: open, recvmmsg, sendmmsg (see udp.h). */
#include "io/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/un.h>
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

static int configure(int fd, const struct addrinfo *ai, bool reuseport)
{
    int one = 1;
    int zero = 0;
    if (ai->ai_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ai->ai_addr;
        /* "::" serves IPv4 peers too, as v4-mapped addresses. */
        if (IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr) &&
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0)
            return -1;
    }
    /* No SO_REUSEADDR, and SO_REUSEPORT only for the sockets of one group
     * (udp_open_group guards the port first): otherwise a second server
     * started on the same media port would bind without complaint and steal
     * half the peers. */
    if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
        return -1;
    set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF);
    set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF);
    return bind(fd, ai->ai_addr, ai->ai_addrlen);
}

static int open_socket(const char *bind_address, uint16_t port, bool reuseport)
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
    int rc = configure(fd, ai, reuseport);
    int saved = errno;
    freeaddrinfo(ai);
    if (rc != 0) {
        close(fd);
        errno = saved;
        return -SQ_EIO;
    }
    return fd;
}

int udp_open(const char *bind_address, uint16_t port)
{
    return open_socket(bind_address, port, false);
}

/* Held for the life of the group: an abstract unix socket named after the
 * port (per network namespace, gone when the process is). */
static int lock_port(uint16_t port)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "sabaq-media-port-%u", (unsigned)port);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    if (bind(fd, (struct sockaddr *)&a, len) != 0) {
        int saved = errno;
        close(fd);
        errno = saved == EADDRINUSE ? EADDRINUSE : saved;
        return -1;
    }
    return fd;
}

int udp_open_group(const char *bind_address, uint16_t port, int *fds, unsigned n, int *lock_fd)
{
    /* A plain bind first: it fails on a port anyone holds (a server of the
     * one-socket kind, another group, any program), and for port 0 it asks
     * the kernel for a free one (bind(0) with SO_REUSEPORT could share a
     * port with another group of the same user). */
    int probe = open_socket(bind_address, port, false);
    if (probe < 0)
        return probe;
    uint16_t chosen = udp_port(probe);
    /* Two servers starting at once could both pass the probe between its
     * close and the group's bind: the lock lets only one through. */
    *lock_fd = lock_port(chosen);
    if (*lock_fd < 0) {
        int saved = errno;
        close(probe);
        errno = saved;
        return -SQ_EIO;
    }
    close(probe);
    for (unsigned i = 0; i < n; i++) {
        fds[i] = open_socket(bind_address, chosen, true);
        if (fds[i] < 0) {
            int rc = fds[i], saved = errno;
            while (i-- > 0)
                close(fds[i]);
            close(*lock_fd);
            *lock_fd = -1;
            errno = saved;
            return rc;
        }
    }
    return 0;
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
