/* The media worker thread: an epoll loop over one UDP socket and one eventfd,
 * driving the sans-IO rtc_core (see worker.h). One loop turn reads the clock
 * once, runs queued commands, runs the other workers' messages
 * (worker_mesh.c), drains the socket with recvmmsg (each bounded, so nothing
 * starves the rest or the timers), flushes the tx batch with sendmmsg, fires
 * due timers, and sleeps until the core's next deadline. Nothing on the
 * packet path allocates, locks or logs: the only locks are the command queue
 * (once per wake-up), the event queue (once per event) and the stats snapshot
 * (every STATS_PERIOD_US). */
#include "io/worker.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sabaq/clock.h"
#include "sabaq/error.h"
#include "io/udp.h"
#include "io/worker_impl.h"
#include "io/worker_mesh.h"
#include "rtc/rtc_core.h"

/* Enough for every peer of a large lesson joining within one wake-up:
 * ~15 commands per person (two transports, producers, subscribe slots). */
#define CMD_QUEUE_CAP 4096
/* Per turn: at most this many commands, and this many recvmmsg batches
 * (2048 datagrams), so neither side starves the other or the timers. */
#define CMDS_PER_TURN 256
#define RX_BATCHES_PER_TURN 64
/* The loop wakes at least this often even with no deadline, which bounds how
 * stale the stats snapshot and a lost wake-up can be. */
#define MAX_WAIT_MS 50
#define STATS_PERIOD_US 200000
/* Messages from the other workers per turn (a turn's worth of their
 * packets), and the buffers each worker can have lent out at once. */
#define MESH_MSGS_PER_TURN 4096
#define MESH_MSGS_PER_BATCH 256
#define POOL_BUFS 4096


static void wake_worker(void *arg)
{
    struct worker *w = arg;
    uint64_t one = 1;
    /* EAGAIN would mean the counter is at its maximum: already woken. */
    ssize_t r = write(w->evfd, &one, sizeof(one));
    (void)r;
}

static void emit(void *arg, const struct sfu_event *ev)
{
    struct worker *w = arg;
    if (!w->is_running)
        return; /* the control plane no longer listens (rtc_core_free at stop) */
    if (cmd_queue_push(w->events, ev) == 0)
        return;
    /* Logged at 1, 2, 4, 8 ... so a stuck control thread cannot flood stderr. */
    uint64_t n = ++w->events_dropped;
    if ((n & (n - 1)) == 0)
        fprintf(stderr, "sabaq: media worker: event queue full, %llu events dropped\n",
                (unsigned long long)w->events_dropped);
}

static void flush_tx(struct tx_batch *b, void *arg)
{
    struct worker *w = arg;
    w->drop_tx += udp_send_batch(w->fd, &w->udp_tx, b);
}

static void publish_stats(struct worker *w, uint64_t now)
{
    struct sfu_stats snap;
    memset(&snap, 0, sizeof(snap));
    rtc_core_stats(w->core, &snap);
    snap.drop_tx = w->drop_tx;
    snap.drop_oversize = w->drop_oversize;
    snap.mesh_shared = w->mesh_shared;
    snap.mesh_forwarded = rtc_core_mesh(w->core)->forwarded;
    snap.drop_mesh = w->drop_mesh;
    pthread_mutex_lock(&w->stats_mu);
    w->stats = snap;
    pthread_mutex_unlock(&w->stats_mu);
    w->next_stats_us = now + STATS_PERIOD_US;
}

static void emit_create_failed(struct worker *w, uint32_t id, int rc)
{
    /* The control plane learns that the transport it asked for does not exist
     * the same way it learns that one died. */
    struct sfu_event ev = {.type = SFU_EVENT_TRANSPORT_CLOSED, .id = id};
    snprintf(ev.detail, sizeof(ev.detail), "create failed: %s", sq_errname(rc));
    emit(w, &ev);
}

