/* The SQLite store behind chat, polls, attendance, lessons and staff
 * (see store.h for the durability rule). */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "store_sync.h"

struct store {
    sqlite3 *db;             /* owned */
    struct store_sync *sync; /* owned: NULL until store_group_commit */
    char dir[4096];
};

static int pragma(sqlite3 *db, const char *sql, char *err, size_t err_len)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    snprintf(err, err_len, "%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
}

struct store *store_open(const char *data_dir, char *err, size_t err_len)
{
    struct store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    snprintf(s->dir, sizeof s->dir, "%s", data_dir);
    char path[4200];
    snprintf(path, sizeof path, "%s/sabaq.db", data_dir);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        snprintf(err, err_len, "cannot open %s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        store_close(s);
        return NULL;
    }
    /* WAL: readers (the CLI, exports) never block the server's writes.
     * synchronous=FULL: a commit is on disk before we acknowledge it (the
     * CLI's few writes); the server switches to group commit (store_sync.h).
     * busy_timeout: `sabaq staff add` may write while the server runs. */
    if (pragma(s->db, "PRAGMA journal_mode=WAL", err, err_len) ||
        pragma(s->db, "PRAGMA synchronous=FULL", err, err_len) ||
        pragma(s->db, "PRAGMA foreign_keys=ON", err, err_len) ||
        sqlite3_busy_timeout(s->db, 2000) != SQLITE_OK) {
        store_close(s);
        return NULL;
    }
    return s;
}

int store_group_commit(struct store *s, char *err, size_t err_len)
{
    if (s->sync)
        return 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/sabaq.db", s->dir);
    s->sync = store_sync_start(s->db, path, err, err_len);
    return s->sync ? 0 : -SQ_EIO;
}

int store_flush(struct store *s)
{
    return s->sync ? store_sync_flush(s->sync) : 0;
}

struct store_sync *store_syncer(struct store *s) { return s->sync; }

void store_close(struct store *s)
{
    if (!s)
        return;
    store_sync_stop(s->sync, s->db);
    sqlite3_close(s->db);
    free(s);
}

sqlite3 *store_db(struct store *s) { return s->db; }

const char *store_dir(const struct store *s) { return s->dir; }

int store_schema(struct store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    fprintf(stderr, "sabaq: store schema failed: %s\n", msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return -SQ_EIO;
}

sqlite3_stmt *store_prepare(struct store *s, const char *sql)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
        fprintf(stderr, "sabaq: store: %s: %s\n", sqlite3_errmsg(s->db), sql);
        return NULL;
    }
    return q;
}

void store_column_text(sqlite3_stmt *q, int col, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

int store_count_by(struct store *s, const char *sql, const char *lesson_id,
                   void (*fn)(const char *key, long long n, void *arg), void *arg)
{
    sqlite3_stmt *q = store_prepare(s, sql);
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, lesson_id, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        fn((const char *)sqlite3_column_text(q, 0), sqlite3_column_int64(q, 1), arg);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}
