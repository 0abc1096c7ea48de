/* The media worker's UDP socket: open it (dual stack, SO_REUSEPORT, large
 * buffers, non-blocking), read datagrams in batches with recvmmsg into
 * preallocated buffers, send a tx_batch with sendmmsg. Addresses pass through
 * untouched: on a dual-stack socket an IPv4 peer is a v4-mapped sockaddr_in6
 * and that is what the core sees and sends back to. */
#ifndef SABAQ_IO_UDP_H
#define SABAQ_IO_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rtc/datagram.h"

#define UDP_RX_BATCH 32
/* Larger than any datagram a WebRTC peer sends (they stay under ~1250 bytes),
 * so MSG_TRUNC only flags garbage. */
#define UDP_RX_BUF 2048
#define UDP_TX_BATCH 64
#define UDP_SOCKET_BUFFER (4 * 1024 * 1024)

/* Opens a bound, non-blocking UDP socket. bind_address is a numeric literal:
 * "::" (dual stack), an IPv6 address or an IPv4 address. Returns the fd,
 * -SQ_EINVAL for an address that is not a literal, -SQ_EIO when the socket
 * cannot be made or bound (errno then says why). */
int udp_open(const char *bind_address, uint16_t port);

/* n sockets with SO_REUSEPORT on one address and port, one per media
 * worker (the kernel spreads peers over them by a hash of the 4-tuple).
 * Refuses a port anything else holds, like udp_open, and holds *lock_fd
 * (close it after the sockets) so that a second server cannot join the
 * group. 0, or udp_open's errors (errno EADDRINUSE when taken). */
int udp_open_group(const char *bind_address, uint16_t port, int *fds, unsigned n, int *lock_fd);

/* The bound port (the kernel's choice when bound to port 0), 0 on error. */
uint16_t udp_port(int fd);

/* Receive side: everything recvmmsg needs, allocated once. */
struct udp_rx {
    struct mmsghdr msgs[UDP_RX_BATCH];
    struct iovec iov[UDP_RX_BATCH];
    struct sockaddr_storage from[UDP_RX_BATCH];
    uint8_t buf[UDP_RX_BATCH][UDP_RX_BUF];
};

void udp_rx_init(struct udp_rx *rx);

/* One recvmmsg: how many datagrams arrived (0 when none wait), or -SQ_EIO.
 * Datagram i is rx->buf[i] with rx->msgs[i].msg_len bytes from rx->from[i]
 * (rx->msgs[i].msg_hdr.msg_namelen bytes of it). */
int udp_recv_batch(int fd, struct udp_rx *rx);

/* True when datagram i did not fit its buffer. */
static inline int udp_rx_truncated(const struct udp_rx *rx, int i)
{
    return (rx->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
}

/* Send side: the mmsghdr array for up to UDP_TX_BATCH slots. */
struct udp_tx {
    struct mmsghdr msgs[UDP_TX_BATCH];
    struct iovec iov[UDP_TX_BATCH];
};

/* Sends b->slots[0..n) (n <= UDP_TX_BATCH) and empties the batch. A full
 * socket buffer is retried a bounded number of times (waiting at most a few
 * ms in all), a datagram the kernel refuses is skipped. Returns how many
 * datagrams were dropped. */
size_t udp_send_batch(int fd, struct udp_tx *tx, struct tx_batch *b);

#endif
