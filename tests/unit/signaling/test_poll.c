/* Polls: every kind, live tallies for staff, anonymous tallies without
 * names, one changeable answer per person until closed, publishing, late
 * joiners, validation, the store and the CSV export. */
#include "test.h"

#include <stdlib.h>

#include "classroom_fixture.h"
#include "signaling/poll.h"

struct room {
    struct fixture f;
    struct fake_conn *t, *a, *s1, *s2;
};

static bool room_init(struct room *r)
{
    if (!fixture_init(&r->f))
        return false;
    r->t = fixture_join(&r->f, "teacher", "Aigerim");
    r->a = fixture_join(&r->f, "assistant", "Marat");
    r->s1 = fixture_join(&r->f, "student", "Dana");
    r->s2 = fixture_join(&r->f, "student", "Erlan");
    if (!r->t || !r->a || !r->s1 || !r->s2)
        return false;
    fixture_drain(r->t);
    fixture_drain(r->a);
    fixture_drain(r->s1);
    fixture_drain(r->s2);
    return true;
}

/* Creates a poll from the teacher; returns its id (0 on failure). */
static long long create(struct room *r, const char *fields)
{
    fixture_send(&r->f, r->t, "{\"type\":\"poll_create\",\"req\":\"c\",%s}", fields);
    json_t *m = harness_next_of(r->t, "poll");
    long long id = m ? ji(m, "id") : 0;
    json_decref(m);
    fixture_drain(r->t);
    fixture_drain(r->a);
    fixture_drain(r->s1);
    fixture_drain(r->s2);
    return id;
}

static const char *error_code(struct fake_conn *c)
{
    static char code[64];
    json_t *e = fixture_error(c);
    snprintf(code, sizeof(code), "%s", e ? js(e, "code") : "none");
    json_decref(e);
    return code;
}

static long long count_at(const json_t *m, size_t i)
{
    return (long long)json_integer_value(json_array_get(json_object_get(m, "counts"), i));
}

TEST(poll_single_choice_is_tallied_live_for_staff)
{
    struct room r;
    ASSERT(room_init(&r));
    fixture_send(&r.f, r.t, "{\"type\":\"poll_create\",\"req\":5,\"question\":\"2+2?\","
                            "\"kind\":\"single\",\"options\":[\"3\",\"4\",\"5\"]}");
    json_t *p = harness_next_of(r.t, "poll");
    ASSERT(p);
    ASSERT_EQ(5, ji(p, "req"));
    long long id = ji(p, "id");
    json_decref(p);
    p = harness_next_of(r.s1, "poll");
    ASSERT_EQ(id, ji(p, "id"));
    ASSERT_STR_EQ("2+2?", js(p, "question"));
    ASSERT_STR_EQ("single", js(p, "kind"));
    ASSERT_STR_EQ("open", js(p, "state"));
    ASSERT(json_is_false(json_object_get(p, "anonymous")));
    ASSERT_EQ(3, json_array_size(json_object_get(p, "options")));
    json_decref(p);

    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[1],\"req\":9}", id);
    json_t *ack = harness_next(r.s1);
    ASSERT_STR_EQ("poll_answer_ack", js(ack, "type"));
    ASSERT_EQ(9, ji(ack, "req"));
    ASSERT_EQ(id, ji(ack, "poll"));
    json_decref(ack);
    fixture_send(&r.f, r.s2, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[0]}", id);
    ASSERT_EQ(2, fixture_count(r.a, "poll_tally"));
    ASSERT_EQ(0, fixture_count(r.s1, "poll_tally"));
    ASSERT_EQ(0, fixture_count(r.s2, "poll_tally"));
    json_t *t = harness_next_of(r.t, "poll_tally");
    ASSERT_EQ(1, ji(t, "answers"));
    json_decref(t);
    t = harness_next_of(r.t, "poll_tally");
    ASSERT_EQ(2, ji(t, "answers"));
    ASSERT_EQ(1, count_at(t, 0));
    ASSERT_EQ(1, count_at(t, 1));
    ASSERT_EQ(0, count_at(t, 2));
    json_t *voters = json_object_get(t, "voters");
    ASSERT_STR_EQ("Erlan", json_string_value(json_array_get(json_array_get(voters, 0), 0)));
    ASSERT_STR_EQ("Dana", json_string_value(json_array_get(json_array_get(voters, 1), 0)));
    json_decref(t);
    ASSERT_EQ(2, fixture_rows(&r.f, "SELECT count(*) FROM poll_vote"));
    fixture_free(&r.f);
}