static const char *cmd_name(enum worker_cmd_type t)
{
    static const char *const names[] = {
        "stop", "transport_create", "transport_close", "producer_create", "producer_close",
        "producer_set_paused", "producer_request_keyframe", "consumer_create", "consumer_close",
        "consumer_set_preferred_size", "consumer_set_producer", "mirror_create",
        "producer_share", "route_ufrag", "unroute_ufrag", "route_addr",
        "transport_create_connected", "producer_record", "transport_restart_ice",
    };
    return (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

/* Runs one command; false for stop. */
static bool run_cmd(struct worker *w, const struct worker_cmd *c, uint64_t now)
{
    struct rtc_core *core = w->core;
    int rc = 0;
    bool is_close = false;
    if (c->is_for_owner && !rtc_core_owns_producer(core, c->id))
        return true;             /* another worker's (or a mirror here) */
    switch (c->type) {
    case WORKER_CMD_STOP:
        return false;
    case WORKER_CMD_TRANSPORT_CREATE:
        rc = rtc_core_transport_create(core, c->id, c->u.transport.ufrag, c->u.transport.pwd,
                                       c->u.transport.fp_alg, c->u.transport.fp, now);
        if (rc < 0)
            emit_create_failed(w, c->id, rc);
        break;
    case WORKER_CMD_TRANSPORT_CLOSE:
        rc = rtc_core_transport_close(core, c->id);
        is_close = true;
        break;
    case WORKER_CMD_PRODUCER_CREATE:
        rc = rtc_core_producer_create(core, c->id, c->transport_id, &c->u.track, now);
        break;
    case WORKER_CMD_PRODUCER_CLOSE:
        rc = rtc_core_producer_close(core, c->id);
        is_close = true;
        break;
    case WORKER_CMD_PRODUCER_SET_PAUSED:
        rc = rtc_core_producer_set_paused(core, c->id, c->paused);
        break;
    case WORKER_CMD_PRODUCER_REQUEST_KEYFRAME:
        rc = rtc_core_producer_request_keyframe(core, c->id, now);
        break;
    case WORKER_CMD_CONSUMER_CREATE:
        rc = rtc_core_consumer_create(core, c->id, c->transport_id, c->producer_id, &c->u.outgoing,
                                      now);
        break;
    case WORKER_CMD_CONSUMER_CLOSE:
        rc = rtc_core_consumer_close(core, c->id);
        is_close = true;
        break;
    case WORKER_CMD_CONSUMER_SET_PRODUCER:
        rc = rtc_core_consumer_set_producer(core, c->id, c->producer_id, now);
        break;
    case WORKER_CMD_PRODUCER_RECORD:
        rc = rtc_core_producer_set_recorded(core, c->id, c->is_recorded, now);
        is_close = !c->is_recorded; /* letting go of a producer closed since is normal */
        break;
    case WORKER_CMD_CONSUMER_SET_PREFERRED_SIZE:
        rc = rtc_core_consumer_set_preferred_size(core, c->id, c->u.size.width, c->u.size.height,
                                                  now);
        break;
    case WORKER_CMD_MIRROR_CREATE:
        rc = rtc_core_mirror_create(core, c->id, c->worker, &c->u.track, now);
        break;
    case WORKER_CMD_PRODUCER_SHARE:
        rc = rtc_core_producer_share(core, c->id, c->worker, !c->paused);
        /* Stopping to share a producer that closed meanwhile is normal. */
        is_close = c->paused;
        break;
    case WORKER_CMD_ROUTE_UFRAG:
        rc = rtc_core_route_ufrag(core, c->u.transport.ufrag, c->worker);
        break;
    case WORKER_CMD_UNROUTE_UFRAG:
        rtc_core_unroute_ufrag(core, c->u.transport.ufrag);
        break;
    case WORKER_CMD_ROUTE_ADDR:
        rc = rtc_core_route_addr(core, &c->u.addr.addr, c->u.addr.len, c->worker, true, now);
        break;
    case WORKER_CMD_TRANSPORT_RESTART_ICE:
        rc = rtc_core_transport_restart_ice(core, c->id, c->u.transport.ufrag, c->u.transport.pwd,
                                            now);
        break;
    case WORKER_CMD_TRANSPORT_CREATE_CONNECTED:
        rc = rtc_core_transport_create_connected(core, c->id, &c->u.connected.keys,
                                                 &c->u.connected.remote,
                                                 c->u.connected.remote_len, now);
        if (rc < 0)
            emit_create_failed(w, c->id, rc);
        break;
    }
    /* Closing what the core already closed on its own (consent lost) is normal. */
    if (rc < 0 && !(is_close && rc == -SQ_ENOTFOUND))
        fprintf(stderr, "sabaq: media worker: %s %u: %s\n", cmd_name(c->type), (unsigned)c->id,
                sq_strerror(rc));
    return true;
}

/* -1 after a stop command, 1 when commands are left for the next turn, 0 when drained. */
static int drain_commands(struct worker *w, uint64_t now)
{
    struct worker_cmd c;
    for (int i = 0; i < CMDS_PER_TURN; i++) {
        if (!cmd_queue_pop(&w->cmds, &c))
            return 0;
        if (!run_cmd(w, &c, now))
            return -1;
    }
    return 1;
}

/* True when the bound was hit and datagrams may still wait; *mesh_left
 * when messages from other workers were left for later. */
static bool drain_socket(struct worker *w, uint64_t now, bool *mesh_left)
{
    struct udp_rx *rx = &w->rx;
    for (int b = 0; b < RX_BATCHES_PER_TURN; b++) {
        int n = udp_recv_batch(w->fd, rx);
        if (n < 0)
            w->rx_errors++;
        if (n <= 0)
            return false;
        for (int i = 0; i < n; i++) {
            if (udp_rx_truncated(rx, i)) {
                w->drop_oversize++;
                continue;
            }
            rtc_core_receive(w->core, rx->buf[i], rx->msgs[i].msg_len, &rx->from[i],
                             rx->msgs[i].msg_hdr.msg_namelen, now);
        }
        /* Answer this batch before reading the next: STUN responses and
         * forwarded media should not wait behind 2000 more datagrams, nor
         * the other workers for the packets shared with them. */
        tx_batch_flush(&w->tx);
        if (w->mesh) {
            worker_mesh_wake(w);
            /* The other workers' messages between batches too: packets
             * shared with us should not wait behind 2000 datagrams, and an
             * address claim must be seen before the datagrams it covers. */
            if (worker_mesh_drain(w, now, MESH_MSGS_PER_BATCH))
                *mesh_left = true;
        }
        /* A short batch means the queue was empty a moment ago: skip the
         * EAGAIN call, epoll is level-triggered and reports anything newer. */
        if (n < UDP_RX_BATCH)
            return false;
    }
    return true;
}

static int wait_ms(const struct worker *w, uint64_t now)
{
    uint64_t next = rtc_core_next_deadline_us(w->core);
    if (w->next_stats_us < next)
        next = w->next_stats_us;
    if (next <= now)
        return 0;
    uint64_t us = next - now;
    if (us >= (uint64_t)MAX_WAIT_MS * 1000)
        return MAX_WAIT_MS;
    /* Rounded up: waking a little early would only spin another turn. */
    return (int)((us + 999) / 1000);
}

static void *run(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[4];
    bool cmds_ready = true, sock_ready = true, mesh_ready = w->mesh != NULL;
    uint64_t now = sq_now_us();
    publish_stats(w, now);
    for (;;) {
        now = sq_now_us();
        if (cmds_ready) {
            int r = drain_commands(w, now);
            if (r < 0)
                break;
            cmds_ready = r > 0;
        }
        /* Every turn, not only after a wake-up: an owner's address claim
         * must be seen before the datagrams that follow the STUN answer it
         * sent, which may wake this worker through its socket. Empty rings
         * cost one load each. */
        if (w->mesh)
            mesh_ready = worker_mesh_drain(w, now, MESH_MSGS_PER_TURN);
        if (sock_ready)
            sock_ready = drain_socket(w, now, &mesh_ready);
        tx_batch_flush(&w->tx);
        if (rtc_core_next_deadline_us(w->core) <= now) {
            rtc_core_handle_timeouts(w->core, now);
            tx_batch_flush(&w->tx);
        }
        if (w->mesh) {
            worker_mesh_wake(w);
            pkt_pool_reclaim(&w->pool);
        }
        if (now >= w->next_stats_us)
            publish_stats(w, now);
        int timeout = cmds_ready || sock_ready || mesh_ready ? 0 : wait_ms(w, now);
        int n = epoll_wait(w->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), timeout);
        if (n < 0 && errno != EINTR) {
            perror("sabaq: media worker: epoll_wait");
            break;
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.fd == w->evfd) {
                uint64_t v;
                /* Reset before draining, so a push after the drain wakes us again. */
                ssize_t r = read(w->evfd, &v, sizeof(v));
                (void)r;
                cmds_ready = true;
                mesh_ready = w->mesh != NULL;
            } else {
                sock_ready = true;
            }
        }
    }
    tx_batch_flush(&w->tx); /* close_notify and the like from the last commands */
    w->is_running = false;
    publish_stats(w, sq_now_us());
    atomic_store(&w->has_exited, true);
    return NULL;
}

