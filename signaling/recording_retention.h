/* Retention of recordings: with --recordings-keep-days N (config.h; 0, the
 * default, keeps every recording), recordings that ended more than N days
 * ago are deleted (recording_delete.h, the same path as staff's DELETE)
 * at the first tick after start-up, then once an hour. A recording being
 * written is never due. Time comes from s->now_ms: tests drive it. */
#ifndef SIGNALING_RECORDING_RETENTION_H
#define SIGNALING_RECORDING_RETENTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct recording_row;
struct signaling;

#define RECORDING_RETENTION_EVERY_MS (3600 * 1000LL)
/* Deletions per run: a backlog (retention just switched on) goes in
 * batches one second apart, so the control thread never stalls. */
#define RECORDING_RETENTION_BATCH 20
#define RECORDING_RETENTION_MAX_DAYS 36500

/* Whether r is old enough to go: finished, failed or crashed, and its end
 * (stopped_ms, else started_ms) keep_days * 24 h or more before now_ms.
 * Never with keep_days 0. */
bool recording_retention_due(const struct recording_row *r, unsigned keep_days,
                             int64_t now_ms);

/* Deletes up to max due recordings of the whole server, oldest first, each
 * logged (a failure too). How many it deleted, or -SQ_EIO. */
int recording_retention_run(struct signaling *s, unsigned keep_days, size_t max);

/* From signaling_tick: runs when s->recordings_keep_days is set and
 * s->retention_next_ms has come, then sets the next time. */
void recording_retention_tick(struct signaling *s);

#endif
