/* Attendance records: loading from the store, the staff panel's rows and the
 * CSV report (see attendance_report.h). Roster entries come from P's roster
 * table through roster_list(); a person who joined with a personal link has
 * the identity "r<entry id>". */
#include "attendance_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "chat.h"
#include "csv.h"
#include "message.h"
#include "poll.h"
#include "roster.h"
#include "store.h"

/* ---- records ---------------------------------------------------------- */

static bool is_keyed(const char *identity)
{
    /* Roster entries and staff keep their own names as keys: "r12", "s3". */
    if (identity[0] != 'r' && identity[0] != 's')
        return false;
    if (!identity[1])
        return false;
    for (const char *c = identity + 1; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    return true;
}

long attendance_person_find(struct attendance_state *a, const char *identity, bool create)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->people[i].identity, identity) == 0)
            return (long)i;
    if (!create)
        return -1;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        struct attendee *p = realloc(a->people, cap * sizeof(*p));
        if (!p)
            return -1;
        a->people = p;
        a->cap = cap;
    }
    struct attendee *e = &a->people[a->n];
    memset(e, 0, sizeof(*e));
    snprintf(e->identity, sizeof(e->identity), "%s", identity);
    if (is_keyed(identity))
        snprintf(e->key, sizeof(e->key), "%s", identity);
    else
        snprintf(e->key, sizeof(e->key), "a%zu", a->n + 1);
    return (long)a->n++;
}

int attendance_interval_add(struct attendee *e, uint64_t join_ms, uint64_t leave_ms)
{
    if (e->n_intervals == e->cap_intervals) {
        size_t cap = e->cap_intervals ? e->cap_intervals * 2 : 4;
        struct attendance_interval *iv = realloc(e->intervals, cap * sizeof(*iv));
        if (!iv)
            return -SQ_ENOMEM;
        e->intervals = iv;
        e->cap_intervals = cap;
    }
    e->intervals[e->n_intervals++] = (struct attendance_interval){join_ms, leave_ms};
    return 0;
}

void attendance_state_free(struct attendance_state *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        free(a->people[i].intervals);
    free(a->people);
    free(a);
}

static int by_join(const void *x, const void *y)
{
    const struct attendance_interval *a = x, *b = y;
    return a->join_ms < b->join_ms ? -1 : a->join_ms > b->join_ms;
}

uint64_t attendance_present_ms(const struct attendee *e, uint64_t now_ms)
{
    if (!e->n_intervals)
        return 0;
    struct attendance_interval *iv = malloc(e->n_intervals * sizeof(*iv));
    if (!iv)
        return 0;
    memcpy(iv, e->intervals, e->n_intervals * sizeof(*iv));
    qsort(iv, e->n_intervals, sizeof(*iv), by_join);
    /* The union: two connections of one identity must not count twice. */
    uint64_t total = 0, start = 0, end = 0;
    for (size_t i = 0; i < e->n_intervals; i++) {
        uint64_t j = iv[i].join_ms, l = iv[i].leave_ms ? iv[i].leave_ms : now_ms;
        if (l < j)
            l = j;
        if (i == 0 || j > end) {
            total += end - start;
            start = j;
            end = l;
        } else if (l > end) {
            end = l;
        }
    }
    total += end - start;
    free(iv);
    return total;
}

static uint64_t speaking_ms(const struct attendee *e, uint64_t now_ms)
{
    uint64_t s = e->speaking_ms;
    if (e->speaking_since_ms && now_ms > e->speaking_since_ms)
        s += now_ms - e->speaking_since_ms;
    return s;
}

/* ---- loading ---------------------------------------------------------- */

static void count_chat(const char *identity, long long n, void *arg)
{
    struct attendance_state *a = arg;
    long i = attendance_person_find(a, identity, false);
    if (i >= 0)
        a->people[i].chat = n;
}

static void count_polls(const char *identity, long long n, void *arg)
{
    struct attendance_state *a = arg;
    long i = attendance_person_find(a, identity, false);
    if (i >= 0)
        a->people[i].polls = n;
}

static int load_people(sqlite3 *db, const char *lesson_id, struct attendance_state *a)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT identity, name, role, hands_raised, speaking_ms "
                               "FROM attendance_person WHERE lesson_id = ? ORDER BY rowid",
                           -1, &q, NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, lesson_id, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        long i = attendance_person_find(a, (const char *)sqlite3_column_text(q, 0), true);
        if (i < 0)
            break;
        struct attendee *e = &a->people[i];
        snprintf(e->name, sizeof(e->name), "%s", (const char *)sqlite3_column_text(q, 1));
        snprintf(e->role, sizeof(e->role), "%s", (const char *)sqlite3_column_text(q, 2));
        e->hands = sqlite3_column_int64(q, 3);
        e->speaking_ms = (uint64_t)sqlite3_column_int64(q, 4);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

