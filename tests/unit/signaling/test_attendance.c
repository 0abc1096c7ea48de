/* Attendance: join/leave intervals stored as they happen, speaking time
 * from the media plane's speaking events, counts of chat messages, poll
 * answers and hands, the staff panel, the roster (who never came), the CSV
 * report and recovery after a crash. */
#include "test.h"

#include <stdlib.h>

#include "classroom_fixture.h"
#include "signaling/attendance.h"
#include "signaling/lesson.h"
#include "signaling/roster.h"

#define MIN 60000ull

static json_t *row_named(json_t *panel, const char *name)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(panel, "rows"), i, r)
        if (strcmp(js(r, "name"), name) == 0)
            return r;
    return NULL;
}

static json_t *panel(struct fixture *f, struct fake_conn *staff)
{
    fixture_drain(staff);
    fixture_send(f, staff, "{\"type\":\"attendance_get\",\"req\":1}");
    return harness_next_of(staff, "attendance");
}

static char *report(struct fixture *f)
{
    char *csv = NULL;
    size_t len;
    struct lesson *l = lesson_find(f->h.sig, f->def.id);
    if (attendance_csv(f->st, l, f->def.id, f->h.sig->now_ms, 0, &csv, &len) != 0)
        return NULL;
    return csv;
}

TEST(attendance_stores_every_interval)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    f.h.sig->now_ms = FIXTURE_T0 + 1 * MIN;
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    ASSERT_EQ(2, fixture_rows(&f, "SELECT count(*) FROM attendance_interval WHERE left_ms IS NULL"));
    f.h.sig->now_ms = FIXTURE_T0 + 11 * MIN;
    fixture_send(&f, s, "{\"type\":\"leave\"}");
    ASSERT_EQ(1, fixture_rows(&f, "SELECT count(*) FROM attendance_interval WHERE left_ms IS NOT NULL"));
    f.h.sig->now_ms = FIXTURE_T0 + 15 * MIN;
    s = fixture_join(&f, "student", "Dana");
    f.h.sig->now_ms = FIXTURE_T0 + 20 * MIN;
    json_t *pn = panel(&f, t);
    ASSERT(pn);
    ASSERT_EQ(1, ji(pn, "req"));
    json_t *d = row_named(pn, "Dana");
    ASSERT(d);
    ASSERT(json_is_true(json_object_get(d, "present")));
    ASSERT_STR_EQ(s->p->id, js(d, "participant"));
    ASSERT_EQ(15 * 60, ji(d, "seconds_present"));   /* 10 min, then 5 so far */
    ASSERT_EQ(2, json_array_size(json_object_get(d, "intervals")));
    ASSERT_EQ((long long)(FIXTURE_T0 + 1 * MIN), ji(d, "first_join"));
    ASSERT(json_is_null(json_object_get(d, "last_leave")));
    ASSERT(json_real_value(json_object_get(d, "minutes_present")) == 15.0);
    json_decref(pn);
    fixture_send(&f, s, "{\"type\":\"leave\"}");
    char *csv = report(&f);
    ASSERT(csv);
    ASSERT(strstr(csv, "Dana,student,,,2025-09-01T09:01:00Z,2025-09-01T09:20:00Z,15.0,"
                       "09:01-09:11; 09:15-09:20,0,0,0,0\r\n") != NULL);
    free(csv);
    fixture_free(&f);
}

TEST(attendance_counts_speaking_time_from_speaking_events)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *a = fixture_join(&f, "assistant", "Marat");
    ASSERT(t && a);
    char *offer = harness_offer("tch", 1111, 0);
    char *msg = harness_publish_msg(offer);
    harness_send(&f.h, t, msg);
    free(offer);
    free(msg);
    const struct fake_call *pc = fake_find(&f.h.media, "producer_create", 0);
    ASSERT(pc);
    fixture_drain(a);
    struct sfu_event ev = {SFU_EVENT_SPEAKING_CHANGED, pc->id, 1, ""};
    f.h.sig->now_ms = FIXTURE_T0 + 10000;
    signaling_media_event(f.h.sig, &ev);
    ev.value = 0;
    f.h.sig->now_ms = FIXTURE_T0 + 17000;
    signaling_media_event(f.h.sig, &ev);
    json_t *u = harness_next_of(a, "attendance_update");   /* pushed when speaking stops */
    ASSERT(u);
    ASSERT_EQ(7, ji(json_object_get(u, "row"), "speaking_s"));
    ASSERT_STR_EQ("Aigerim", js(json_object_get(u, "row"), "name"));
    json_decref(u);
    /* an unknown producer is ignored; a second burst adds up, leave ends one */
    ev.id = 999;
    signaling_media_event(f.h.sig, &ev);
    ev.id = pc->id;
    ev.value = 1;
    f.h.sig->now_ms = FIXTURE_T0 + 20000;
    signaling_media_event(f.h.sig, &ev);
    f.h.sig->now_ms = FIXTURE_T0 + 23000;
    fixture_send(&f, t, "{\"type\":\"leave\"}");
    ASSERT_EQ(10000, fixture_rows(&f, "SELECT speaking_ms FROM attendance_person "
                                      "WHERE name = 'Aigerim'"));
    fixture_free(&f);
}

