/* A media worker: one thread, one epoll loop, one UDP socket, one rtc_core.
 * The control thread talks to it only through worker_submit() (a command
 * queue plus an eventfd) and reads its counters with worker_stats(), a
 * snapshot the worker publishes every ~200 ms. Everything a worker uses is
 * inside struct worker, so several run side by side (one per core, each
 * with its own SO_REUSEPORT socket on the same port), joined by a
 * worker_mesh (worker_mesh.h): rings between every pair, its packet pool. */
#ifndef SABAQ_IO_WORKER_H
#define SABAQ_IO_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sabaq/dtls.h"
#include "sabaq/sdp.h"
#include "sabaq/sfu.h"
#include "sabaq/srtp_session.h"
#include "io/cmd_queue.h"

/* Bounds of the strings a command copies (the sizes struct sdp_local and
 * struct sdp_media use); longer ones are refused by sfu.c. */
#define WORKER_UFRAG_MAX 32
#define WORKER_PWD_MAX 64
#define WORKER_FP_ALG_MAX 15
#define WORKER_FP_MAX 127

enum worker_cmd_type {
    WORKER_CMD_STOP,
    WORKER_CMD_TRANSPORT_CREATE,
    WORKER_CMD_TRANSPORT_CLOSE,
    WORKER_CMD_PRODUCER_CREATE,
    WORKER_CMD_PRODUCER_CLOSE,
    WORKER_CMD_PRODUCER_SET_PAUSED,
    WORKER_CMD_PRODUCER_REQUEST_KEYFRAME,
    WORKER_CMD_CONSUMER_CREATE,
    WORKER_CMD_CONSUMER_CLOSE,
    WORKER_CMD_CONSUMER_SET_PREFERRED_SIZE,
    WORKER_CMD_CONSUMER_SET_PRODUCER,
    /* Cross-worker bookkeeping, sent by sfu.c (rtc/mesh.h). */
    WORKER_CMD_MIRROR_CREATE,        /* id = producer, worker = its owner, u.track */
    WORKER_CMD_PRODUCER_SHARE,       /* id = producer, worker = a mirror's, paused = stop */
    WORKER_CMD_ROUTE_UFRAG,          /* u.transport.ufrag belongs to `worker` */
    WORKER_CMD_UNROUTE_UFRAG,
    WORKER_CMD_ROUTE_ADDR,           /* u.addr belongs to `worker` (pre-connected transports) */
    WORKER_CMD_TRANSPORT_CREATE_CONNECTED, /* id, u.connected (tests, bench/) */
    WORKER_CMD_PRODUCER_RECORD,  /* recording (sfu/record): tap on or off */
    WORKER_CMD_TRANSPORT_RESTART_ICE, /* id, u.transport.ufrag/pwd: new local credentials */
};

/* A command carries copies of everything it refers to: the caller's strings
 * and structs may be gone by the time the worker runs it. */
struct worker_cmd {
    enum worker_cmd_type type;
    uint32_t id;                 /* the transport, producer or consumer it is about */
    uint32_t transport_id;       /* producer and consumer create */
    uint32_t producer_id;        /* consumer create, consumer set producer */
    unsigned worker;             /* cross-worker commands */
    /* Sent to every worker by a thread that does not know where the
     * producer `id` lives (the recorder): only its owner runs it. */
    bool is_for_owner;
    bool paused;
    bool is_recorded;            /* producer record: a recording takes it (or no longer) */
    union {
        struct {
            char ufrag[WORKER_UFRAG_MAX + 1];
            char pwd[WORKER_PWD_MAX + 1];
            char fp_alg[WORKER_FP_ALG_MAX + 1];
            char fp[WORKER_FP_MAX + 1];
        } transport;
        struct sdp_track track;
        struct sdp_outgoing outgoing;
        struct {
            uint16_t width, height;
        } size;                  /* consumer set preferred size */
        struct {
            struct sockaddr_storage addr;
            socklen_t len;
        } addr;
        struct {
            struct srtp_keys keys;
            struct sockaddr_storage remote;
            socklen_t remote_len;
        } connected;
    } u;
};

struct worker_mesh;

struct worker_config {
    int fd;                      /* the bound UDP socket; the worker owns it from worker_new on */
    unsigned index;              /* this worker's place in the mesh (0 when alone) */
    struct worker_mesh *mesh;    /* borrowed; NULL for a lone worker */
    struct dtls_cert *cert;      /* borrowed: outlives the worker */
    uint32_t consent_timeout_ms;
    struct cmd_queue *events;    /* borrowed: worker -> control events (struct sfu_event) */
    struct record_tap *record_tap; /* borrowed: this worker's ring to the recorder, or NULL */
};

struct worker;
struct record_tap;

/* Makes the worker (its epoll, eventfd, queue, batches and core) without
 * starting it. NULL on failure; the fd is closed either way. */
struct worker *worker_new(const struct worker_config *cfg);
/* Starts the thread. 0 or -SQ_EIO. Every worker of a mesh must be made
 * (worker_mesh_join) before the first starts. */
int worker_start(struct worker *w);
/* Queues a command: 0, or -SQ_ELIMIT when the queue is full. Any thread. */
int worker_submit(struct worker *w, const struct worker_cmd *cmd);
/* Queues a stop after every command already queued and joins the thread.
 * Workers of a mesh are all stopped before any is freed: one may still
 * hold references to another's packet buffers. */
void worker_stop(struct worker *w);
/* Frees a stopped (or never started) worker. */
void worker_free(struct worker *w);

/* The last snapshot of the counters (at most ~200 ms old). Any thread. */
void worker_stats(struct worker *w, struct sfu_stats *out);
uint16_t worker_port(const struct worker *w);

#endif
