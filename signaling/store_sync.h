/* Group commit for the store: the control thread commits with
 * synchronous=NORMAL (a commit is in the WAL file, safe from a crash of the
 * process, no fsync), and this thread makes the WAL durable on disk right
 * after, one fdatasync for however many commits came meanwhile, and
 * checkpoints the WAL into the database off the control thread.
 *
 * Why: with synchronous=FULL every join, chat line and attendance row waited
 * for its own fsync on the control thread; on a busy school disk 500 joins in
 * a minute queued behind each other for seconds. Now a kill -9 loses nothing
 * committed (the WAL is in the page cache) and a power cut loses at most the
 * commits of the last few milliseconds (until the next sync finishes). */
#ifndef SIGNALING_STORE_SYNC_H
#define SIGNALING_STORE_SYNC_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct store_sync;

/* Takes over durability of db (the database file at db_path): switches it to
 * synchronous=NORMAL, turns its automatic checkpoints off and hooks its
 * commits. NULL (db unchanged) with a sentence in err on failure. */
struct store_sync *store_sync_start(sqlite3 *db, const char *db_path, char *err, size_t err_len);

/* Syncs and checkpoints what is left, stops the thread, gives db back its
 * own automatic checkpoints. Call before closing db. */
void store_sync_stop(struct store_sync *s, sqlite3 *db);

/* Blocks until every commit made before the call is on disk (tests; and
 * the CLI-visible "everything is saved" at shutdown). 0, or -1 on an I/O error. */
int store_sync_flush(struct store_sync *s);

struct store_sync_stats {
    uint64_t commits;            /* seen by the hook */
    uint64_t syncs;              /* fdatasync calls of the WAL */
    uint64_t checkpoints;        /* passive checkpoints run */
    uint64_t errors;             /* failed syncs or checkpoints (logged) */
};
void store_sync_stats(struct store_sync *s, struct store_sync_stats *out);

#endif
