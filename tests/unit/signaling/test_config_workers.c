/* --workers: one media worker per core unless told, 1..32, in the file too. */
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

#include "signaling/config.h"

TEST(config_workers_default_is_one_per_core_and_flag_sets_it)
{
    struct config c;
    char err[256];
    char *none[] = {"sabaq", NULL};
    ASSERT_EQ(CONFIG_OK, config_parse(&c, 1, none, err, sizeof(err)));
    ASSERT_EQ(0, c.workers);     /* sfu_start: one per online core */
    char *two[] = {"sabaq", "--workers", "2", NULL};
    ASSERT_EQ(CONFIG_OK, config_parse(&c, 3, two, err, sizeof(err)));
    ASSERT_EQ(2, c.workers);
    char *eq[] = {"sabaq", "--workers=32", NULL};
    ASSERT_EQ(CONFIG_OK, config_parse(&c, 2, eq, err, sizeof(err)));
    ASSERT_EQ(32, c.workers);
}

TEST(config_workers_refuses_zero_too_many_and_words)
{
    struct config c;
    char err[256];
    const char *bad[] = {"0", "33", "two", "-1", "2x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *argv[] = {"sabaq", "--workers", (char *)bad[i], NULL};
        err[0] = '\0';
        ASSERT_EQ(CONFIG_ERROR, config_parse(&c, 3, argv, err, sizeof(err)));
        ASSERT(strstr(err, "--workers must be a number from 1 to 32") != NULL);
    }
}

TEST(config_workers_from_the_config_file)
{
    struct config c;
    char err[256], path[] = "/tmp/sabaq-test-workers-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    const char *text = "workers = 3\n";
    ASSERT_EQ((ssize_t)strlen(text), write(fd, text, strlen(text)));
    close(fd);
    config_defaults(&c);
    ASSERT_EQ(0, config_load_file(&c, path, err, sizeof(err)));
    unlink(path);
    ASSERT_EQ(3, c.workers);
}
