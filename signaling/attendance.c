/* Attendance and statistics (see attendance.h). The store is the truth:
 * attendance_person (one row per identity: name, role, hands, speaking time)
 * and attendance_interval (one row per join, closed at the leave); chat
 * messages and poll answers are counted from chat's and poll's tables. The
 * lesson keeps a write-through copy (l->attendance) for the live panel;
 * the CSV of a lesson that is not live is built from a fresh load. */
#include "attendance.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "attendance_report.h"
#include "chat.h"
#include "lesson.h"
#include "participant.h"
#include "poll.h"
#include "rights.h"
#include "store.h"

#define TOUCH_EVERY_MS 15000

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS attendance_person("
    " lesson_id TEXT NOT NULL,"
    " identity TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " hands_raised INTEGER NOT NULL DEFAULT 0,"
    " speaking_ms INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(lesson_id, identity));"
    "CREATE TABLE IF NOT EXISTS attendance_interval("
    " id INTEGER PRIMARY KEY,"
    " lesson_id TEXT NOT NULL,"
    " identity TEXT NOT NULL,"
    " joined_ms INTEGER NOT NULL,"
    " left_ms INTEGER,"               /* NULL while open */
    " seen_ms INTEGER NOT NULL);"     /* the lesson was alive then: closes it after a crash */
    "CREATE INDEX IF NOT EXISTS attendance_interval_lesson"
    " ON attendance_interval(lesson_id, left_ms);";

void attendance_identity(const struct participant *p, char out[ATTENDANCE_IDENTITY_LEN])
{
    if (p->link[0])
        snprintf(out, ATTENDANCE_IDENTITY_LEN, "%s", p->link);
    else
        snprintf(out, ATTENDANCE_IDENTITY_LEN, "@%s:%s", p->role, p->name);
}

/* Runs one statement with ?1 lesson, ?2 identity, ?3 a, ?4 b, ?5 name, ?6 role
 * (sqlite ignores the bindings a statement does not use). */
static int exec6(struct store *st, const char *sql, const char *lesson_id, const char *identity,
                 int64_t a, int64_t b, const char *name, const char *role)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL) != SQLITE_OK) {
        fprintf(stderr, "sabaq: attendance: %s\n", sqlite3_errmsg(store_db(st)));
        return -SQ_EIO;
    }
    sqlite3_bind_text(q, 1, lesson_id, -1, SQLITE_STATIC);
    if (identity)
        sqlite3_bind_text(q, 2, identity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, a);
    sqlite3_bind_int64(q, 4, b);
    if (name)
        sqlite3_bind_text(q, 5, name, -1, SQLITE_STATIC);
    if (role)
        sqlite3_bind_text(q, 6, role, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "sabaq: attendance: %s\n", sqlite3_errmsg(store_db(st)));
        return -SQ_EIO;
    }
    return 0;
}

static int exec(struct store *st, const char *sql, const char *lesson_id, const char *identity,
                int64_t a, int64_t b)
{
    return exec6(st, sql, lesson_id, identity, a, b, NULL, NULL);
}

int attendance_store_init(struct store *st)
{
    if (store_schema(st, schema) != 0 || chat_store_init(st) != 0 || poll_store_init(st) != 0)
        return -SQ_EIO;
    return 0;
}

/* ---- the lesson's live copy ------------------------------------------ */

static struct store *store_of(const struct lesson *l)
{
    return l->sig ? l->sig->store : NULL;
}

/* l->attendance, loaded at first use. Nobody of this lesson is present in
 * this process yet, so an interval still open in the store was cut by a
 * crash: it is closed at its last known time first. */
static struct attendance_state *state_of(struct lesson *l, struct store *st)
{
    if (l->attendance)
        return l->attendance;
    if (!st || attendance_store_init(st) != 0)
        return NULL;
    exec(st, "UPDATE attendance_interval SET left_ms = seen_ms "
             "WHERE lesson_id = ?1 AND left_ms IS NULL",
         l->id, NULL, 0, 0);
    struct attendance_state *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    if (attendance_load(st, l->id, a) != 0) {
        attendance_state_free(a);
        return NULL;
    }
    l->attendance = a;
    return a;
}

static void close_interval(struct store *st, const char *lesson_id, struct attendee *e,
                           uint64_t now_ms);

/* Whoever is still open when the lesson goes (ended, or its last people
 * removed) leaves now. */
void attendance_lesson_free(struct lesson *l)
{
    struct attendance_state *a = l->attendance;
    struct store *st = store_of(l);
    for (size_t i = 0; a && st && i < a->n; i++)
        if (a->people[i].present)
            close_interval(st, l->id, &a->people[i], l->sig->now_ms);
    attendance_state_free(a);
    l->attendance = NULL;
}

