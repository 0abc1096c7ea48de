/* Retention of recordings (see recording_retention.h). */
#include "recording_retention.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sabaq/error.h"
#include "recording_delete.h"
#include "recording_store.h"
#include "signaling.h"

#define DAY_MS 86400000LL

static int64_t end_of(const struct recording_row *r)
{
    return r->stopped_ms > 0 ? r->stopped_ms : r->started_ms;
}

bool recording_retention_due(const struct recording_row *r, unsigned keep_days,
                             int64_t now_ms)
{
    if (keep_days == 0 || keep_days > RECORDING_RETENTION_MAX_DAYS ||
        strcmp(r->state, "recording") == 0)
        return false;
    return now_ms - end_of(r) >= (int64_t)keep_days * DAY_MS;
}

struct batch {
    struct recording_row rows[RECORDING_RETENTION_BATCH];
    size_t n;
};

static void collect(const struct recording_row *r, void *arg)
{
    struct batch *b = arg;
    if (b->n < RECORDING_RETENTION_BATCH)
        b->rows[b->n++] = *r;
}

/* "2026-11-23" of a Unix time in ms (UTC, as the log's other times). */
static void day_of(int64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%d", &tm))
        snprintf(out, cap, "%lld ms", (long long)ms);
}

int recording_retention_run(struct signaling *s, unsigned keep_days, size_t max)
{
    if (!s->store || keep_days == 0)
        return 0;
    if (max > RECORDING_RETENTION_BATCH)
        max = RECORDING_RETENTION_BATCH;
    int64_t now = (int64_t)s->now_ms, before = now - (int64_t)keep_days * DAY_MS + 1;
    /* Read first, then delete: no writes under a running SELECT. */
    struct batch b;
    b.n = 0;
    if (recording_store_ended_before(s->store, before, max, collect, &b) < 0) {
        signaling_log(s, "recordings: retention cannot read the store");
        return -SQ_EIO;
    }
    int deleted = 0;
    for (size_t i = 0; i < b.n; i++) {
        const struct recording_row *r = &b.rows[i];
        if (!recording_retention_due(r, keep_days, now))
            continue;
        char why[300], day[32];
        day_of(end_of(r), day, sizeof(day));
        int rc = recording_delete(s->store, r, why, sizeof(why));
        if (rc < 0) {
            signaling_log(s, "recordings: retention (%u days) could not delete recording %lld "
                             "of lesson %s: %s", keep_days, (long long)r->id, r->lesson, why);
            continue;
        }
        deleted++;
        signaling_log(s, "recordings: retention (%u days) deleted recording %lld of lesson "
                         "%s (%s, ended %s, %lld bytes)%s%s", keep_days, (long long)r->id,
                      r->lesson, r->state, day, (long long)r->bytes, rc ? ": " : "", why);
    }
    return deleted;
}

void recording_retention_tick(struct signaling *s)
{
    if (!s->store || s->recordings_keep_days == 0 || s->now_ms < s->retention_next_ms)
        return;
    int n = recording_retention_run(s, s->recordings_keep_days, RECORDING_RETENTION_BATCH);
    /* A full batch: more may be due, go on in a second; else in an hour. */
    s->retention_next_ms = s->now_ms + (n >= RECORDING_RETENTION_BATCH
                                            ? 1000
                                            : (uint64_t)RECORDING_RETENTION_EVERY_MS);
}