static int watch(int epfd, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

struct worker *worker_new(const struct worker_config *cfg)
{
    struct worker *w = calloc(1, sizeof(*w));
    if (!w) {
        close(cfg->fd);
        return NULL;
    }
    w->fd = cfg->fd;
    w->epfd = -1;
    w->evfd = -1;
    w->events = cfg->events;
    w->port = udp_port(cfg->fd);
    w->index = cfg->index;
    w->mesh = cfg->mesh;
    atomic_init(&w->has_exited, false);
    pthread_mutex_init(&w->stats_mu, NULL);
    udp_rx_init(&w->rx);
    w->tx.slots = calloc(UDP_TX_BATCH, sizeof(struct datagram));
    w->tx.cap = UDP_TX_BATCH;
    w->tx.flush = flush_tx;
    w->tx.flush_arg = w;
    w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (!w->tx.slots || w->evfd < 0 || w->epfd < 0 || watch(w->epfd, w->fd) != 0 ||
        watch(w->epfd, w->evfd) != 0 ||
        cmd_queue_init(&w->cmds, sizeof(struct worker_cmd), CMD_QUEUE_CAP, wake_worker, w) != 0 ||
        (w->mesh && (w->index >= w->mesh->n || pkt_pool_init(&w->pool, POOL_BUFS) != 0)))
        goto fail;
    struct rtc_core_config cc = {
        .cert = cfg->cert,
        .tx = &w->tx,
        .consent_timeout_ms = cfg->consent_timeout_ms,
        .emit = emit,
        .emit_arg = w,
        /* Sender reports carry wall-clock NTP before a publisher sends its own SR. */
        .wallclock_offset_us = (int64_t)(sq_wallclock_us() - sq_now_us()),
        .mesh = w->mesh ? &worker_mesh_ops : NULL,
        .mesh_arg = w,
        .worker_index = w->index,
        .record_tap = cfg->record_tap,
    };
    w->core = rtc_core_new(&cc);
    if (!w->core)
        goto fail;
    if (w->mesh)
        w->mesh->workers[w->index] = w;
    return w;
fail:
    worker_free(w);
    return NULL;
}

int worker_start(struct worker *w)
{
    sigset_t all, old;
    /* Signals belong to the control thread: the worker is created with all
     * of them blocked and never sees one. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    w->is_running = true;
    int rc = pthread_create(&w->thread, NULL, run, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        w->is_running = false;
        return -SQ_EIO;
    }
    char name[16];
    snprintf(name, sizeof(name), "sabaq-media-%u", w->index);
    pthread_setname_np(w->thread, name);
    w->is_started = true;
    return 0;
}

int worker_submit(struct worker *w, const struct worker_cmd *cmd)
{
    return cmd_queue_push(&w->cmds, cmd);
}

void worker_stop(struct worker *w)
{
    if (!w || !w->is_started)
        return;
    struct worker_cmd stop = {.type = WORKER_CMD_STOP};
    /* Behind every command already queued; the worker drains the queue every
     * turn, so a full queue frees up within a turn or two. */
    while (cmd_queue_push(&w->cmds, &stop) != 0 && !atomic_load(&w->has_exited))
        usleep(1000);
    pthread_join(w->thread, NULL);
    w->is_started = false;
}

void worker_free(struct worker *w)
{
    if (!w)
        return;
    worker_stop(w);
    if (w->core)
        rtc_core_free(w->core);
    cmd_queue_destroy(&w->cmds);
    if (w->epfd >= 0)
        close(w->epfd);
    if (w->evfd >= 0)
        close(w->evfd);
    if (w->fd >= 0)
        close(w->fd);
    free(w->tx.slots);
    pkt_pool_destroy(&w->pool);
    pthread_mutex_destroy(&w->stats_mu);
    free(w);
}

void worker_stats(struct worker *w, struct sfu_stats *out)
{
    pthread_mutex_lock(&w->stats_mu);
    *out = w->stats;
    pthread_mutex_unlock(&w->stats_mu);
}

uint16_t worker_port(const struct worker *w)
{
    return w->port;
}
