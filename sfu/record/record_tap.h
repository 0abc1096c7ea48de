/* The media worker's side of recording: where a recorded producer's
 * decrypted packet is copied into the recorder's ring (record_ring.h). Runs
 * on the worker thread, once per packet of a recorded producer: no lock, no
 * malloc, no syscall except an eventfd write when the recorder sleeps with
 * nothing to do (never while it records: then it looks every 20 ms).
 *
 * Of a simulcast producer the recording takes one layer: the best one that
 * is arriving. It keeps that layer wanted (so the publisher does not pause
 * it for lack of viewers) and moves to a better or still-arriving one at
 * that layer's next keyframe, asked for at once. */
#ifndef SABAQ_RECORD_TAP_H
#define SABAQ_RECORD_TAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "record/record_ring.h"

struct producer;
struct rtc_packet;

/* Allocate with aligned_alloc (the ring's counters sit on their own cache
 * lines): record_tap_new. */
struct record_tap {
    struct record_ring ring;
    int wake_fd;                 /* borrowed: the recorder's eventfd */
    atomic_bool *is_recorder_idle; /* borrowed: true while the recorder sleeps */
    uint64_t skipped_empty;      /* padding-only packets (probes): nothing to record */
    uint64_t dropped_too_large;
};

struct record_tap *record_tap_new(int wake_fd, atomic_bool *is_recorder_idle);
void record_tap_free(struct record_tap *t);

/* Worker: one more (on) or one fewer (off) recording takes `p`. The first
 * asks the publisher for a keyframe. */
void record_tap_producer(struct producer *p, bool on, uint64_t now_us);

/* Worker: a packet of a producer with record_refs > 0, after the producer
 * parsed it (pkt views the receive buffer). `t` may be NULL (no recorder). */
void record_tap_packet(struct record_tap *t, struct producer *p, const struct rtc_packet *pkt,
                       uint64_t now_us);

#endif
