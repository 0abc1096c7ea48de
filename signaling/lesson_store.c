/* The lessons table (see lesson_store.h). */
#include "lesson_store.h"

#include <stdio.h>
#include <string.h>

#include "sabaq/error.h"
#include "auth.h"
#include "store.h"

#define COLUMNS "id, title, language, start_ms, duration_min, max_participants, lobby, " \
                "students_publish, students_video, single_use, owner, created_ms, ended_ms, last_n, " \
                "auto_record"

/* A database made before a column existed gets it, with its default. */
static int add_column(struct store *st, const char *name, const char *ddl)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), "SELECT 1 FROM pragma_table_info('lessons') WHERE "
                                         "name = ?", -1, &q, NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc == SQLITE_ROW)
        return 0;
    return store_schema(st, ddl);
}

int lesson_store_init(struct store *st)
{
    int rc = store_schema(st, "CREATE TABLE IF NOT EXISTS lessons ("
                            " id TEXT PRIMARY KEY,"
                            " title TEXT NOT NULL,"
                            " language TEXT NOT NULL,"
                            " start_ms INTEGER NOT NULL,"
                            " duration_min INTEGER NOT NULL,"
                            " max_participants INTEGER NOT NULL,"
                            " lobby INTEGER NOT NULL,"
                            " students_publish INTEGER NOT NULL,"
                            " students_video INTEGER NOT NULL,"
                            " single_use INTEGER NOT NULL,"
                            " owner INTEGER NOT NULL,"
                            " created_ms INTEGER NOT NULL,"
                            " ended_ms INTEGER NOT NULL DEFAULT 0,"
                            " last_n INTEGER NOT NULL DEFAULT 4,"
                            " auto_record INTEGER NOT NULL DEFAULT 0);"
                            "CREATE INDEX IF NOT EXISTS lessons_owner ON lessons (owner);");
    if (rc == 0)
        rc = add_column(st, "last_n", "ALTER TABLE lessons ADD COLUMN last_n INTEGER NOT NULL "
                                      "DEFAULT 4");
    if (rc == 0)
        rc = add_column(st, "auto_record", "ALTER TABLE lessons ADD COLUMN auto_record INTEGER "
                                           "NOT NULL DEFAULT 0");
    return rc;
}

void lesson_store_defaults(struct lesson_def *d, int64_t now_ms)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->language, sizeof(d->language), "ru");
    d->start_ms = now_ms;
    d->duration_min = LESSON_DEFAULT_MINUTES;
    d->max_participants = LESSON_DEFAULT_MAX_PARTICIPANTS;
    d->students_video = true;
    d->last_n = LESSON_DEFAULT_LAST_N;
    d->created_ms = now_ms;
}

int64_t lesson_store_links_expire_ms(const struct lesson_def *d)
{
    return d->start_ms + (int64_t)d->duration_min * 60000 + 12 * 3600 * 1000LL;
}

int lesson_store_create(struct store *st, struct lesson_def *d)
{
    auth_random_id(d->id, LESSON_ID_LEN);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), "INSERT INTO lessons (" COLUMNS ") VALUES "
                                         "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &q, NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, d->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, d->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, d->language, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, d->start_ms);
    sqlite3_bind_int(q, 5, (int)d->duration_min);
    sqlite3_bind_int(q, 6, (int)d->max_participants);
    sqlite3_bind_int(q, 7, d->lobby);
    sqlite3_bind_int(q, 8, d->students_publish);
    sqlite3_bind_int(q, 9, d->students_video);
    sqlite3_bind_int(q, 10, d->single_use);
    sqlite3_bind_int64(q, 11, d->owner);
    sqlite3_bind_int64(q, 12, d->created_ms);
    sqlite3_bind_int64(q, 13, d->ended_ms);
    sqlite3_bind_int(q, 14, d->last_n);
    sqlite3_bind_int(q, 15, d->auto_record);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

static void read_row(sqlite3_stmt *q, struct lesson_def *d)
{
    memset(d, 0, sizeof(*d));
    store_column_text(q, 0, d->id, sizeof(d->id));
    store_column_text(q, 1, d->title, sizeof(d->title));
    store_column_text(q, 2, d->language, sizeof(d->language));
    d->start_ms = sqlite3_column_int64(q, 3);
    d->duration_min = (uint32_t)sqlite3_column_int(q, 4);
    d->max_participants = (uint32_t)sqlite3_column_int(q, 5);
    d->lobby = sqlite3_column_int(q, 6) != 0;
    d->students_publish = sqlite3_column_int(q, 7) != 0;
    d->students_video = sqlite3_column_int(q, 8) != 0;
    d->single_use = sqlite3_column_int(q, 9) != 0;
    d->owner = sqlite3_column_int64(q, 10);
    d->created_ms = sqlite3_column_int64(q, 11);
    d->ended_ms = sqlite3_column_int64(q, 12);
    int last_n = sqlite3_column_int(q, 13);
    d->last_n = (uint8_t)(last_n >= 0 && last_n <= LESSON_MAX_LAST_N ? last_n
                                                                      : LESSON_DEFAULT_LAST_N);
    d->auto_record = sqlite3_column_int(q, 14) != 0;
}

int lesson_store_get(struct store *st, const char *id, struct lesson_def *out)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), "SELECT " COLUMNS " FROM lessons WHERE id = ?", -1, &q,
                           NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        read_row(q, out);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -SQ_ENOTFOUND : -SQ_EIO;
}

int lesson_store_end(struct store *st, const char *id, int64_t now_ms)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), "UPDATE lessons SET ended_ms = ? WHERE id = ? AND "
                                         "ended_ms = 0", -1, &q, NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_int64(q, 1, now_ms);
    sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

int lesson_store_list(struct store *st, int64_t owner, size_t max,
                      void (*fn)(const struct lesson_def *d, void *arg), void *arg)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), "SELECT " COLUMNS " FROM lessons WHERE owner = ? "
                                         "ORDER BY created_ms DESC, id LIMIT ?", -1, &q,
                           NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_int64(q, 1, owner);
    sqlite3_bind_int64(q, 2, (sqlite3_int64)max);
    int rc, n = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct lesson_def d;
        read_row(q, &d);
        fn(&d, arg);
        n++;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? n : -SQ_EIO;
}
