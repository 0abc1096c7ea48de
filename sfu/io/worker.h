/* A media worker: one thread, one epoll loop, one UDP socket, one rtc_core.
 * The control thread talks to it only through worker_submit() (a command
 * queue plus an eventfd) and reads its counters with worker_stats(), a
 * snapshot the worker publishes every ~200 ms. Everything a worker uses is
 * inside struct worker, so several can run side by side (one per core, each
 * with its own SO_REUSEPORT socket on the same port). */
#ifndef SABAQ_IO_WORKER_H
#define SABAQ_IO_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/dtls.h"
#include "sabaq/sdp.h"
#include "sabaq/sfu.h"
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
    WORKER_CMD_PRODUCER_RECORD,  /* recording (sfu/record): tap on or off */
};

/* A command carries copies of everything it refers to: the caller's strings
 * and structs may be gone by the time the worker runs it. */
struct worker_cmd {
    enum worker_cmd_type type;
    uint32_t id;                 /* the transport, producer or consumer it is about */
    uint32_t transport_id;       /* producer and consumer create */
    uint32_t producer_id;        /* consumer create, consumer set producer */
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
    } u;
};

struct worker_config {
    int fd;                      /* the bound UDP socket; the worker owns it from worker_new on */
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
/* Starts the thread. 0 or -SQ_EIO. */
int worker_start(struct worker *w);
/* Queues a command: 0, or -SQ_ELIMIT when the queue is full. Any thread. */
int worker_submit(struct worker *w, const struct worker_cmd *cmd);
/* Queues a stop after every command already queued and joins the thread. */
void worker_stop(struct worker *w);
/* Frees a stopped (or never started) worker. */
void worker_free(struct worker *w);

/* The last snapshot of the counters (at most ~200 ms old). Any thread. */
void worker_stats(struct worker *w, struct sfu_stats *out);
uint16_t worker_port(const struct worker *w);

#endif