TEST(attendance_counts_chat_polls_and_hands)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"one\"}");
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"two\",\"to\":\"staff\"}");
    fixture_send(&f, t, "{\"type\":\"poll_create\",\"question\":\"q\",\"kind\":\"yesno\"}");
    json_t *p = harness_next_of(t, "poll");
    long long id = ji(p, "id");
    json_decref(p);
    fixture_send(&f, s, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[0]}", id);
    fixture_send(&f, s, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[1]}", id);
    fixture_send(&f, s, "{\"type\":\"hand_raise\"}");
    attendance_hand_raised(s->p->lesson, s->p);
    json_t *pn = panel(&f, t);
    json_t *d = row_named(pn, "Dana");
    ASSERT_EQ(2, ji(d, "chat_messages"));
    ASSERT_EQ(1, ji(d, "poll_answers"));   /* one poll, answered twice */
    ASSERT_EQ(2, ji(d, "hands_raised"));
    json_decref(pn);
    /* students neither see nor ask for the panel */
    ASSERT_EQ(0, fixture_count(s, "attendance_update"));
    ASSERT_EQ(0, fixture_count(s, "attendance"));
    fixture_send(&f, s, "{\"type\":\"attendance_get\"}");
    json_t *e = fixture_error(s);
    ASSERT_STR_EQ("forbidden", js(e, "code"));
    json_decref(e);
    /* the same counts come back from the store alone */
    fixture_send(&f, s, "{\"type\":\"leave\"}");
    fixture_send(&f, t, "{\"type\":\"leave\"}");
    ASSERT(f.h.sig->lessons == NULL);
    char *csv = report(&f);
    ASSERT(strstr(csv, ",0,2,1,2\r\n") != NULL);
    free(csv);
    fixture_free(&f);
}

TEST(attendance_panel_is_pushed_to_staff)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    ASSERT(t);
    ASSERT_EQ(0, fixture_count(t, "attendance_update"));
    fixture_drain(t);
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    json_t *u = harness_next_of(t, "attendance_update");
    ASSERT(u);
    ASSERT(json_is_true(json_object_get(json_object_get(u, "row"), "present")));
    json_decref(u);
    fixture_send(&f, s, "{\"type\":\"leave\"}");
    u = harness_next_of(t, "attendance_update");
    ASSERT(json_is_false(json_object_get(json_object_get(u, "row"), "present")));
    json_decref(u);
    struct fake_conn *a = fixture_join(&f, "assistant", "Marat");
    json_t *pn = harness_next_of(a, "attendance");
    ASSERT(pn);
    ASSERT_EQ(3, json_array_size(json_object_get(pn, "rows")));
    json_decref(pn);
    fixture_free(&f);
}

