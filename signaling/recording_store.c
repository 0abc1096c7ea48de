/* The recordings table (see recording_store.h). */
#include "recording_store.h"

#include <stdio.h>
#include <string.h>

#include "sabaq/error.h"
#include "store.h"

#define COLUMNS "id, lesson, started_ms, stopped_ms, duration_ms, bytes, path, state, reason"

int recording_store_init(struct store *st)
{
    /* AUTOINCREMENT: an id is never given twice, so a URL never changes meaning. */
    return store_schema(st, "CREATE TABLE IF NOT EXISTS recordings ("
                            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                            " lesson TEXT NOT NULL,"
                            " started_ms INTEGER NOT NULL,"
                            " stopped_ms INTEGER NOT NULL DEFAULT 0,"
                            " duration_ms INTEGER NOT NULL DEFAULT 0,"
                            " bytes INTEGER NOT NULL DEFAULT 0,"
                            " path TEXT NOT NULL DEFAULT '',"
                            " state TEXT NOT NULL,"
                            " reason TEXT NOT NULL DEFAULT '');"
                            "CREATE INDEX IF NOT EXISTS recordings_lesson ON recordings (lesson);");
}

static void read_row(sqlite3_stmt *q, struct recording_row *r)
{
    memset(r, 0, sizeof(*r));
    r->id = sqlite3_column_int64(q, 0);
    store_column_text(q, 1, r->lesson, sizeof(r->lesson));
    r->started_ms = sqlite3_column_int64(q, 2);
    r->stopped_ms = sqlite3_column_int64(q, 3);
    r->duration_ms = sqlite3_column_int64(q, 4);
    r->bytes = sqlite3_column_int64(q, 5);
    store_column_text(q, 6, r->path, sizeof(r->path));
    store_column_text(q, 7, r->state, sizeof(r->state));
    store_column_text(q, 8, r->reason, sizeof(r->reason));
}

static int step_done(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

int recording_store_insert(struct store *st, const char *lesson, int64_t started_ms,
                           struct recording_row *out)
{
    sqlite3_stmt *q = store_prepare(st, "INSERT INTO recordings (lesson, started_ms, state) "
                                        "VALUES (?, ?, 'recording')");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, lesson, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, started_ms);
    if (step_done(q) < 0)
        return -SQ_EIO;
    memset(out, 0, sizeof(*out));
    out->id = (int64_t)sqlite3_last_insert_rowid(store_db(st));
    snprintf(out->lesson, sizeof(out->lesson), "%s", lesson);
    out->started_ms = started_ms;
    snprintf(out->path, sizeof(out->path), "recordings/%s/%lld", lesson, (long long)out->id);
    snprintf(out->state, sizeof(out->state), "recording");
    if (!(q = store_prepare(st, "UPDATE recordings SET path = ? WHERE id = ?")))
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, out->path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, out->id);
    return step_done(q);
}

int recording_store_delete(struct store *st, int64_t id)
{
    sqlite3_stmt *q = store_prepare(st, "DELETE FROM recordings WHERE id = ?");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_int64(q, 1, id);
    return step_done(q);
}

int recording_store_finish(struct store *st, const struct recording_row *r)
{
    sqlite3_stmt *q = store_prepare(st, "UPDATE recordings SET state = ?, reason = ?, "
                                        "stopped_ms = ?, duration_ms = ?, bytes = ? WHERE id = ?");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, r->state, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, r->reason, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, r->stopped_ms);
    sqlite3_bind_int64(q, 4, r->duration_ms);
    sqlite3_bind_int64(q, 5, r->bytes);
    sqlite3_bind_int64(q, 6, r->id);
    int rc = step_done(q);
    if (rc == 0 && sqlite3_changes(store_db(st)) == 0)
        return -SQ_ENOTFOUND;
    return rc;
}

int recording_store_get(struct store *st, int64_t id, struct recording_row *out)
{
    sqlite3_stmt *q = store_prepare(st, "SELECT " COLUMNS " FROM recordings WHERE id = ?");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        read_row(q, out);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -SQ_ENOTFOUND : -SQ_EIO;
}

static int each_row(sqlite3_stmt *q, void (*fn)(const struct recording_row *r, void *arg),
                    void *arg)
{
    int rc, n = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct recording_row r;
        read_row(q, &r);
        fn(&r, arg);
        n++;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? n : -SQ_EIO;
}

int recording_store_list(struct store *st, const char *lesson, size_t max,
                         void (*fn)(const struct recording_row *r, void *arg), void *arg)
{
    sqlite3_stmt *q = store_prepare(st, "SELECT " COLUMNS " FROM recordings WHERE lesson = ? "
                                        "ORDER BY started_ms DESC, id DESC LIMIT ?");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, lesson, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)max);
    return each_row(q, fn, arg);
}

int recording_store_open_rows(struct store *st,
                              void (*fn)(const struct recording_row *r, void *arg), void *arg)
{
    sqlite3_stmt *q = store_prepare(st, "SELECT " COLUMNS " FROM recordings "
                                        "WHERE state = 'recording' ORDER BY id");
    return q ? each_row(q, fn, arg) : -SQ_EIO;
}

int recording_store_ended_before(struct store *st, int64_t before_ms, size_t max,
                                 void (*fn)(const struct recording_row *r, void *arg),
                                 void *arg)
{
    sqlite3_stmt *q = store_prepare(st, "SELECT " COLUMNS " FROM recordings "
                                        "WHERE state != 'recording' AND "
                                        "(CASE WHEN stopped_ms > 0 THEN stopped_ms "
                                        "ELSE started_ms END) < ? "
                                        "ORDER BY stopped_ms, id LIMIT ?");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_int64(q, 1, before_ms);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)max);
    return each_row(q, fn, arg);
}
