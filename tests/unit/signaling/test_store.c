/* The store: a commit survives closing and reopening the database. */
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#include "signaling/store.h"
#include "signaling/store_sync.h"

TEST(store_keeps_committed_rows_across_reopen)
{
    char dir[] = "/tmp/sabaq-store-XXXXXX";
    ASSERT(mkdtemp(dir));
    char err[256];
    struct store *s = store_open(dir, err, sizeof err);
    ASSERT(s);
    ASSERT_EQ(0, store_schema(s, "CREATE TABLE IF NOT EXISTS t(x INTEGER);"
                                 "INSERT INTO t VALUES (42);"));
    store_close(s);
    s = store_open(dir, err, sizeof err);
    ASSERT(s);
    sqlite3_stmt *st;
    ASSERT_EQ(SQLITE_OK, sqlite3_prepare_v2(store_db(s), "SELECT x FROM t", -1, &st, NULL));
    ASSERT_EQ(SQLITE_ROW, sqlite3_step(st));
    ASSERT_EQ(42, sqlite3_column_int(st, 0));
    sqlite3_finalize(st);
    ASSERT(store_schema(s, "THIS IS NOT SQL") < 0);
    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ASSERT_EQ(0, system(cmd));
}

TEST(store_open_fails_clearly_on_a_missing_directory)
{
    char err[256] = "";
    ASSERT(store_open("/nonexistent/sabaq", err, sizeof err) == NULL);
    ASSERT(strstr(err, "/nonexistent/sabaq/sabaq.db") != NULL);
}

/* Group commit: commits are counted by the hook, made durable by the
 * thread (one sync may cover many), readable by another connection at once,
 * and a large WAL is checkpointed off the committing thread. */
TEST(store_group_commit_syncs_and_checkpoints_off_the_committer)
{
    char dir[] = "/tmp/sabaq-store-gc-XXXXXX";
    ASSERT(mkdtemp(dir));
    char err[256];
    struct store *s = store_open(dir, err, sizeof err);
    ASSERT(s);
    ASSERT_EQ(0, store_schema(s, "CREATE TABLE t (i INTEGER, pad BLOB)"));
    ASSERT_EQ(0, store_group_commit(s, err, sizeof err));
    ASSERT_EQ(0, store_group_commit(s, err, sizeof err)); /* once is enough */
    sqlite3_stmt *ins = store_prepare(s, "INSERT INTO t VALUES (?1, zeroblob(4000))");
    ASSERT(ins);
    for (int i = 0; i < 1500; i++) {
        sqlite3_bind_int(ins, 1, i);
        ASSERT_EQ(SQLITE_DONE, sqlite3_step(ins));
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    ASSERT_EQ(0, store_flush(s));
    struct store_sync_stats st;
    store_sync_stats(store_syncer(s), &st);
    ASSERT_EQ(1500u, st.commits);
    ASSERT(st.syncs >= 1 && st.syncs <= st.commits);
    ASSERT_EQ(0u, st.errors);

    /* Another connection (the CLI, an export) sees every row. */
    char path[128];
    snprintf(path, sizeof path, "%s/sabaq.db", dir);
    sqlite3 *other;
    ASSERT_EQ(SQLITE_OK, sqlite3_open_v2(path, &other, SQLITE_OPEN_READONLY, NULL));
    sqlite3_stmt *q;
    ASSERT_EQ(SQLITE_OK, sqlite3_prepare_v2(other, "SELECT count(*) FROM t", -1, &q, NULL));
    ASSERT_EQ(SQLITE_ROW, sqlite3_step(q));
    ASSERT_EQ(1500, sqlite3_column_int(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(other);

    /* 1500 pages of 4 KB passed the checkpoint size: the thread moved them
     * into the database (within a few seconds at most). */
    for (int i = 0; i < 100 && st.checkpoints == 0; i++) {
        usleep(50000);
        store_sync_stats(store_syncer(s), &st);
    }
    ASSERT(st.checkpoints >= 1);
    store_close(s);

    /* Reopened after close: every row is there. */
    s = store_open(dir, err, sizeof err);
    ASSERT(s);
    sqlite3_stmt *c = store_prepare(s, "SELECT count(*) FROM t");
    ASSERT_EQ(SQLITE_ROW, sqlite3_step(c));
    ASSERT_EQ(1500, sqlite3_column_int(c, 0));
    sqlite3_finalize(c);
    store_close(s);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ASSERT_EQ(0, system(cmd));
}
