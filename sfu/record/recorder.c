/* The recorder thread (see recorder.h). One loop turn reads the clock once,
 * runs queued commands, empties the workers' rings into the recordings,
 * lets each recording mix and write what is due, and sleeps until the
 * earliest deadline (at most 20 ms: the mixing step) or a wake-up. File
 * writes block this thread only; a stall fills the rings, whose overflow
 * is counted, and never slows the workers. */
#include "record/recorder.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sabaq/clock.h"
#include "sabaq/error.h"
#include "sabaq/sfu.h"
#include "record/record_tap.h"
#include "record/recording.h"

#define CMD_QUEUE_CAP 1024          /* ~1 KB each: a school's worth of auto-records at once */
#define MAX_RECORDINGS 64
#define MAX_SLEEP_US 20000
/* Per turn and ring, so commands and mixing are never starved. */
#define PACKETS_PER_TURN 4096

struct recorder {
    struct recorder_config cfg;
    int evfd;                    /* owned */
    atomic_bool is_idle;         /* the taps' cue to write evfd */
    struct cmd_queue cmds;
    struct record_tap *taps[RECORDER_MAX_TAPS]; /* owned */
    struct recording *recs[MAX_RECORDINGS];     /* owned; recorder thread only */
    pthread_t thread;
    bool is_started;
    atomic_bool is_quiet;        /* shutting down: no more events, no more taps */
    atomic_uint_fast64_t packets, recordings_started, recordings_failed;
    uint64_t drops_reported;     /* recorder thread only */
};

static void wake(void *arg)
{
    struct recorder *r = arg;
    uint64_t one = 1;
    ssize_t n = write(r->evfd, &one, sizeof(one));
    (void)n;
}

struct recorder *recorder_new(const struct recorder_config *cfg)
{
    if (!cfg || cfg->n_taps == 0 || cfg->n_taps > RECORDER_MAX_TAPS)
        return NULL;
    struct recorder *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->cfg = *cfg;
    atomic_init(&r->is_idle, false);
    atomic_init(&r->is_quiet, false);
    r->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->evfd < 0 ||
        cmd_queue_init(&r->cmds, sizeof(struct recorder_cmd), CMD_QUEUE_CAP, wake, r) != 0) {
        if (r->evfd >= 0)
            close(r->evfd);
        free(r);
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_taps; i++) {
        r->taps[i] = record_tap_new(r->evfd, &r->is_idle);
        if (!r->taps[i]) {
            recorder_free(r);
            return NULL;
        }
    }
    return r;
}

struct record_tap *recorder_tap(struct recorder *r, size_t i)
{
    return i < r->cfg.n_taps ? r->taps[i] : NULL;
}

int recorder_submit(struct recorder *r, const struct recorder_cmd *cmd)
{
    return cmd_queue_push(&r->cmds, cmd);
}

/* --- recordings and the producers they take ------------------------------ */

static struct recording **find(struct recorder *r, uint32_t id)
{
    for (size_t i = 0; i < MAX_RECORDINGS; i++)
        if (r->recs[i] && r->recs[i]->id == id)
            return &r->recs[i];
    return NULL;
}

static bool is_taken(struct recorder *r, uint32_t producer_id)
{
    for (size_t i = 0; i < MAX_RECORDINGS; i++)
        if (r->recs[i] && recording_uses(r->recs[i], producer_id))
            return true;
    return false;
}

/* Wraps a change of what `rec` takes: taps producers newly taken, untaps
 * those no recording takes any more. */
static void tap_if(struct recorder *r, uint32_t producer_id, bool was_taken)
{
    if (!producer_id || !r->cfg.tap || atomic_load(&r->is_quiet))
        return;
    bool now_taken = is_taken(r, producer_id);
    if (now_taken != was_taken)
        r->cfg.tap(r->cfg.arg, producer_id, now_taken);
}

static void emit_stopped(struct recorder *r, uint32_t id, int rc, const char *reason)
{
    if (atomic_load(&r->is_quiet) || !r->cfg.events)
        return;
    struct sfu_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = SFU_EVENT_RECORDING_STOPPED;
    ev.id = id;
    ev.value = rc < 0 ? rc : 0;
    snprintf(ev.detail, sizeof(ev.detail), "%s", rc < 0 ? reason : "stopped");
    if (cmd_queue_push(r->cfg.events, &ev) != 0)
        fprintf(stderr, "sabaq: recorder: event queue full, recording %u's end not reported\n",
                (unsigned)id);
}

/* Finishes (or, after a failure, just closes) a recording and lets go of
 * its producers. */