static void push_update(struct lesson *l, struct attendance_state *a, size_t i,
                        const struct participant *except, uint64_t now_ms)
{
    json_t *m = NULL;
    for (struct participant *s = l->members; s; s = s->next_in_lesson) {
        if (s == except || !rights_is_staff(s))
            continue;
        if (!m) {
            m = message_new("attendance_update", NULL);
            json_object_set_new(m, "row", attendance_row_json(&a->people[i], now_ms));
        }
        participant_send(s, json_incref(m));
    }
    json_decref(m);
}

/* The index of p's record (made if new), or -1. */
static long person_of(struct lesson *l, struct participant *p, struct attendance_state **out)
{
    struct attendance_state *a = state_of(l, p->sig->store);
    *out = a;
    if (!a)
        return -1;
    char identity[ATTENDANCE_IDENTITY_LEN];
    attendance_identity(p, identity);
    return attendance_person_find(a, identity, true);
}

void attendance_joined(struct lesson *l, struct participant *p, uint64_t now_ms)
{
    struct attendance_state *a;
    long i = person_of(l, p, &a);
    if (i < 0)
        return;
    struct attendee *e = &a->people[i];
    struct store *st = p->sig->store;
    snprintf(e->name, sizeof(e->name), "%s", p->name);
    snprintf(e->role, sizeof(e->role), "%s", p->role);
    snprintf(e->participant, sizeof(e->participant), "%s", p->id);
    exec6(st, "INSERT INTO attendance_person(lesson_id, identity, name, role) "
              "VALUES (?1, ?2, ?5, ?6) ON CONFLICT(lesson_id, identity) DO UPDATE "
              "SET name = excluded.name, role = excluded.role",
          l->id, e->identity, 0, 0, p->name, p->role);
    /* A second connection of a person already present (a replaced socket,
     * another tab) continues the open interval. */
    if (!e->present) {
        exec(st, "INSERT INTO attendance_interval(lesson_id, identity, joined_ms, seen_ms) "
                 "VALUES (?1, ?2, ?3, ?4)",
             l->id, e->identity, (int64_t)now_ms, (int64_t)now_ms);
        attendance_interval_add(e, now_ms, 0);
        e->present = 1;
    }
    push_update(l, a, (size_t)i, p, now_ms);
}

static void stop_speaking(struct store *st, const char *lesson_id, struct attendee *e,
                          uint64_t now_ms)
{
    if (!e->speaking_since_ms)
        return;
    uint64_t d = now_ms > e->speaking_since_ms ? now_ms - e->speaking_since_ms : 0;
    e->speaking_since_ms = 0;
    e->speaking_ms += d;
    exec(st, "UPDATE attendance_person SET speaking_ms = speaking_ms + ?3 "
             "WHERE lesson_id = ?1 AND identity = ?2",
         lesson_id, e->identity, (int64_t)d, 0);
}

static void close_interval(struct store *st, const char *lesson_id, struct attendee *e,
                           uint64_t now_ms)
{
    stop_speaking(st, lesson_id, e, now_ms);
    exec(st, "UPDATE attendance_interval SET left_ms = ?3, seen_ms = ?3 "
             "WHERE lesson_id = ?1 AND identity = ?2 AND left_ms IS NULL",
         lesson_id, e->identity, (int64_t)now_ms, 0);
    if (e->n_intervals && !e->intervals[e->n_intervals - 1].leave_ms)
        e->intervals[e->n_intervals - 1].leave_ms = now_ms ? now_ms : 1;
    e->present = 0;
    e->participant[0] = '\0';
}

/* Whether someone other than p in l (a member, or away for now) has this identity. */
static bool still_here(const struct lesson *l, const struct participant *p, const char *identity)
{
    const struct participant *lists[] = {l->members, l->away};
    char other[ATTENDANCE_IDENTITY_LEN];
    for (size_t k = 0; k < 2; k++)
        for (const struct participant *m = lists[k]; m; m = m->next_in_lesson) {
            if (m == p)
                continue;
            attendance_identity(m, other);
            if (strcmp(other, identity) == 0)
                return true;
        }
    return false;
}

void attendance_left(struct lesson *l, struct participant *p, uint64_t now_ms)
{
    struct attendance_state *a;
    long i = person_of(l, p, &a);
    if (i < 0)
        return;
    struct attendee *e = &a->people[i];
    if (!e->present || still_here(l, p, e->identity))
        return;
    close_interval(p->sig->store, l->id, e, now_ms);
    push_update(l, a, (size_t)i, p, now_ms);
}