TEST(poll_multiple_yesno_and_open_kinds)
{
    struct room r;
    ASSERT(room_init(&r));
    long long multi = create(&r, "\"question\":\"Primes?\",\"kind\":\"multiple\","
                                 "\"options\":[\"2\",\"4\",\"5\",\"9\"]");
    long long yn = create(&r, "\"question\":\"Ready?\",\"kind\":\"yesno\"");
    long long open = create(&r, "\"question\":\"Your name for x?\",\"kind\":\"open\",\"options\":[]");
    ASSERT(multi && yn && open);

    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[0,2]}", multi);
    json_t *t = harness_next_of(r.t, "poll_tally");
    ASSERT_EQ(1, count_at(t, 0));
    ASSERT_EQ(0, count_at(t, 1));
    ASSERT_EQ(1, count_at(t, 2));
    ASSERT_EQ(1, ji(t, "answers"));
    json_decref(t);

    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[1]}", yn);
    t = harness_next_of(r.t, "poll_tally");
    ASSERT_EQ(2, json_array_size(json_object_get(t, "counts")));
    ASSERT_EQ(1, count_at(t, 1));
    json_decref(t);

    fixture_send(&r.f, r.s2, "{\"type\":\"poll_answer\",\"poll\":%lld,\"text\":\"Икс, \\\"x\\\"\"}", open);
    t = harness_next_of(r.t, "poll_tally");
    ASSERT_EQ(0, json_array_size(json_object_get(t, "counts")));
    json_t *text = json_array_get(json_object_get(t, "texts"), 0);
    ASSERT_STR_EQ("Икс, \"x\"", js(text, "text"));
    ASSERT_STR_EQ("Erlan", js(text, "name"));
    json_decref(t);

    /* the yes/no poll says Yes and No */
    struct fake_conn *late = fixture_join(&r.f, "student", "Gulnar");
    json_t *p;
    bool saw_yesno = false;
    while ((p = harness_next_of(late, "poll"))) {
        if (ji(p, "id") == yn) {
            json_t *o = json_object_get(p, "options");
            ASSERT_STR_EQ("Yes", json_string_value(json_array_get(o, 0)));
            ASSERT_STR_EQ("No", json_string_value(json_array_get(o, 1)));
            saw_yesno = true;
        }
        json_decref(p);
    }
    ASSERT(saw_yesno);
    fixture_free(&r.f);
}

TEST(poll_answer_changes_until_closed)
{
    struct room r;
    ASSERT(room_init(&r));
    long long id = create(&r, "\"question\":\"Best?\",\"kind\":\"single\",\"options\":[\"a\",\"b\",\"c\"]");
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[0]}", id);
    r.f.h.sig->now_ms += 2000;
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[2]}", id);
    ASSERT_EQ(2, fixture_count(r.s1, "poll_answer_ack"));
    json_t *t = harness_next_of(r.t, "poll_tally");
    json_decref(t);
    t = harness_next_of(r.t, "poll_tally");
    ASSERT_EQ(1, ji(t, "answers"));
    ASSERT_EQ(0, count_at(t, 0));
    ASSERT_EQ(1, count_at(t, 2));
    json_decref(t);
    ASSERT_EQ(1, fixture_rows(&r.f, "SELECT count(*) FROM poll_vote"));
    ASSERT_EQ(1, fixture_rows(&r.f, "SELECT count(*) FROM poll_vote WHERE choices = '[2]'"));

    fixture_send(&r.f, r.s1, "{\"type\":\"poll_close\",\"poll\":%lld}", id);
    ASSERT_STR_EQ("forbidden", error_code(r.s1));
    fixture_send(&r.f, r.a, "{\"type\":\"poll_close\",\"poll\":%lld,\"req\":4}", id);
    json_t *p = harness_next_of(r.a, "poll");
    ASSERT_EQ(4, ji(p, "req"));
    ASSERT_STR_EQ("closed", js(p, "state"));
    json_decref(p);
    p = harness_next_of(r.s2, "poll");
    ASSERT_STR_EQ("closed", js(p, "state"));
    json_decref(p);
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[1]}", id);
    ASSERT_STR_EQ("poll_closed", error_code(r.s1));
    ASSERT_EQ(1, fixture_rows(&r.f, "SELECT count(*) FROM poll_vote WHERE choices = '[2]'"));
    ASSERT_EQ(1, fixture_rows(&r.f, "SELECT closed FROM poll"));
    fixture_free(&r.f);
}

