/* struct worker, shared by worker.c (the loop, commands) and worker_mesh.c
 * (messages between workers). Nothing else looks inside. */
#ifndef SABAQ_IO_WORKER_IMPL_H
#define SABAQ_IO_WORKER_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "io/cmd_queue.h"
#include "io/pkt_pool.h"
#include "io/udp.h"
#include "io/worker.h"
#include "io/worker_mesh.h"
#include "rtc/rtc_core.h"

struct worker {
    int fd;                      /* owned: the UDP socket */
    int epfd;                    /* owned */
    int evfd;                    /* owned: written by the command queue's wake and by peers */
    uint16_t port;
    unsigned index;              /* in the mesh */
    struct worker_mesh *mesh;    /* borrowed; NULL when alone */
    struct pkt_pool pool;        /* owned buffers lent to other workers (empty when alone) */
    uint32_t wake_mask;          /* workers to wake after this batch */
    struct cmd_queue cmds;       /* control -> this worker */
    struct cmd_queue *events;    /* borrowed: this worker -> control */
    struct rtc_core *core;       /* owned */
    struct tx_batch tx;          /* slots owned (UDP_TX_BATCH of them) */
    struct udp_tx udp_tx;
    struct udp_rx rx;
    pthread_t thread;
    bool is_started;             /* control thread only */
    bool is_running;             /* false once the loop ended: later events are dropped */
    atomic_bool has_exited;      /* set by the thread as it leaves its loop */
    uint64_t next_stats_us;
    /* Counters of the I/O layer itself (the core keeps its own). */
    uint64_t drop_tx, drop_oversize, rx_errors, events_dropped;
    uint64_t mesh_shared;        /* packets handed to other workers (one per target) */
    uint64_t drop_mesh;          /* ring full, pool empty, or no mirror for it */
    pthread_mutex_t stats_mu;
    struct sfu_stats stats;      /* guarded by stats_mu: the published snapshot */
};

#endif