void attendance_hand_raised(struct lesson *l, struct participant *p)
{
    struct attendance_state *a;
    long i = person_of(l, p, &a);
    if (i < 0)
        return;
    a->people[i].hands++;
    exec(p->sig->store, "UPDATE attendance_person SET hands_raised = hands_raised + 1 "
                        "WHERE lesson_id = ?1 AND identity = ?2",
         l->id, a->people[i].identity, 0, 0);
    push_update(l, a, (size_t)i, NULL, p->sig->now_ms);
}

void attendance_chat_sent(struct lesson *l, struct participant *p)
{
    struct attendance_state *a;
    long i = person_of(l, p, &a);
    if (i < 0)
        return;
    a->people[i].chat++;
    push_update(l, a, (size_t)i, NULL, p->sig->now_ms);
}

void attendance_poll_answered(struct lesson *l, struct participant *p)
{
    struct attendance_state *a;
    long i = person_of(l, p, &a);
    if (i < 0)
        return;
    a->people[i].polls++;
    push_update(l, a, (size_t)i, NULL, p->sig->now_ms);
}

static struct participant *by_producer(struct signaling *s, uint32_t producer_id)
{
    for (struct participant *p = s->participants; p; p = p->next)
        for (size_t i = 0; i < p->pub.n_producers; i++)
            if (p->pub.producers[i].id == producer_id)
                return p;
    return NULL;
}

void attendance_speaking(struct signaling *s, uint32_t producer_id, bool speaking,
                         uint64_t now_ms)
{
    struct participant *p = by_producer(s, producer_id);
    if (!p || !p->lesson || p->state != PARTICIPANT_JOINED)
        return;
    struct attendance_state *a;
    long i = person_of(p->lesson, p, &a);
    if (i < 0)
        return;
    struct attendee *e = &a->people[i];
    if (speaking) {
        if (!e->speaking_since_ms)
            e->speaking_since_ms = now_ms ? now_ms : 1;
    } else if (e->speaking_since_ms) {
        stop_speaking(s->store, p->lesson->id, e, now_ms);
        push_update(p->lesson, a, (size_t)i, NULL, now_ms);
    }
    attendance_touch(p->lesson, now_ms);
}

void attendance_touch(struct lesson *l, uint64_t now_ms)
{
    struct attendance_state *a = l->attendance;
    struct store *st = store_of(l);
    if (!a || !st || now_ms < a->touched_ms + TOUCH_EVERY_MS)
        return;
    a->touched_ms = now_ms;
    exec(st, "UPDATE attendance_interval SET seen_ms = ?3 "
             "WHERE lesson_id = ?1 AND left_ms IS NULL",
         l->id, NULL, (int64_t)now_ms, 0);
}

void attendance_on_join(struct participant *p)
{
    if (!rights_is_staff(p))
        return;
    struct attendance_state *a = state_of(p->lesson, p->sig->store);
    participant_send(p, attendance_panel_json(p->sig->store, p->lesson->id, a, NULL,
                                              p->sig->now_ms));
}

void attendance_handle_get(struct participant *p, json_t *msg, json_t *req)
{
    (void)msg;
    if (!rights_is_staff(p)) {
        participant_send_error(p, MESSAGE_ERR_FORBIDDEN, "attendance_get", req,
                               "only the teacher and assistants see attendance");
        return;
    }
    struct attendance_state *a = state_of(p->lesson, p->sig->store);
    if (!a) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "attendance_get", req,
                               "attendance could not be read from the store");
        return;
    }
    participant_send(p, attendance_panel_json(p->sig->store, p->lesson->id, a, req,
                                              p->sig->now_ms));
}

int attendance_csv(struct store *st, struct lesson *l, const char *lesson_id, uint64_t now_ms,
                   int tz_offset_min, char **out, size_t *len)
{
    const struct attendance_state *a = l ? l->attendance : NULL;
    struct attendance_state *loaded = NULL;
    *out = NULL;
    if (!a) {
        loaded = calloc(1, sizeof(*loaded));
        if (!loaded)
            return -SQ_ENOMEM;
        if (attendance_load(st, lesson_id, loaded) != 0) {
            attendance_state_free(loaded);
            return -SQ_EIO;
        }
        a = loaded;
    }
    *out = attendance_report_csv(st, lesson_id, a, now_ms, tz_offset_min, len);
    attendance_state_free(loaded);
    return *out ? 0 : -SQ_ENOMEM;
}
