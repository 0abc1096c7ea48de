/* The media workers of one process as a mesh (DESIGN "Threads"): one
 * single-producer single-consumer ring for every ordered pair of workers,
 * and each worker's eventfd to wake it. Over a ring go the messages of
 * rtc/mesh.h: a producer's packet for the mirrors on the target (by
 * reference: a buffer of the sender's pool, released by the reader), a
 * datagram that the kernel delivered to the wrong worker's socket, sender
 * reports, keyframe requests, wanted layers and address claims. A worker
 * writes a target's eventfd once per batch of messages, not per message. */
#ifndef SABAQ_IO_WORKER_MESH_H
#define SABAQ_IO_WORKER_MESH_H

#include <stdbool.h>
#include <stdint.h>

#include "io/spsc_ring.h"
#include "rtc/mesh.h"

#define WORKER_MESH_RING_CAP 8192

struct worker;
struct pkt_buf;

enum mesh_msg_type {
    MESH_MSG_RTP,                /* buf: a producer's packet, layer */
    MESH_MSG_DATAGRAM,           /* buf: datagram and its source */
    MESH_MSG_SR,                 /* ssrc, ntp, rtp_time */
    MESH_MSG_KEYFRAME,           /* layer */
    MESH_MSG_WANTED,             /* layer = the mask */
    MESH_MSG_CLAIM,              /* buf: the claimed source address only */
};

struct mesh_msg {
    uint8_t type;
    uint8_t layer;
    uint32_t producer_id;
    uint32_t ssrc;
    uint32_t rtp_time;
    uint64_t ntp;
    struct pkt_buf *buf;         /* a reference the reader releases */
};

struct worker_mesh {
    unsigned n;
    struct worker *workers[MESH_MAX_WORKERS]; /* borrowed: set by worker_mesh_join */
    struct spsc_ring *rings;     /* owned: n * n, rings[from * n + to] (diagonal unused) */
};

/* 0, -SQ_EINVAL (n < 2 or too many) or -SQ_ENOMEM. */
int worker_mesh_init(struct worker_mesh *m, unsigned n);
/* After every worker has stopped. */
void worker_mesh_destroy(struct worker_mesh *m);

static inline struct spsc_ring *worker_mesh_ring(struct worker_mesh *m, unsigned from, unsigned to)
{
    return &m->rings[from * m->n + to];
}

/* The worker side (worker_mesh.c), on the worker's own thread. */
extern const struct mesh_ops worker_mesh_ops; /* arg: the struct worker */
/* Runs up to `budget` messages from the other workers; true when the
 * budget ran out with messages left. */
bool worker_mesh_drain(struct worker *w, uint64_t now_us, unsigned budget);
/* Wakes the workers this one queued messages for since the last call. */
void worker_mesh_wake(struct worker *w);

#endif
