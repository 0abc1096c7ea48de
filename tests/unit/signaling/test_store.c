/* The store: a commit survives closing and reopening the database. */
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#include "signaling/store.h"

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
