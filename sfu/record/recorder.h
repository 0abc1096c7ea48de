/* The recorder thread: every recording of the process, off the packet path.
 * The control thread sends it commands (recorder_submit: a queue and an
 * eventfd); each media worker sends it recorded packets through its own
 * record_tap ring. It mixes and writes on its own clock, and reports a
 * recording's end as SFU_EVENT_RECORDING_STOPPED on the SFU's event queue.
 *
 * Which producers a worker copies is decided here: when a recording starts
 * or stops taking a producer no other recording takes, the `tap` callback
 * asks the worker holding it to start or stop copying. */
#ifndef SABAQ_RECORD_RECORDER_H
#define SABAQ_RECORD_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/cmd_queue.h"

#define RECORDER_PATH_MAX 1023
/* More workers than this would need a larger table; one per core. */
#define RECORDER_MAX_TAPS 64

enum recorder_cmd_type {
    RECORDER_CMD_QUIT,
    RECORDER_CMD_START,
    RECORDER_CMD_STOP,
    RECORDER_CMD_SET_VIDEO,
    RECORDER_CMD_ADD_AUDIO,
    RECORDER_CMD_REMOVE_AUDIO,
};

struct recorder_cmd {
    enum recorder_cmd_type type;
    uint32_t recording_id;
    uint32_t producer_id;
    char dir_path[RECORDER_PATH_MAX + 1]; /* start */
};

struct recorder_config {
    size_t n_taps;               /* one per media worker, 1..RECORDER_MAX_TAPS */
    struct cmd_queue *events;    /* borrowed: SFU_EVENT_RECORDING_STOPPED goes here */
    /* Called on the recorder thread. tap: the worker holding the producer
     * starts (on) or stops copying its packets. request_keyframe: a PLI to
     * its publisher. */
    void (*tap)(void *arg, uint32_t producer_id, bool on);
    void (*request_keyframe)(void *arg, uint32_t producer_id);
    void *arg;
};

struct recorder_stats {
    uint64_t packets;            /* taken from the rings */
    uint64_t dropped_ring_full;  /* the recorder fell behind: lost to the recording */
    uint64_t recordings_started, recordings_failed;
};

struct recorder;

struct recorder *recorder_new(const struct recorder_config *cfg);
/* Starts the thread: 0 or -SQ_EIO. */
int recorder_start(struct recorder *r);
/* The ring of worker `i` (pass it in that worker's config). */
struct record_tap *recorder_tap(struct recorder *r, size_t i);
/* Any thread: 0, or -SQ_ELIMIT when the queue is full. */
int recorder_submit(struct recorder *r, const struct recorder_cmd *cmd);
/* Finishes every open recording (trailer written, no event: the control
 * plane is going away), then joins the thread. Stop the workers first. */
void recorder_stop(struct recorder *r);
void recorder_free(struct recorder *r);
/* Counters (relaxed reads of the recorder's own). Any thread. */
void recorder_stats(struct recorder *r, struct recorder_stats *out);

#endif
