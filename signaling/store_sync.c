/* The store's group-commit thread (see store_sync.h). The control thread
 * only bumps a counter under a mutex and signals: no I/O there. */
#include "store_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Checkpoint when the WAL holds this many pages (SQLite's own default), or
 * when commits are this old and idle, so the WAL does not grow for 2 h. */
#define CHECKPOINT_PAGES 1000
#define CHECKPOINT_IDLE_MS 10000

struct store_sync {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;         /* commits came, or stop */
    pthread_cond_t synced;       /* `durable` moved */
    uint64_t committed;          /* commits hooked so far */
    uint64_t durable;            /* commits known on disk */
    int wal_pages;               /* the WAL's size at the last commit */
    bool stopping;
    struct store_sync_stats stats;
    char wal_path[4200];
    char dir_path[4200];
    sqlite3 *checkpointer;       /* owned: this thread's own connection */
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* fdatasync on any descriptor of the file flushes its dirty pages; the
 * directory too, since the WAL file is made anew after a truncation. */
static int sync_path(const char *path, bool is_dir)
{
    int fd = open(path, (is_dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;   /* no WAL: everything is in the database */
    int rc = is_dir ? fsync(fd) : fdatasync(fd);
    close(fd);
    return rc;
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    struct store_sync *s = arg;
    (void)db, (void)name;
    pthread_mutex_lock(&s->lock);
    s->committed++;
    s->stats.commits++;
    s->wal_pages = pages;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    return SQLITE_OK;
}

static void checkpoint(struct store_sync *s)
{
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(s->checkpointer, NULL, SQLITE_CHECKPOINT_PASSIVE, &log,
                                       &done);
    pthread_mutex_lock(&s->lock);
    if (rc == SQLITE_OK) {
        s->stats.checkpoints++;
        s->wal_pages = 0;
    } else if (rc != SQLITE_BUSY) {
        s->stats.errors++;
        fprintf(stderr, "sabaq: store checkpoint failed: %s\n", sqlite3_errmsg(s->checkpointer));
    }
    pthread_mutex_unlock(&s->lock);
}

static void *run(void *arg)
{
    struct store_sync *s = arg;
    uint64_t last_commit_ms = 0;
    bool checkpoint_due = false;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->stopping && s->committed == s->durable) {
            if (checkpoint_due && now_ms() - last_commit_ms >= CHECKPOINT_IDLE_MS) {
                pthread_mutex_unlock(&s->lock);
                checkpoint(s);
                pthread_mutex_lock(&s->lock);
                checkpoint_due = false;
                continue;
            }
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&s->wake, &s->lock, &until);
        }
        if (s->stopping && s->committed == s->durable)
            break;
        uint64_t target = s->committed;
        bool big = s->wal_pages >= CHECKPOINT_PAGES;
        pthread_mutex_unlock(&s->lock);

        int rc = sync_path(s->wal_path, false);
        if (rc == 0)
            rc = sync_path(s->dir_path, true);
        if (big)
            checkpoint(s);
        last_commit_ms = now_ms();
        checkpoint_due = !big;

        pthread_mutex_lock(&s->lock);
        s->stats.syncs++;
        if (rc < 0) {
            s->stats.errors++;
            fprintf(stderr, "sabaq: store sync of %s failed: %s\n", s->wal_path, strerror(errno));
        }
        s->durable = target;
        pthread_cond_broadcast(&s->synced);
    }
    pthread_mutex_unlock(&s->lock);
    checkpoint(s);
    return NULL;
}

struct store_sync *store_sync_start(sqlite3 *db, const char *db_path, char *err, size_t err_len)
{
    struct store_sync *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    snprintf(s->wal_path, sizeof(s->wal_path), "%s-wal", db_path);
    snprintf(s->dir_path, sizeof(s->dir_path), "%s", db_path);
    char *slash = strrchr(s->dir_path, '/');
    if (slash)
        *(slash == s->dir_path ? slash + 1 : slash) = '\0';
    else
        snprintf(s->dir_path, sizeof(s->dir_path), ".");
    if (sqlite3_open_v2(db_path, &s->checkpointer, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(s->checkpointer, 2000) != SQLITE_OK) {
        snprintf(err, err_len, "cannot open %s for checkpoints: %s", db_path,
                 s->checkpointer ? sqlite3_errmsg(s->checkpointer) : "out of memory");
        sqlite3_close(s->checkpointer);
        free(s);
        return NULL;
    }
    char *msg = NULL;
    if (sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, err_len, "PRAGMA synchronous=NORMAL: %s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        sqlite3_close(s->checkpointer);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_cond_init(&s->synced, NULL);
    if (pthread_create(&s->thread, NULL, run, s) != 0) {
        snprintf(err, err_len, "cannot start the store's sync thread");
        sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
        sqlite3_close(s->checkpointer);
        free(s);
        return NULL;
    }
    /* Replaces SQLite's automatic checkpoints (they ran on the committing
     * thread): this thread checkpoints instead. */
    sqlite3_wal_hook(db, wal_hook, s);
    return s;
}

int store_sync_flush(struct store_sync *s)
{
    pthread_mutex_lock(&s->lock);
    uint64_t target = s->committed;
    uint64_t errors = s->stats.errors;
    pthread_cond_signal(&s->wake);
    while (s->durable < target)
        pthread_cond_wait(&s->synced, &s->lock);
    int rc = s->stats.errors == errors ? 0 : -1;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void store_sync_stop(struct store_sync *s, sqlite3 *db)
{
    if (!s)
        return;
    sqlite3_wal_hook(db, NULL, NULL);
    sqlite3_wal_autocheckpoint(db, CHECKPOINT_PAGES);
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    sqlite3_close(s->checkpointer);
    pthread_cond_destroy(&s->synced);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void store_sync_stats(struct store_sync *s, struct store_sync_stats *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->stats;
    pthread_mutex_unlock(&s->lock);
}
