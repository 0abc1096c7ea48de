/* The recordings table: one row per recording, committed before anyone is
 * told it started, so a recording survives a restart in the list. States:
 *   "recording"  being written (a row left so at start-up was cut by a crash)
 *   "finished"   stopped by staff, by the lesson's end, or by the server's stop
 *   "failed"     stopped by the media plane (reason "disk_full" or "write_error")
 *   "crashed"    the server died while writing it: playable up to the crash
 * The files live in <data-dir>/<path>, path = "recordings/<lesson>/<id>". */
#ifndef SIGNALING_RECORDING_STORE_H
#define SIGNALING_RECORDING_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct recording_row {
    int64_t id;
    char lesson[65];
    int64_t started_ms, stopped_ms;   /* wall clock; stopped 0 while recording */
    int64_t duration_ms, bytes;       /* as known when it stopped (bytes: the file's size) */
    char path[160];                   /* relative to the data directory */
    char state[16];
    char reason[16];                  /* "stopped", "disk_full", "write_error", "crash", "" */
};

/* Creates the table. 0 or -SQ_EIO. */
int recording_store_init(struct store *st);

/* A new row (state "recording") for lesson started at started_ms: *out gets
 * it, with its id and path. 0 or -SQ_EIO. */
int recording_store_insert(struct store *st, const char *lesson, int64_t started_ms,
                           struct recording_row *out);
/* Deletes a row whose recording never started. 0 or -SQ_EIO. */
int recording_store_delete(struct store *st, int64_t id);
/* Sets state, reason, stopped_ms, duration_ms and bytes. 0, -SQ_ENOTFOUND or -SQ_EIO. */
int recording_store_finish(struct store *st, const struct recording_row *r);

/* 0, -SQ_ENOTFOUND or -SQ_EIO. */
int recording_store_get(struct store *st, int64_t id, struct recording_row *out);
/* The lesson's recordings, newest first: fn for each (at most max). The
 * count, or -SQ_EIO. */
int recording_store_list(struct store *st, const char *lesson, size_t max,
                         void (*fn)(const struct recording_row *r, void *arg), void *arg);
/* Every row still "recording" (for start-up recovery). The count or -SQ_EIO. */
int recording_store_open_rows(struct store *st,
                              void (*fn)(const struct recording_row *r, void *arg), void *arg);

/* For retention (recording_retention.h): rows no longer being written whose
 * end (stopped_ms, or started_ms when that is 0) is before before_ms, oldest
 * first, at most max. The count, or -SQ_EIO. */
int recording_store_ended_before(struct store *st, int64_t before_ms, size_t max,
                                 void (*fn)(const struct recording_row *r, void *arg),
                                 void *arg);

#endif