TEST(attendance_lists_roster_entries_who_never_came)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct roster_row rows[3];
    memset(rows, 0, sizeof(rows));
    snprintf(rows[0].name, sizeof(rows[0].name), "Ахметов, Ерлан");
    snprintf(rows[0].klass, sizeof(rows[0].klass), "7B");
    snprintf(rows[0].school, sizeof(rows[0].school), "NIS \"Astana\"");
    snprintf(rows[1].name, sizeof(rows[1].name), "=cmd|' /C calc'!A0");
    snprintf(rows[1].klass, sizeof(rows[1].klass), "7B");
    snprintf(rows[2].name, sizeof(rows[2].name), "Сейтова Дана");
    int64_t ids[3];
    ASSERT_EQ(0, roster_init(f.st));
    ASSERT_EQ(0, roster_add(f.st, f.def.id, rows, 3, (int64_t)FIXTURE_T0, ids));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    f.h.sig->now_ms = FIXTURE_T0 + 2 * MIN;
    struct fake_conn *s = fixture_join_roster(&f, ids[2]);
    ASSERT(t && s);
    f.h.sig->now_ms = FIXTURE_T0 + 5 * MIN;
    json_t *pn = panel(&f, t);
    json_t *r0 = json_array_get(json_object_get(pn, "rows"), 0);
    ASSERT_STR_EQ("Ахметов, Ерлан", js(r0, "name"));
    ASSERT(json_is_true(json_object_get(r0, "never")));
    ASSERT_STR_EQ("7B", js(r0, "class"));
    json_t *r2 = json_array_get(json_object_get(pn, "rows"), 2);
    ASSERT_STR_EQ("Сейтова Дана", js(r2, "name"));
    ASSERT(json_is_false(json_object_get(r2, "never")));
    char key[32];
    snprintf(key, sizeof(key), "r%lld", (long long)ids[2]);
    ASSERT_STR_EQ(key, js(r2, "key"));
    ASSERT_EQ(3 * 60, ji(r2, "seconds_present"));
    json_decref(pn);
    char *csv = report(&f);
    ASSERT(csv);
    const char *expect =
        "\xEF\xBB\xBFname,role,class,school,first join,last leave,minutes present,intervals,"
        "speaking seconds,chat messages,poll answers,hands raised\r\n"
        "\"Ахметов, Ерлан\",student,7B,\"NIS \"\"Astana\"\"\",,,0.0,,0,0,0,0\r\n"
        "\"'=cmd|' /C calc'!A0\",student,7B,,,,0.0,,0,0,0,0\r\n"
        "Сейтова Дана,student,,,2025-09-01T09:02:00Z,,3.0,09:02-,0,0,0,0\r\n"
        "Aigerim,teacher,,,2025-09-01T09:00:00Z,,5.0,09:00-,0,0,0,0\r\n";
    ASSERT_STR_EQ(expect, csv);
    free(csv);
    fixture_free(&f);
}

TEST(attendance_closes_intervals_cut_by_a_crash_at_the_last_known_time)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(s);
    struct lesson *l = s->p->lesson;
    f.h.sig->now_ms = FIXTURE_T0 + 30000;
    attendance_touch(l, f.h.sig->now_ms);   /* the lesson was alive then */
    f.h.sig->now_ms = FIXTURE_T0 + 40000;
    attendance_touch(l, f.h.sig->now_ms);   /* within 15 s: not written */
    /* the process dies here: a second server opens the same data directory */
    struct fixture g = f;
    char err[200];
    g.st = store_open(f.dir, err, sizeof(err));
    ASSERT(g.st);
    harness_init(&g.h);
    g.h.sig->store = g.st;
    g.h.sig->now_ms = FIXTURE_T0 + 10 * MIN;
    memcpy(g.h.sig->secret, f.h.sig->secret, sizeof(g.h.sig->secret));
    /* before anyone comes, the CSV already ends the interval there */
    char *csv = NULL;
    size_t len;
    ASSERT_EQ(0, attendance_csv(g.st, NULL, g.def.id, g.h.sig->now_ms, 0, &csv, &len));
    ASSERT(strstr(csv, "Dana,student,,,2025-09-01T09:00:00Z,2025-09-01T09:00:30Z,0.5,") != NULL);
    free(csv);
    struct fake_conn *t = fixture_join(&g, "teacher", "Aigerim");
    ASSERT(t);
    ASSERT_EQ(1, fixture_rows(&g, "SELECT count(*) FROM attendance_interval WHERE left_ms IS NULL"));
    ASSERT_EQ((long long)(FIXTURE_T0 + 30000),
              fixture_rows(&g, "SELECT left_ms FROM attendance_interval WHERE identity = '@student:Dana'"));
    json_t *pn = panel(&g, t);
    json_t *d = row_named(pn, "Dana");
    ASSERT(json_is_false(json_object_get(d, "present")));
    ASSERT_EQ(30, ji(d, "seconds_present"));
    json_decref(pn);
    harness_free(&g.h);
    store_close(g.st);
    fixture_free(&f);
}

TEST(attendance_keeps_one_interval_across_a_replaced_connection)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct roster_row row;
    memset(&row, 0, sizeof(row));
    snprintf(row.name, sizeof(row.name), "Dana");
    int64_t id;
    ASSERT_EQ(0, roster_init(f.st));
    ASSERT_EQ(0, roster_add(f.st, f.def.id, &row, 1, (int64_t)FIXTURE_T0, &id));
    struct fake_conn *s = fixture_join_roster(&f, id);
    f.h.sig->now_ms += MIN;
    struct fake_conn *s2 = fixture_join_roster(&f, id);   /* another tab */
    ASSERT(s && s2);
    ASSERT_EQ(1, fixture_rows(&f, "SELECT count(*) FROM attendance_interval"));
    f.h.sig->now_ms += MIN;
    fixture_send(&f, s2, "{\"type\":\"leave\"}");
    ASSERT_EQ((long long)(FIXTURE_T0 + 2 * MIN),
              fixture_rows(&f, "SELECT left_ms FROM attendance_interval"));
    fixture_free(&f);
}
