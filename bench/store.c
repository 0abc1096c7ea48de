/* bench/store: how long one commit keeps the control thread, with the
 * store's two modes: synchronous=FULL (an fsync per commit, what the CLI
 * uses) and group commit (store_sync.h: the server's mode). The workload is
 * the shape of 500 joins: one small row committed per join, back to back.
 * Usage: build/bench/store [DATA_DIR [COMMITS]] (default /var/tmp, 500).
 * The directory's disk decides the figures: run it where --data-dir lives. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "signaling/store.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct result {
    double total_ms, p50_us, p99_us, flush_ms;
};

static int run(const char *base, int commits, int group, struct result *r)
{
    char dir[4096], err[256];
    snprintf(dir, sizeof dir, "%s/sabaq-bench-store-XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror(dir);
        return -1;
    }
    struct store *s = store_open(dir, err, sizeof err);
    if (!s || store_schema(s, "CREATE TABLE joins (lesson TEXT, who TEXT, at INTEGER)") < 0 ||
        (group && store_group_commit(s, err, sizeof err) < 0)) {
        fprintf(stderr, "store: %s\n", err);
        store_close(s);
        return -1;
    }
    sqlite3_stmt *ins = store_prepare(s, "INSERT INTO joins VALUES ('Xb3kP9qL2mRt', ?1, ?2)");
    uint64_t *lat = calloc((size_t)commits, sizeof(*lat));
    uint64_t t0 = now_ns();
    for (int i = 0; i < commits; i++) {
        char who[16];
        snprintf(who, sizeof who, "p%d", i);
        uint64_t a = now_ns();
        sqlite3_bind_text(ins, 1, who, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 2, (sqlite3_int64)a);
        if (sqlite3_step(ins) != SQLITE_DONE)
            fprintf(stderr, "insert failed\n");
        sqlite3_reset(ins);
        lat[i] = now_ns() - a;
    }
    uint64_t t1 = now_ns();
    store_flush(s);   /* group commit: until the last one is on disk too */
    uint64_t t2 = now_ns();
    sqlite3_finalize(ins);
    store_close(s);
    qsort(lat, (size_t)commits, sizeof(*lat), by_value);
    r->total_ms = (double)(t1 - t0) / 1e6;
    r->flush_ms = (double)(t2 - t1) / 1e6;
    r->p50_us = (double)lat[commits / 2] / 1e3;
    r->p99_us = (double)lat[commits * 99 / 100] / 1e3;
    free(lat);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return 0;
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "/var/tmp";
    int commits = argc > 2 ? atoi(argv[2]) : 500;
    if (commits < 1 || commits > 1000000) {
        fprintf(stderr, "usage: %s [DATA_DIR [COMMITS 1..1000000]]\n", argv[0]);
        return 2;
    }
    struct result full, group;
    if (run(base, commits, 0, &full) < 0 || run(base, commits, 1, &group) < 0)
        return 1;
    printf("bench/store: %d single-row commits back to back in %s (%ld cores online)\n", commits,
           base, sysconf(_SC_NPROCESSORS_ONLN));
    printf("  synchronous=FULL: %8.1f ms on the control thread, commit p50 %8.1f us, p99 %8.1f us\n",
           full.total_ms, full.p50_us, full.p99_us);
    printf("  group commit    : %8.1f ms on the control thread, commit p50 %8.1f us, p99 %8.1f us; "
           "all on disk %.1f ms later\n",
           group.total_ms, group.p50_us, group.p99_us, group.flush_ms);
    printf("  ratio FULL / group (control-thread time): %.1f\n",
           group.total_ms > 0 ? full.total_ms / group.total_ms : 0.0);
    return 0;
}
