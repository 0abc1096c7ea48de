/* The lesson setting last_n: stored with the lesson, 4 by default, and a
 * database made before the setting existed gets the column. */
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#include "signaling/lesson_store.h"
#include "signaling/store.h"

static void remove_dir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

TEST(lesson_last_n_is_stored_and_defaults_to_four)
{
    char dir[] = "/tmp/sabaq-lastn-XXXXXX";
    ASSERT(mkdtemp(dir));
    char err[256];
    struct store *s = store_open(dir, err, sizeof err);
    ASSERT(s);
    ASSERT_EQ(0, lesson_store_init(s));
    ASSERT_EQ(0, lesson_store_init(s));   /* again: the column is there already */
    struct lesson_def d, got;
    lesson_store_defaults(&d, 1000);
    ASSERT_EQ(LESSON_DEFAULT_LAST_N, d.last_n);
    snprintf(d.title, sizeof(d.title), "x");
    d.last_n = 1;
    ASSERT_EQ(0, lesson_store_create(s, &d));
    ASSERT_EQ(0, lesson_store_get(s, d.id, &got));
    ASSERT_EQ(1, got.last_n);
    store_close(s);
    remove_dir(dir);
}

TEST(lesson_last_n_column_is_added_to_an_older_database)
{
    char dir[] = "/tmp/sabaq-lastn-XXXXXX";
    ASSERT(mkdtemp(dir));
    char err[256];
    struct store *s = store_open(dir, err, sizeof err);
    ASSERT(s);
    ASSERT_EQ(0, store_schema(s, "CREATE TABLE lessons (id TEXT PRIMARY KEY, title TEXT NOT NULL,"
                                 " language TEXT NOT NULL, start_ms INTEGER NOT NULL,"
                                 " duration_min INTEGER NOT NULL, max_participants INTEGER NOT NULL,"
                                 " lobby INTEGER NOT NULL, students_publish INTEGER NOT NULL,"
                                 " students_video INTEGER NOT NULL, single_use INTEGER NOT NULL,"
                                 " owner INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
                                 " ended_ms INTEGER NOT NULL DEFAULT 0);"
                                 "INSERT INTO lessons VALUES ('old','t','ru',0,45,500,0,0,1,0,1,0,0);"));
    ASSERT_EQ(0, lesson_store_init(s));
    struct lesson_def got;
    ASSERT_EQ(0, lesson_store_get(s, "old", &got));
    ASSERT_EQ(LESSON_DEFAULT_LAST_N, got.last_n);
    store_close(s);
    remove_dir(dir);
}