TEST(poll_anonymous_tallies_carry_no_names)
{
    struct room r;
    ASSERT(room_init(&r));
    long long id = create(&r, "\"question\":\"Hard?\",\"kind\":\"yesno\",\"anonymous\":true");
    long long open = create(&r, "\"question\":\"Why?\",\"kind\":\"open\",\"anonymous\":true");
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[0]}", id);
    json_t *t = harness_next_of(r.t, "poll_tally");
    ASSERT(json_object_get(t, "voters") == NULL);
    ASSERT_EQ(1, count_at(t, 0));
    json_decref(t);
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"text\":\"too fast\"}", open);
    t = harness_next_of(r.t, "poll_tally");
    json_t *x = json_array_get(json_object_get(t, "texts"), 0);
    ASSERT_STR_EQ("too fast", js(x, "text"));
    ASSERT(json_object_get(x, "name") == NULL);
    char *dump = json_dumps(t, 0);
    ASSERT(strstr(dump, "Dana") == NULL);
    free(dump);
    json_decref(t);
    ASSERT_EQ(0, fixture_rows(&r.f, "SELECT count(*) FROM poll_vote WHERE name IS NOT NULL"));
    char *csv = NULL;
    size_t len;
    ASSERT_EQ(0, poll_csv(r.f.st, r.f.def.id, 0, &csv, &len));
    ASSERT(strstr(csv, "Dana") == NULL);
    ASSERT(strstr(csv, ",anonymous,Yes,") != NULL);
    free(csv);
    fixture_free(&r.f);
}

TEST(poll_publish_shows_results_to_everyone)
{
    struct room r;
    ASSERT(room_init(&r));
    long long id = create(&r, "\"question\":\"Pick\",\"kind\":\"single\",\"options\":[\"x\",\"y\"]");
    long long open = create(&r, "\"question\":\"Say\",\"kind\":\"open\"");
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[1]}", id);
    fixture_send(&r.f, r.s2, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[1]}", id);
    fixture_send(&r.f, r.s2, "{\"type\":\"poll_answer\",\"poll\":%lld,\"text\":\"hello\"}", open);
    fixture_drain(r.s1);
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_publish\",\"poll\":%lld}", id);
    ASSERT_STR_EQ("forbidden", error_code(r.s1));
    fixture_send(&r.f, r.t, "{\"type\":\"poll_publish\",\"poll\":%lld,\"req\":8}", id);
    /* closed first, then the results */
    json_t *p = harness_next(r.s1);
    ASSERT_STR_EQ("poll", js(p, "type"));
    ASSERT_STR_EQ("closed", js(p, "state"));
    json_decref(p);
    json_t *res = harness_next(r.s1);
    ASSERT_STR_EQ("poll_results", js(res, "type"));
    ASSERT_EQ(id, ji(res, "poll"));
    ASSERT_EQ(2, ji(res, "total"));
    ASSERT_EQ(0, count_at(res, 0));
    ASSERT_EQ(2, count_at(res, 1));
    json_decref(res);
    res = harness_next_of(r.t, "poll_results");
    ASSERT_EQ(8, ji(res, "req"));
    json_decref(res);
    fixture_send(&r.f, r.t, "{\"type\":\"poll_publish\",\"poll\":%lld}", open);
    res = harness_next_of(r.s1, "poll_results");
    json_t *texts = json_object_get(res, "texts");
    ASSERT_STR_EQ("hello", json_string_value(json_array_get(texts, 0)));   /* no names */
    json_decref(res);
    ASSERT_EQ(2, fixture_rows(&r.f, "SELECT count(*) FROM poll WHERE published = 1 AND closed = 1"));
    fixture_free(&r.f);
}