static void end_recording(struct recorder *r, struct recording **slot, uint64_t now_us)
{
    struct recording *rec = *slot;
    int rc = rec->has_failed ? -SQ_EIO : recording_finish(rec, now_us);
    if (rc < 0) {
        atomic_fetch_add(&r->recordings_failed, 1);
        fprintf(stderr, "sabaq: recorder: recording %u stopped: %s\n", (unsigned)rec->id,
                rec->fail_reason);
    }
    uint32_t video = rec->video_producer;
    uint32_t audio[RECORDING_MAX_AUDIO];
    for (size_t i = 0; i < RECORDING_MAX_AUDIO; i++)
        audio[i] = rec->audio[i] ? rec->audio[i]->producer_id : 0;
    emit_stopped(r, rec->id, rc, rc < 0 ? rec->fail_reason : "stopped");
    *slot = NULL;
    recording_free(rec);
    tap_if(r, video, true);
    for (size_t i = 0; i < RECORDING_MAX_AUDIO; i++)
        tap_if(r, audio[i], true);
}

static void start_recording(struct recorder *r, const struct recorder_cmd *c, uint64_t now_us)
{
    struct recording **slot = NULL;
    if (find(r, c->recording_id)) {
        fprintf(stderr, "sabaq: recorder: recording %u already runs\n", (unsigned)c->recording_id);
        return;
    }
    for (size_t i = 0; i < MAX_RECORDINGS && !slot; i++)
        if (!r->recs[i])
            slot = &r->recs[i];
    struct recording_ops ops = {.request_keyframe = r->cfg.request_keyframe, .arg = r->cfg.arg};
    const char *reason = "write_error";
    int rc = slot ? recording_new(slot, c->recording_id, c->dir_path, now_us, &ops, &reason)
                  : -SQ_ELIMIT;
    if (rc < 0) {
        atomic_fetch_add(&r->recordings_failed, 1);
        fprintf(stderr, "sabaq: recorder: cannot start recording %u in %s: %s (%s)\n",
                (unsigned)c->recording_id, c->dir_path, sq_strerror(rc), reason);
        emit_stopped(r, c->recording_id, rc, reason);
        return;
    }
    atomic_fetch_add(&r->recordings_started, 1);
}

/* false for quit. */
static bool run_cmd(struct recorder *r, const struct recorder_cmd *c, uint64_t now_us)
{
    if (c->type == RECORDER_CMD_QUIT)
        return false;
    if (c->type == RECORDER_CMD_START) {
        start_recording(r, c, now_us);
        return true;
    }
    struct recording **slot = find(r, c->recording_id);
    if (!slot)
        return true;             /* already ended (a write error): nothing to change */
    struct recording *rec = *slot;
    uint32_t pid = c->producer_id;
    switch (c->type) {
    case RECORDER_CMD_STOP:
        end_recording(r, slot, now_us);
        break;
    case RECORDER_CMD_SET_VIDEO: {
        uint32_t old = rec->video_producer;
        bool was_old = is_taken(r, old), was_new = is_taken(r, pid);
        recording_set_video(rec, pid, now_us);
        tap_if(r, old, was_old);
        tap_if(r, pid, was_new);
        if (was_new && pid && r->cfg.request_keyframe)
            r->cfg.request_keyframe(r->cfg.arg, pid); /* already tapped: ask here */
        break;
    }
    case RECORDER_CMD_ADD_AUDIO: {
        bool was = is_taken(r, pid);
        if (recording_add_audio(rec, pid) == -SQ_ELIMIT)
            fprintf(stderr, "sabaq: recorder: recording %u: more than %d speakers, %u not mixed\n",
                    (unsigned)rec->id, RECORDING_MAX_AUDIO, (unsigned)pid);
        tap_if(r, pid, was);
        break;
    }
    case RECORDER_CMD_REMOVE_AUDIO: {
        bool was = is_taken(r, pid);
        recording_remove_audio(rec, pid);
        tap_if(r, pid, was);
        break;
    }
    default:
        break;
    }
    return true;
}

/* --- the loop ---------------------------------------------------------------- */

static bool drain_cmds(struct recorder *r, uint64_t now_us)
{
    struct recorder_cmd c;
    while (cmd_queue_pop(&r->cmds, &c))
        if (!run_cmd(r, &c, now_us))
            return false;
    return true;
}

static void drain_taps(struct recorder *r, uint64_t now_us)
{
    for (size_t t = 0; t < r->cfg.n_taps; t++) {
        struct record_ring *ring = &r->taps[t]->ring;
        const struct record_packet *p;
        for (int n = 0; n < PACKETS_PER_TURN && (p = record_ring_peek(ring)); n++) {
            for (size_t i = 0; i < MAX_RECORDINGS; i++)
                if (r->recs[i])
                    recording_on_packet(r->recs[i], p, now_us);
            record_ring_release(ring);
            atomic_fetch_add_explicit(&r->packets, 1, memory_order_relaxed);
        }
    }
}

