/* bench/fwd's I/O: the worker's one UDP socket, the subscribers' loopback
 * sockets, and the tx_batch flush callback (sendmmsg) that also timestamps
 * every datagram's send for the added-latency figures. */
#ifndef SABAQ_BENCH_FWD_IO_H
#define SABAQ_BENCH_FWD_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rtc/datagram.h"

/* `count` datagrams left in one sendmmsg `lat_ns` after their input packet
 * entered rtc_core_receive. */
struct fwd_lat {
    uint64_t lat_ns;
    uint64_t count;
};

struct fwd_io {
    int tx_fd;                   /* owned: the worker's socket, every datagram leaves here */
    int pub_fd;                  /* owned: stands for the publisher (gets its RTCP feedback) */
    struct sockaddr_storage pub_addr;
    socklen_t pub_addr_len;
    size_t n_sinks;
    int *sink_fds;               /* owned: one bound socket per subscriber, never read */
    struct sockaddr_storage *sink_addrs; /* owned */
    socklen_t sink_addr_len;

    struct tx_batch batch;       /* slots owned here; rtc_core borrows the batch */
    struct mmsghdr *msgs;        /* owned, one per slot, iov preset */
    struct iovec *iovs;          /* owned */
    uint64_t *slot_t0;           /* owned: input start time of each committed slot */
    size_t tagged;               /* slots [0, tagged) have their slot_t0 set */
    uint64_t cur_t0_ns;          /* start of the rtc_core_receive now running */

    bool recording;              /* record latencies (counters always count) */
    struct fwd_lat *lat;         /* owned, lat_cap entries */
    size_t n_lat, lat_cap;
    bool lat_overflow;
    uint64_t rtp_out, rtcp_out, bytes_out, rtp_bytes, send_errors, sendmmsg_calls;

    bool capturing;              /* keep a copy of the last RTP datagram to sink 0 */
    uint8_t *capture;            /* owned, DATAGRAM_MAX */
    size_t capture_len;
};

uint64_t fwd_io_now_ns(void);
/* 0 or -1 with errno. rcvbuf 0 keeps the kernel default. */
int fwd_io_open(struct fwd_io *io, size_t n_sinks, size_t batch_cap, int rcvbuf, size_t lat_cap);
void fwd_io_close(struct fwd_io *io);
/* Gives the datagrams committed since the last call the current input's start
 * time; call after each rtc_core_receive (the flush callback does it too). */
void fwd_io_tag(struct fwd_io *io);
/* Counters and latency records back to zero (allocations kept). */
void fwd_io_reset(struct fwd_io *io);
/* Weighted percentile (0..1) of the recorded latencies in ns; sorts them. */
uint64_t fwd_io_lat_percentile(struct fwd_io *io, double q);

#endif
