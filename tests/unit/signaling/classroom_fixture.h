/* A stored lesson for the classroom tests (chat, polls, attendance): the
 * signaling harness with a real SQLite store in a temporary directory, a
 * lesson created in it, and joins with real lesson tokens. Virtual time:
 * tests set f->h.sig->now_ms. */
#ifndef SABAQ_TEST_CLASSROOM_FIXTURE_H
#define SABAQ_TEST_CLASSROOM_FIXTURE_H

#include "harness.h"
#include "signaling/lesson_store.h"
#include "signaling/store.h"

#define FIXTURE_T0 1756717200000ull   /* 2025-09-01 09:00:00 UTC */

struct fixture {
    struct harness h;
    struct store *st;              /* owned */
    char dir[64];
    struct lesson_def def;
};

/* false when the store or the lesson could not be made. */
bool fixture_init(struct fixture *f);
void fixture_free(struct fixture *f);
/* Joins with the lesson's shared link of `role` as `name` (or with roster
 * entry `entry` when > 0); consumes frames up to and including `joined`.
 * NULL when refused. */
struct fake_conn *fixture_join(struct fixture *f, const char *role, const char *name);
struct fake_conn *fixture_join_roster(struct fixture *f, int64_t entry);
/* Sends a frame built with json_pack-like printf formatting. */
void fixture_send(struct fixture *f, struct fake_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Forgets every frame received so far (the harness keeps at most 64). */
void fixture_drain(struct fake_conn *c);
/* Frames of this type not looked at yet, counted without consuming them. */
size_t fixture_count(const struct fake_conn *c, const char *type);
/* The first error frame not looked at yet (consumed up to it), or NULL. */
json_t *fixture_error(struct fake_conn *c);
/* Rows in a table of the store for the lesson (-1 on error). */
long long fixture_rows(struct fixture *f, const char *sql);

#endif
