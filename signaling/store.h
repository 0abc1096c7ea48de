/* Sabaq's durable state: one SQLite database, <data-dir>/sabaq.db, in WAL
 * mode, written only from the control thread. A row is committed before
 * anything that depends on it is acknowledged or broadcast, so a kill -9
 * loses nothing that anyone was told about. The server commits with group
 * commit (store_group_commit, store_sync.h: fsync off the control thread);
 * the CLI with synchronous=FULL.
 * Each module owns its own tables: it calls store_schema() once at start-up
 * with CREATE TABLE IF NOT EXISTS statements and prepares its own statements
 * on store_db(). */
#ifndef SIGNALING_STORE_H
#define SIGNALING_STORE_H

#include <sqlite3.h>
#include <stddef.h>

struct store;

/* Opens (creating) <data_dir>/sabaq.db. NULL with a sentence in err on failure. */
struct store *store_open(const char *data_dir, char *err, size_t err_len);
void store_close(struct store *s);

/* The server's mode: commits no longer wait for their own fsync; a thread
 * makes them durable right after, many at once (store_sync.h). 0 or -SQ_EIO
 * with a sentence in err. */
int store_group_commit(struct store *s, char *err, size_t err_len);
/* Waits until everything committed so far is on disk (0, or -1 on an I/O
 * error); at once without group commit. */
int store_flush(struct store *s);
/* The group-commit thread (NULL without it), for its counters. */
struct store_sync *store_syncer(struct store *s);

/* The connection, for modules' prepared statements (borrowed). */
sqlite3 *store_db(struct store *s);

/* Runs one or more statements (a module's schema). 0 or -SQ_EIO, logged. */
int store_schema(struct store *s, const char *sql);

/* A prepared statement (the caller finalizes it), or NULL with the error
 * logged: modules' statements are fixed strings, so a failure is a bug or a
 * broken database, not bad input. */
sqlite3_stmt *store_prepare(struct store *s, const char *sql);

/* Copies the text of a row's column into out (cap bytes, cut to fit; ""
 * when NULL), as every row reader does. */
void store_column_text(sqlite3_stmt *q, int col, char *out, size_t cap);

/* Runs `sql`, a query selecting (text key, integer count) rows for one
 * lesson id bound to its only parameter, and calls fn for each row.
 * 0 or -SQ_EIO. Attendance uses it to count chat messages and votes. */
int store_count_by(struct store *s, const char *sql, const char *lesson_id,
                   void (*fn)(const char *key, long long n, void *arg), void *arg);

/* The data directory given to store_open (borrowed). */
const char *store_dir(const struct store *s);

#endif