TEST(poll_refuses_bad_input_and_stores_nothing)
{
    struct room r;
    ASSERT(room_init(&r));
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_create\",\"question\":\"q\",\"kind\":\"yesno\"}");
    json_t *e = fixture_error(r.s1);
    ASSERT_STR_EQ("forbidden", js(e, "code"));
    ASSERT_STR_EQ("manage_polls", js(e, "right"));
    json_decref(e);
    const char *bad[] = {
        "\"kind\":\"yesno\"",
        "\"question\":5,\"kind\":\"yesno\"",
        "\"question\":\"q\",\"kind\":\"rank\"",
        "\"question\":\"q\"",
        "\"question\":\"q\",\"kind\":\"single\",\"options\":[\"only\"]",
        "\"question\":\"q\",\"kind\":\"single\",\"options\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\","
        "\"7\",\"8\",\"9\",\"10\",\"11\"]",
        "\"question\":\"q\",\"kind\":\"single\",\"options\":\"a,b\"",
        "\"question\":\"q\",\"kind\":\"single\",\"options\":[\"a\",3]",
        "\"question\":\"q\",\"kind\":\"single\",\"options\":[\"a\",\"\"]",
        "\"question\":\"q\",\"kind\":\"yesno\",\"options\":[\"a\",\"b\"]",
        "\"question\":\"q\",\"kind\":\"open\",\"anonymous\":1",
        "\"question\":\"line\\nbreak\",\"kind\":\"open\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fixture_send(&r.f, r.t, "{\"type\":\"poll_create\",%s}", bad[i]);
        const char *code = error_code(r.t);
        if (strcmp(code, "bad_message") != 0)
            test_fail(__FILE__, __LINE__, "case %zu: %s", i, code);
    }
    char q[400];
    memset(q, 'q', 301);
    q[301] = '\0';
    fixture_send(&r.f, r.t, "{\"type\":\"poll_create\",\"question\":\"%s\",\"kind\":\"open\"}", q);
    ASSERT_STR_EQ("too_long", error_code(r.t));
    ASSERT_EQ(0, fixture_rows(&r.f, "SELECT count(*) FROM poll"));

    long long id = create(&r, "\"question\":\"q\",\"kind\":\"single\",\"options\":[\"a\",\"b\"]");
    long long multi = create(&r, "\"question\":\"q\",\"kind\":\"multiple\",\"options\":[\"a\",\"b\"]");
    long long open = create(&r, "\"question\":\"q\",\"kind\":\"open\"");
    fixture_send(&r.f, r.t, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[0]}", id);
    ASSERT_STR_EQ("forbidden", error_code(r.t));
    const char *answers[] = {
        "\"choices\":[2]", "\"choices\":[-1]", "\"choices\":[0,1]", "\"choices\":[]",
        "\"choices\":\"0\"", "\"choices\":[0.5]", "\"text\":\"a\"", "",
    };
    for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
        fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld%s%s}", id,
                     answers[i][0] ? "," : "", answers[i]);
        const char *code = error_code(r.s1);
        if (strcmp(code, "bad_message") != 0)
            test_fail(__FILE__, __LINE__, "answer %zu: %s", i, code);
    }
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[1,1]}", multi);
    ASSERT_STR_EQ("bad_message", error_code(r.s1));
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[0]}", open);
    ASSERT_STR_EQ("bad_message", error_code(r.s1));
    char t[600];
    memset(t, 't', 501);
    t[501] = '\0';
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"text\":\"%s\"}", open, t);
    ASSERT_STR_EQ("too_long", error_code(r.s1));
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[0]}", id + 50);
    ASSERT_STR_EQ("not_found", error_code(r.s1));
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":\"%lld\",\"choices\":[0]}", id);
    ASSERT_STR_EQ("bad_message", error_code(r.s1));
    ASSERT_EQ(0, fixture_rows(&r.f, "SELECT count(*) FROM poll_vote"));
    fixture_free(&r.f);
}

TEST(poll_answers_are_rate_limited)
{
    struct room r;
    ASSERT(room_init(&r));
    long long id = create(&r, "\"question\":\"q\",\"kind\":\"single\",\"options\":[\"a\",\"b\"]");
    for (int i = 0; i < 5; i++)
        fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[%d]}", id, i % 2);
    ASSERT_EQ(5, fixture_count(r.s1, "poll_answer_ack"));
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[1]}", id);
    ASSERT_STR_EQ("rate_limited", error_code(r.s1));
    r.f.h.sig->now_ms += 5000;
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[1]}", id);
    ASSERT_EQ(1, fixture_count(r.s1, "poll_answer_ack"));
    fixture_free(&r.f);
}