/* The earliest deadline; SQ_NEVER with no recording (sleep until woken). */
static uint64_t poll_recordings(struct recorder *r, uint64_t now_us)
{
    uint64_t next = SQ_NEVER;
    for (size_t i = 0; i < MAX_RECORDINGS; i++) {
        if (!r->recs[i])
            continue;
        if (recording_poll(r->recs[i], now_us) < 0) {
            end_recording(r, &r->recs[i], now_us);
            continue;
        }
        uint64_t d = recording_next_deadline_us(r->recs[i]);
        if (d > now_us + MAX_SLEEP_US)
            d = now_us + MAX_SLEEP_US;
        if (d < next)
            next = d;
    }
    return next;
}

/* Packets lost to full rings, logged each time the total doubles, so a stalled disk
 * is visible without flooding the log. */
static void report_drops(struct recorder *r)
{
    uint64_t n = 0;
    for (size_t t = 0; t < r->cfg.n_taps; t++)
        n += atomic_load_explicit(&r->taps[t]->ring.dropped_full, memory_order_relaxed);
    if (n > 0 && n >= r->drops_reported * 2) {
        fprintf(stderr, "sabaq: recorder: fell behind, %llu packets not recorded\n",
                (unsigned long long)n);
        r->drops_reported = n;
    }
}

static bool taps_empty(struct recorder *r)
{
    for (size_t t = 0; t < r->cfg.n_taps; t++)
        if (!record_ring_is_empty(&r->taps[t]->ring))
            return false;
    return true;
}

/* While a recording runs the thread ticks at least every 20 ms and takes
 * the packets then (the mix runs 200 ms behind anyway), so the workers need
 * not wake it: no syscall per packet on their side. Only a sleep with
 * nothing due (no recording) asks them to, in case packets come. */
static void sleep_until(struct recorder *r, uint64_t next_us, uint64_t now_us)
{
    if (next_us == SQ_NEVER) {
        atomic_store(&r->is_idle, true);
        atomic_thread_fence(memory_order_seq_cst);
    }
    if (taps_empty(r) && cmd_queue_len(&r->cmds) == 0 && next_us > now_us) {
        struct pollfd pfd = {.fd = r->evfd, .events = POLLIN};
        poll(&pfd, 1, next_us == SQ_NEVER ? -1 : (int)((next_us - now_us + 999) / 1000));
    }
    if (next_us == SQ_NEVER)
        atomic_store(&r->is_idle, false);
    uint64_t v;
    ssize_t n = read(r->evfd, &v, sizeof(v));
    (void)n;
}

static void *run(void *arg)
{
    struct recorder *r = arg;
    for (;;) {
        uint64_t now = sq_now_us();
        /* Packets first: those that came before a stop belong in the file. */
        drain_taps(r, now);
        if (!drain_cmds(r, now))
            break;
        uint64_t next = poll_recordings(r, now);
        report_drops(r);
        sleep_until(r, next, sq_now_us());
    }
    /* Shutdown: close every file properly; nobody listens for events now. */
    uint64_t now = sq_now_us();
    drain_taps(r, now);
    for (size_t i = 0; i < MAX_RECORDINGS; i++)
        if (r->recs[i])
            end_recording(r, &r->recs[i], now);
    return NULL;
}

int recorder_start(struct recorder *r)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&r->thread, NULL, run, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return -SQ_EIO;
    pthread_setname_np(r->thread, "sabaq-recorder");
    r->is_started = true;
    return 0;
}

void recorder_stop(struct recorder *r)
{
    if (!r || !r->is_started)
        return;
    atomic_store(&r->is_quiet, true);
    struct recorder_cmd quit = {.type = RECORDER_CMD_QUIT};
    while (cmd_queue_push(&r->cmds, &quit) != 0)
        usleep(1000);
    pthread_join(r->thread, NULL);
    r->is_started = false;
}

void recorder_free(struct recorder *r)
{
    if (!r)
        return;
    recorder_stop(r);
    for (size_t i = 0; i < MAX_RECORDINGS; i++)
        recording_free(r->recs[i]);
    for (size_t i = 0; i < RECORDER_MAX_TAPS; i++)
        record_tap_free(r->taps[i]);
    cmd_queue_destroy(&r->cmds);
    close(r->evfd);
    free(r);
}

void recorder_stats(struct recorder *r, struct recorder_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->packets = atomic_load_explicit(&r->packets, memory_order_relaxed);
    out->recordings_started = atomic_load_explicit(&r->recordings_started, memory_order_relaxed);
    out->recordings_failed = atomic_load_explicit(&r->recordings_failed, memory_order_relaxed);
    for (size_t i = 0; i < r->cfg.n_taps; i++)
        out->dropped_ring_full +=
            atomic_load_explicit(&r->taps[i]->ring.dropped_full, memory_order_relaxed);
}