static int load_intervals(sqlite3 *db, const char *lesson_id, struct attendance_state *a)
{
    sqlite3_stmt *q = NULL;
    /* An interval still open here was cut by a crash (or the lesson is live
     * and the caller uses its live copy instead): it ends at its seen_ms. */
    if (sqlite3_prepare_v2(db, "SELECT identity, joined_ms, coalesce(left_ms, seen_ms) "
                               "FROM attendance_interval WHERE lesson_id = ? "
                               "ORDER BY joined_ms, id",
                           -1, &q, NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, lesson_id, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        long i = attendance_person_find(a, (const char *)sqlite3_column_text(q, 0), true);
        uint64_t j = (uint64_t)sqlite3_column_int64(q, 1), l = (uint64_t)sqlite3_column_int64(q, 2);
        if (i < 0 || attendance_interval_add(&a->people[i], j, l ? l : j) != 0)
            break;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

int attendance_load(struct store *st, const char *lesson_id, struct attendance_state *a)
{
    if (attendance_store_init(st) != 0)
        return -SQ_EIO;
    sqlite3 *db = store_db(st);
    if (load_people(db, lesson_id, a) != 0 || load_intervals(db, lesson_id, a) != 0 ||
        chat_count_by_sender(st, lesson_id, count_chat, a) != 0 ||
        poll_count_by_voter(st, lesson_id, count_polls, a) != 0)
        return -SQ_EIO;
    return 0;
}

/* ---- rows: the roster's order first, then everyone else ---------------- */

struct roster_list {
    struct roster_entry *e;   /* owned */
    size_t n, cap;
};

static void roster_collect(const struct roster_entry *e, void *arg)
{
    struct roster_list *r = arg;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        struct roster_entry *x = realloc(r->e, cap * sizeof(*x));
        if (!x)
            return;
        r->e = x;
        r->cap = cap;
    }
    r->e[r->n++] = *e;
}

/* fn(person or NULL, roster entry or NULL, arg) for every row of the report. */
static void each_row(struct store *st, const char *lesson_id, const struct attendance_state *a,
                     void (*fn)(const struct attendee *e, const struct roster_entry *r,
                                void *arg),
                     void *arg)
{
    struct roster_list r = {0};
    if (roster_init(st) == 0)
        roster_list(st, lesson_id, roster_collect, &r);
    bool *done = calloc(a->n ? a->n : 1, sizeof(bool));
    for (size_t i = 0; i < r.n; i++) {
        char identity[32];
        snprintf(identity, sizeof(identity), "r%lld", (long long)r.e[i].id);
        long k = attendance_person_find((struct attendance_state *)a, identity, false);
        if (k >= 0 && done)
            done[k] = true;
        if (k >= 0)
            fn(&a->people[k], &r.e[i], arg);
        else if (!r.e[i].revoked_ms)
            fn(NULL, &r.e[i], arg);
    }
    for (size_t i = 0; i < a->n; i++)
        if (!done || !done[i])
            fn(&a->people[i], NULL, arg);
    free(done);
    free(r.e);
}

json_t *attendance_row_json(const struct attendee *e, uint64_t now_ms)
{
    json_t *o = json_object();
    json_t *iv = json_array();
    uint64_t first = 0, last = 0;
    for (size_t i = 0; i < e->n_intervals; i++) {
        const struct attendance_interval *x = &e->intervals[i];
        if (!first || x->join_ms < first)
            first = x->join_ms;
        if (x->leave_ms > last)
            last = x->leave_ms;
        json_array_append_new(iv, json_pack("[I, o]", (json_int_t)x->join_ms,
                                             x->leave_ms ? json_integer((json_int_t)x->leave_ms)
                                                         : json_null()));
    }
    uint64_t ms = attendance_present_ms(e, now_ms);
    json_object_set_new(o, "key", json_string(e->key));
    json_object_set_new(o, "name", json_string(e->name));
    json_object_set_new(o, "role", json_string(e->role));
    json_object_set_new(o, "present", json_boolean(e->present > 0));
    if (e->present && e->participant[0])
        json_object_set_new(o, "participant", json_string(e->participant));
    json_object_set_new(o, "first_join", first ? json_integer((json_int_t)first) : json_null());
    json_object_set_new(o, "last_leave",
                        last && !e->present ? json_integer((json_int_t)last) : json_null());
    json_object_set_new(o, "seconds_present", json_integer((json_int_t)(ms / 1000)));
    json_object_set_new(o, "minutes_present", json_real(round((double)ms / 6000.0) / 10.0));
    json_object_set_new(o, "intervals", iv);
    json_object_set_new(o, "speaking_s",
                        json_integer((json_int_t)((speaking_ms(e, now_ms) + 500) / 1000)));
    json_object_set_new(o, "chat_messages", json_integer(e->chat));
    json_object_set_new(o, "poll_answers", json_integer(e->polls));
    json_object_set_new(o, "hands_raised", json_integer(e->hands));
    json_object_set_new(o, "never", json_false());
    return o;
}

static json_t *never_came_json(const struct roster_entry *r)
{
    struct attendee e;
    memset(&e, 0, sizeof(e));
    snprintf(e.key, sizeof(e.key), "r%lld", (long long)r->id);
    snprintf(e.name, sizeof(e.name), "%s", r->row.name);
    snprintf(e.role, sizeof(e.role), "student");
    json_t *o = attendance_row_json(&e, 0);
    json_object_set_new(o, "never", json_true());
    return o;
}

struct panel {
    json_t *rows;
    uint64_t now_ms;
};

static void panel_row(const struct attendee *e, const struct roster_entry *r, void *arg)
{
    struct panel *p = arg;
    json_t *o = e ? attendance_row_json(e, p->now_ms) : never_came_json(r);
    if (r) {
        json_object_set_new(o, "class", json_string(r->row.klass));
        json_object_set_new(o, "school", json_string(r->row.school));
    }
    json_array_append_new(p->rows, o);
}

json_t *attendance_panel_json(struct store *st, const char *lesson_id,
                              const struct attendance_state *a, json_t *req, uint64_t now_ms)
{
    struct panel p = {json_array(), now_ms};
    if (a && st)
        each_row(st, lesson_id, a, panel_row, &p);
    json_t *m = message_new("attendance", req);
    json_object_set_new(m, "lesson", json_string(lesson_id));
    json_object_set_new(m, "rows", p.rows);
    return m;
}

/* ---- CSV -------------------------------------------------------------- */

struct report {
    struct csv csv;
    uint64_t now_ms;
    int tz;
};

static void clock_time(char *out, size_t cap, uint64_t ms, int tz)
{
    char iso[48];
    csv_format_time(iso, sizeof(iso), ms, tz);
    snprintf(out, cap, "%.5s", iso + 11);   /* "HH:MM" of "YYYY-MM-DDTHH:MM:SS..." */
}

static void intervals_cell(struct report *rp, const struct attendee *e)
{
    size_t cap = e->n_intervals * 16 + 1, len = 0;
    char *s = malloc(cap);
    if (!s) {
        csv_text(&rp->csv, "");
        return;
    }
    s[0] = '\0';
    for (size_t i = 0; i < e->n_intervals; i++) {
        char a[8], b[8] = "";
        clock_time(a, sizeof(a), e->intervals[i].join_ms, rp->tz);
        if (e->intervals[i].leave_ms)
            clock_time(b, sizeof(b), e->intervals[i].leave_ms, rp->tz);
        len += (size_t)snprintf(s + len, cap - len, "%s%s-%s", i ? "; " : "", a, b);
    }
    csv_text(&rp->csv, s);
    free(s);
}

static void report_row(const struct attendee *e, const struct roster_entry *r, void *arg)
{
    struct report *rp = arg;
    struct csv *c = &rp->csv;
    uint64_t first = 0, last = 0, ms = e ? attendance_present_ms(e, rp->now_ms) : 0;
    for (size_t i = 0; e && i < e->n_intervals; i++) {
        if (!first || e->intervals[i].join_ms < first)
            first = e->intervals[i].join_ms;
        if (e->intervals[i].leave_ms > last)
            last = e->intervals[i].leave_ms;
    }
    char minutes[32];
    snprintf(minutes, sizeof(minutes), "%.1f", (double)ms / 60000.0);
    csv_text(c, e ? e->name : r->row.name);
    csv_text(c, e ? e->role : "student");
    csv_text(c, r ? r->row.klass : "");
    csv_text(c, r ? r->row.school : "");
    csv_time(c, first, rp->tz);
    csv_time(c, e && !e->present ? last : 0, rp->tz);
    csv_text(c, minutes);
    if (e)
        intervals_cell(rp, e);
    else
        csv_text(c, "");
    csv_int(c, e ? (long long)((speaking_ms(e, rp->now_ms) + 500) / 1000) : 0);
    csv_int(c, e ? e->chat : 0);
    csv_int(c, e ? e->polls : 0);
    csv_int(c, e ? e->hands : 0);
    csv_end_row(c);
}

char *attendance_report_csv(struct store *st, const char *lesson_id,
                            const struct attendance_state *a, uint64_t now_ms,
                            int tz_offset_min, size_t *len)
{
    static const char *const header[] = {
        "name", "role", "class", "school", "first join", "last leave", "minutes present",
        "intervals", "speaking seconds", "chat messages", "poll answers", "hands raised",
    };
    struct report rp = {.now_ms = now_ms, .tz = tz_offset_min};
    csv_init(&rp.csv);
    for (size_t i = 0; i < sizeof(header) / sizeof(header[0]); i++)
        csv_text(&rp.csv, header[i]);
    csv_end_row(&rp.csv);
    each_row(st, lesson_id, a, report_row, &rp);
    return csv_finish(&rp.csv, len);
}
