/* bench/fwd's sockets and the tx_batch flush: sendmmsg of the whole batch from
 * one socket (as the media worker does), then one clock read that stamps
 * every datagram the call carried. Loopback delivers in the sender's context,
 * so a full receive buffer just drops (counted by the kernel, never blocks). */
#include "fwd_io.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t fwd_io_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int bind_loopback(int rcvbuf, struct sockaddr_storage *addr, socklen_t *len)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in *in = (struct sockaddr_in *)addr;
    memset(addr, 0, sizeof *addr);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *len = sizeof *in;
    if ((rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) ||
        bind(fd, (struct sockaddr *)addr, *len) != 0 ||
        getsockname(fd, (struct sockaddr *)addr, len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool is_rtcp(const uint8_t *d, size_t len)
{
    return len >= 2 && d[1] >= 192 && d[1] <= 223; /* RFC 5761 sec. 4 */
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

/* One record per run of RTP datagrams from the same input (RTCP is not a copy). */
static void record(struct fwd_io *io, uint64_t now, size_t n)
{
    const struct datagram *s = io->batch.slots;
    for (size_t i = 0; i < n;) {
        if (is_rtcp(s[i].data, s[i].len)) {
            i++;
            continue;
        }
        size_t j = i + 1, count = 1;
        for (; j < n && io->slot_t0[j] == io->slot_t0[i]; j++)
            count += !is_rtcp(s[j].data, s[j].len);
        if (io->n_lat == io->lat_cap) {
            io->lat_overflow = true;
            return;
        }
        io->lat[io->n_lat++] = (struct fwd_lat){ now - io->slot_t0[i], count };
        i = j;
    }
}

static void flush(struct tx_batch *b, void *arg)
{
    struct fwd_io *io = arg;
    size_t n = b->n, rtp = 0;
    fwd_io_tag(io);
    for (size_t i = 0; i < n; i++) {
        struct datagram *d = &b->slots[i];
        io->msgs[i].msg_hdr.msg_name = &d->to;
        io->msgs[i].msg_hdr.msg_namelen = d->to_len;
        io->iovs[i].iov_len = d->len;
        io->bytes_out += d->len;
        if (!is_rtcp(d->data, d->len)) {
            rtp++;
            io->rtp_bytes += d->len;
            if (io->capturing && same_addr(&d->to, &io->sink_addrs[0])) {
                memcpy(io->capture, d->data, d->len);
                io->capture_len = d->len;
            }
        }
    }
    for (size_t off = 0; off < n;) {
        int r = sendmmsg(io->tx_fd, io->msgs + off, (unsigned)(n - off), 0);
        io->sendmmsg_calls++;
        if (r > 0) {
            off += (size_t)r;
        } else if (r < 0 && errno != EINTR) {
            io->send_errors++;
            off++;               /* skip the datagram the kernel refused */
        }
    }
    uint64_t now = fwd_io_now_ns();
    io->rtp_out += rtp;
    io->rtcp_out += n - rtp;
    if (io->recording)
        record(io, now, n);
    b->n = 0;
    io->tagged = 0;
}

void fwd_io_tag(struct fwd_io *io)
{
    for (size_t i = io->tagged; i < io->batch.n; i++)
        io->slot_t0[i] = io->cur_t0_ns;
    io->tagged = io->batch.n;
}

int fwd_io_open(struct fwd_io *io, size_t n_sinks, size_t batch_cap, int rcvbuf, size_t lat_cap)
{
    memset(io, 0, sizeof *io);
    io->tx_fd = io->pub_fd = -1;
    io->n_sinks = n_sinks;
    io->sink_fds = malloc(n_sinks * sizeof *io->sink_fds);
    io->sink_addrs = calloc(n_sinks, sizeof *io->sink_addrs);
    io->batch.slots = aligned_alloc(64, (batch_cap * sizeof(struct datagram) + 63) & ~(size_t)63);
    io->msgs = calloc(batch_cap, sizeof *io->msgs);
    io->iovs = calloc(batch_cap, sizeof *io->iovs);
    io->slot_t0 = calloc(batch_cap, sizeof *io->slot_t0);
    io->lat = malloc(lat_cap * sizeof *io->lat);
    io->capture = malloc(DATAGRAM_MAX);
    if (!io->sink_fds || !io->sink_addrs || !io->batch.slots || !io->msgs || !io->iovs ||
        !io->slot_t0 || !io->lat || !io->capture)
        return -1;
    for (size_t i = 0; i < n_sinks; i++)
        io->sink_fds[i] = -1;
    /* The I/O limit sends slots without writing them first. */
    memset(io->batch.slots, 0, batch_cap * sizeof(struct datagram));
    io->lat_cap = lat_cap;
    io->batch.cap = batch_cap;
    io->batch.flush = flush;
    io->batch.flush_arg = io;
    for (size_t i = 0; i < batch_cap; i++) {
        io->iovs[i].iov_base = io->batch.slots[i].data;
        io->msgs[i].msg_hdr.msg_iov = &io->iovs[i];
        io->msgs[i].msg_hdr.msg_iovlen = 1;
    }
    struct sockaddr_storage tx_addr;
    socklen_t tx_len;
    io->tx_fd = bind_loopback(0, &tx_addr, &tx_len);
    io->pub_fd = bind_loopback(rcvbuf, &io->pub_addr, &io->pub_addr_len);
    if (io->tx_fd < 0 || io->pub_fd < 0)
        return -1;
    for (size_t i = 0; i < n_sinks; i++) {
        io->sink_fds[i] = bind_loopback(rcvbuf, &io->sink_addrs[i], &io->sink_addr_len);
        if (io->sink_fds[i] < 0)
            return -1;
    }
    return 0;
}

void fwd_io_close(struct fwd_io *io)
{
    for (size_t i = 0; io->sink_fds && i < io->n_sinks; i++)
        if (io->sink_fds[i] >= 0)
            close(io->sink_fds[i]);
    if (io->tx_fd >= 0)
        close(io->tx_fd);
    if (io->pub_fd >= 0)
        close(io->pub_fd);
    free(io->sink_fds);
    free(io->sink_addrs);
    free(io->batch.slots);
    free(io->msgs);
    free(io->iovs);
    free(io->slot_t0);
    free(io->lat);
    free(io->capture);
    memset(io, 0, sizeof *io);
}

void fwd_io_reset(struct fwd_io *io)
{
    io->n_lat = 0;
    io->lat_overflow = false;
    io->rtp_out = io->rtcp_out = io->bytes_out = io->rtp_bytes = 0;
    io->send_errors = io->sendmmsg_calls = 0;
    io->capture_len = 0;
}

static int by_latency(const void *a, const void *b)
{
    const struct fwd_lat *x = a, *y = b;
    return x->lat_ns < y->lat_ns ? -1 : x->lat_ns > y->lat_ns;
}

uint64_t fwd_io_lat_percentile(struct fwd_io *io, double q)
{
    uint64_t total = 0;
    for (size_t i = 0; i < io->n_lat; i++)
        total += io->lat[i].count;
    if (!total)
        return 0;
    qsort(io->lat, io->n_lat, sizeof *io->lat, by_latency);
    uint64_t want = (uint64_t)(q * (double)total), seen = 0;
    for (size_t i = 0; i < io->n_lat; i++) {
        seen += io->lat[i].count;
        if (seen > want)
            return io->lat[i].lat_ns;
    }
    return io->lat[io->n_lat - 1].lat_ns;
}