TEST(poll_late_joiners_get_open_and_published_polls)
{
    struct room r;
    ASSERT(room_init(&r));
    long long open = create(&r, "\"question\":\"open one\",\"kind\":\"yesno\"");
    long long closed = create(&r, "\"question\":\"closed one\",\"kind\":\"yesno\"");
    long long pub = create(&r, "\"question\":\"published one\",\"kind\":\"yesno\"");
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[1]}", open);
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[0]}", pub);
    fixture_send(&r.f, r.t, "{\"type\":\"poll_close\",\"poll\":%lld}", closed);
    fixture_send(&r.f, r.t, "{\"type\":\"poll_publish\",\"poll\":%lld}", pub);
    /* Dana comes back (a new connection after being away 61 s) */
    harness_disconnect(&r.f.h, r.s1);
    r.f.h.sig->now_ms += 61000;
    struct fake_conn *s = fixture_join(&r.f, "student", "Dana");
    ASSERT(s);
    ASSERT_EQ(2, fixture_count(s, "poll"));
    ASSERT_EQ(1, fixture_count(s, "poll_results"));
    ASSERT_EQ(0, fixture_count(s, "poll_tally"));
    json_t *p = harness_next_of(s, "poll");
    ASSERT_EQ(open, ji(p, "id"));
    json_t *mine = json_object_get(json_object_get(p, "answer"), "choices");
    ASSERT_EQ(1, json_integer_value(json_array_get(mine, 0)));
    json_decref(p);
    p = harness_next_of(s, "poll");
    ASSERT_EQ(pub, ji(p, "id"));
    ASSERT(json_is_true(json_object_get(p, "published")));
    json_decref(p);
    json_t *res = harness_next(s);
    ASSERT_STR_EQ("poll_results", js(res, "type"));
    json_decref(res);
    struct fake_conn *a2 = fixture_join(&r.f, "assistant", "Saule");
    ASSERT_EQ(3, fixture_count(a2, "poll"));
    ASSERT_EQ(3, fixture_count(a2, "poll_tally"));
    fixture_free(&r.f);
}

TEST(poll_state_is_reloaded_from_the_store)
{
    struct room r;
    ASSERT(room_init(&r));
    long long id = create(&r, "\"question\":\"kept?\",\"kind\":\"single\",\"options\":[\"a\",\"b\"]");
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[1]}", id);
    /* a second server on the same data directory (as after a restart) */
    struct fixture g = r.f;
    char err[200];
    g.st = store_open(r.f.dir, err, sizeof(err));
    ASSERT(g.st);
    harness_init(&g.h);
    g.h.sig->store = g.st;
    g.h.sig->now_ms = r.f.h.sig->now_ms + 1000;
    memcpy(g.h.sig->secret, r.f.h.sig->secret, sizeof(g.h.sig->secret));
    struct fake_conn *t = fixture_join(&g, "teacher", "Aigerim");
    ASSERT(t);
    json_t *p = harness_next_of(t, "poll");
    ASSERT_EQ(id, ji(p, "id"));
    ASSERT_STR_EQ("kept?", js(p, "question"));
    json_decref(p);
    json_t *tally = harness_next_of(t, "poll_tally");
    ASSERT_EQ(1, ji(tally, "answers"));
    ASSERT_EQ(1, count_at(tally, 1));
    json_decref(tally);
    /* Dana's answer there is still hers: changing it keeps one answer */
    struct fake_conn *s = fixture_join(&g, "student", "Dana");
    fixture_send(&g, s, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[0]}", id);
    tally = harness_next_of(t, "poll_tally");
    ASSERT_EQ(1, ji(tally, "answers"));
    ASSERT_EQ(1, count_at(tally, 0));
    json_decref(tally);
    harness_free(&g.h);
    store_close(g.st);
    fixture_free(&r.f);
}

TEST(poll_csv_has_one_row_per_answer)
{
    struct room r;
    ASSERT(room_init(&r));
    long long id = create(&r, "\"question\":\"=1+1, really?\",\"kind\":\"multiple\","
                              "\"options\":[\"two\",\"\\\"2\\\"\",\"three\"]");
    long long open = create(&r, "\"question\":\"Why\",\"kind\":\"open\"");
    fixture_send(&r.f, r.s1, "{\"type\":\"poll_answer\",\"poll\":%lld,\"choices\":[0,1]}", id);
    fixture_send(&r.f, r.s2, "{\"type\":\"poll_answer\",\"poll\":%lld,\"text\":\"@home, =bad\"}", open);
    char *csv = NULL;
    size_t len = 0;
    ASSERT_EQ(0, poll_csv(r.f.st, r.f.def.id, 300, &csv, &len));
    char expect[1024];
    snprintf(expect, sizeof(expect),
             "\xEF\xBB\xBFpoll id,question,kind,participant,answer,time\r\n"
             "%lld,\"'=1+1, really?\",multiple,Dana,\"two; \"\"2\"\"\",2025-09-01T14:00:00+05:00\r\n"
             "%lld,Why,open,Erlan,\"'@home, =bad\",2025-09-01T14:00:00+05:00\r\n",
             id, open);
    ASSERT_STR_EQ(expect, csv);
    free(csv);
    fixture_free(&r.f);
}
