/* Chat: stored before acknowledged, delivered to the right people, replayed
 * to late joiners, validated (UTF-8, length in characters), rate-limited,
 * moderated. */
#include "test.h"

#include <stdlib.h>

#include "classroom_fixture.h"
#include "signaling/chat.h"

static long long stored(struct fixture *f)
{
    return fixture_rows(f, "SELECT count(*) FROM chat_message");
}

/* n copies of a 2-byte letter ("ә"). */
static char *kazakh(size_t n)
{
    char *s = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = '\xD3';
        s[2 * i + 1] = '\x99';
    }
    s[2 * n] = '\0';
    return s;
}

TEST(chat_acknowledges_after_storing_then_broadcasts)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    fixture_drain(t);
    fixture_drain(s);
    f.h.sig->now_ms += 1000;
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"Сәлеметсіз бе!\",\"req\":7}");
    ASSERT_EQ(1, stored(&f));
    json_t *ack = harness_next(s);
    ASSERT_STR_EQ("chat_ack", js(ack, "type"));
    ASSERT_EQ(7, ji(ack, "req"));
    long long id = ji(ack, "id");
    ASSERT(id > 0);
    json_decref(ack);
    json_t *m = harness_next_of(t, "chat");
    ASSERT(m);
    ASSERT_EQ(id, ji(m, "id"));
    ASSERT_STR_EQ("Сәлеметсіз бе!", js(m, "text"));
    ASSERT_STR_EQ("Dana", js(m, "name"));
    ASSERT_STR_EQ("student", js(m, "role"));
    ASSERT_STR_EQ("all", js(m, "to"));
    ASSERT_STR_EQ(s->p->id, js(m, "from"));
    ASSERT_EQ((long long)f.h.sig->now_ms, ji(m, "at"));
    ASSERT(json_object_get(m, "req") == NULL);
    json_decref(m);
    m = harness_next_of(s, "chat");   /* the sender gets it too */
    ASSERT(m);
    json_decref(m);
    fixture_free(&f);
}

TEST(chat_sends_nothing_when_the_store_fails)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    fixture_drain(t);
    fixture_drain(s);
    ASSERT_EQ(0, store_schema(f.st, "DROP TABLE chat_message"));
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"lost?\"}");
    json_t *e = fixture_error(s);
    ASSERT(e);
    ASSERT_STR_EQ("internal", js(e, "code"));
    json_decref(e);
    ASSERT_EQ(0, fixture_count(s, "chat_ack"));
    ASSERT_EQ(0, fixture_count(t, "chat"));
    fixture_free(&f);
}

TEST(chat_private_to_staff_reaches_only_staff_and_the_sender)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *a = fixture_join(&f, "assistant", "Marat");
    struct fake_conn *s1 = fixture_join(&f, "student", "Dana");
    struct fake_conn *s2 = fixture_join(&f, "student", "Erlan");
    ASSERT(t && a && s1 && s2);
    struct fake_conn *all[] = {t, a, s1, s2};
    for (int i = 0; i < 4; i++)
        fixture_drain(all[i]);
    fixture_send(&f, s1, "{\"type\":\"chat_send\",\"text\":\"I cannot hear\",\"to\":\"staff\"}");
    ASSERT_EQ(1, fixture_count(t, "chat"));
    ASSERT_EQ(1, fixture_count(a, "chat"));
    ASSERT_EQ(1, fixture_count(s1, "chat"));
    ASSERT_EQ(0, fixture_count(s2, "chat"));
    json_t *m = harness_next_of(t, "chat");
    ASSERT_STR_EQ("staff", js(m, "to"));
    json_decref(m);
    /* a late student sees none of it; a late assistant sees it */
    struct fake_conn *s3 = fixture_join(&f, "student", "Gulnar");
    json_t *h = harness_next_of(s3, "chat_history");
    ASSERT(h);
    ASSERT_EQ(0, json_array_size(json_object_get(h, "messages")));
    json_decref(h);
    struct fake_conn *a2 = fixture_join(&f, "assistant", "Saule");
    h = harness_next_of(a2, "chat_history");
    ASSERT_EQ(1, json_array_size(json_object_get(h, "messages")));
    json_decref(h);
    fixture_free(&f);
}

TEST(chat_history_gives_late_joiners_the_last_200)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    for (int i = 1; i <= 205; i++) {
        f.h.sig->now_ms += 1001;   /* under the rate limit */
        fixture_send(&f, t, "{\"type\":\"chat_send\",\"text\":\"message %d\"}", i);
        fixture_drain(t);
        fixture_drain(s);
    }
    /* one private message of the student, which only it and staff replay */
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"mine\",\"to\":\"staff\"}");
    ASSERT_EQ(206, stored(&f));
    struct fake_conn *late = fixture_join(&f, "student", "Erlan");
    json_t *st = harness_next(late);
    ASSERT_STR_EQ("chat_state", js(st, "type"));   /* right after joined */
    json_decref(st);
    json_t *h = harness_next(late);
    ASSERT_STR_EQ("chat_history", js(h, "type"));
    json_t *list = json_object_get(h, "messages");
    ASSERT_EQ(200, json_array_size(list));
    ASSERT_STR_EQ("message 6", js(json_array_get(list, 0), "text"));
    ASSERT_STR_EQ("message 205", js(json_array_get(list, 199), "text"));
    ASSERT(ji(json_array_get(list, 0), "id") < ji(json_array_get(list, 1), "id"));
    json_decref(h);
    /* the student's own history ends with its private message, marked mine */
    harness_disconnect(&f.h, s);
    f.h.sig->now_ms += 61000;   /* away long enough to be gone */
    struct fake_conn *again = fixture_join(&f, "student", "Dana");
    ASSERT(again);
    h = harness_next_of(again, "chat_history");
    list = json_object_get(h, "messages");
    ASSERT_EQ(200, json_array_size(list));
    json_t *last = json_array_get(list, 199);
    ASSERT_STR_EQ("mine", js(last, "text"));
    ASSERT(json_is_true(json_object_get(last, "mine")));
    ASSERT(json_object_get(json_array_get(list, 0), "mine") == NULL);
    json_decref(h);
    fixture_free(&f);
}

static void expect_error(struct fake_conn *c, const char *code)
{
    json_t *e = fixture_error(c);
    if (!e || strcmp(js(e, "code"), code) != 0)
        test_fail(__FILE__, __LINE__, "expected error %s, got %s", code, e ? js(e, "code") : "none");
    json_decref(e);
}

TEST(chat_refuses_invalid_utf8_and_stores_nothing)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(s);
    fixture_drain(s);
    /* raw invalid bytes in the frame: the JSON parser refuses them */
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"bad \xFF byte\"}");
    expect_error(s, "bad_json");
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"overlong \xC0\xAF\"}");
    expect_error(s, "bad_json");
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"surrogate \xED\xA0\x80\"}");
    expect_error(s, "bad_json");
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"escaped \\ud800\"}");
    expect_error(s, "bad_json");
    /* strings that reach chat.c without the parser's check */
    const char *bad[] = {"overlong \xC0\xAF", "surrogate \xED\xA0\x80", "cut \xE2\x82",
                         "bell \x07"};
    for (size_t i = 0; i < 4; i++) {
        json_t *m = json_pack("{s:s}", "type", "chat_send");
        json_object_set_new(m, "text", json_stringn_nocheck(bad[i], strlen(bad[i])));
        signaling_receive_json(f.h.sig, s->p, m);
        json_decref(m);
        expect_error(s, "bad_message");
    }
    json_t *m = json_pack("{s:s}", "type", "chat_send");
    json_object_set_new(m, "text", json_stringn_nocheck("nul\0inside", 10));
    signaling_receive_json(f.h.sig, s->p, m);
    json_decref(m);
    expect_error(s, "bad_message");
    ASSERT_EQ(0, stored(&f));
    ASSERT_EQ(0, fixture_count(s, "chat"));
    fixture_free(&f);
}

TEST(chat_limit_is_2000_characters_not_bytes)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(s);
    fixture_drain(s);
    char *ok = kazakh(2000), *long_one = kazakh(2001);   /* 4000 and 4002 bytes */
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"%s\"}", ok);
    json_t *ack = harness_next_of(s, "chat_ack");
    ASSERT(ack);
    json_decref(ack);
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"%s\"}", long_one);
    json_t *e = fixture_error(s);
    ASSERT_STR_EQ("too_long", js(e, "code"));
    ASSERT(strstr(js(e, "message"), "2001") != NULL);
    json_decref(e);
    ASSERT_EQ(1, stored(&f));
    free(ok);
    free(long_one);
    fixture_free(&f);
}

TEST(chat_refuses_wrong_fields)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(s);
    fixture_drain(s);
    fixture_send(&f, s, "{\"type\":\"chat_send\"}");
    expect_error(s, "bad_message");
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":42}");
    expect_error(s, "bad_message");
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"   \"}");
    expect_error(s, "bad_message");
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"hi\",\"to\":\"everyone\"}");
    expect_error(s, "bad_message");
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"hi\",\"to\":[]}");
    expect_error(s, "bad_message");
    ASSERT_EQ(0, stored(&f));
    fixture_free(&f);
}

TEST(chat_rate_limit_refuses_the_sixth_in_5_seconds)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(s);
    fixture_drain(s);
    uint64_t t0 = f.h.sig->now_ms;
    for (int i = 0; i < 5; i++) {
        f.h.sig->now_ms = t0 + (uint64_t)i * 500;
        fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"n%d\"}", i);
    }
    ASSERT_EQ(5, fixture_count(s, "chat_ack"));
    fixture_drain(s);
    f.h.sig->now_ms = t0 + 4000;
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"sixth\",\"req\":\"x\"}");
    json_t *e = fixture_error(s);
    ASSERT_STR_EQ("rate_limited", js(e, "code"));
    ASSERT_STR_EQ("x", js(e, "req"));
    ASSERT_EQ(1000, ji(e, "retry_after_ms"));   /* the first expires at t0 + 5000 */
    ASSERT(strstr(js(e, "message"), "5 in 5 seconds") != NULL);
    json_decref(e);
    ASSERT_EQ(5, stored(&f));
    /* the refused one did not count: one more is allowed once the first expires */
    f.h.sig->now_ms = t0 + 5000;
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"later\"}");
    ASSERT_EQ(1, fixture_count(s, "chat_ack"));
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"too soon\"}");
    ASSERT_EQ(1, fixture_count(s, "error"));
    ASSERT_EQ(6, stored(&f));
    fixture_free(&f);
}

TEST(chat_delete_by_staff_hides_the_message_from_everyone)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"rude words\"}");
    json_t *ack = harness_next_of(s, "chat_ack");
    long long id = ji(ack, "id");
    json_decref(ack);
    fixture_drain(s);
    fixture_drain(t);
    /* a student may not delete */
    fixture_send(&f, s, "{\"type\":\"chat_delete\",\"id\":%lld}", id);
    json_t *e = fixture_error(s);
    ASSERT_STR_EQ("forbidden", js(e, "code"));
    ASSERT_STR_EQ("moderate_chat", js(e, "right"));
    json_decref(e);
    fixture_send(&f, t, "{\"type\":\"chat_delete\",\"id\":%lld,\"req\":3}", id);
    json_t *d = harness_next_of(t, "chat_deleted");
    ASSERT_EQ(id, ji(d, "id"));
    ASSERT_EQ(3, ji(d, "req"));
    json_decref(d);
    d = harness_next_of(s, "chat_deleted");
    ASSERT_EQ(id, ji(d, "id"));
    json_decref(d);
    ASSERT_EQ(1, fixture_rows(&f, "SELECT count(*) FROM chat_message WHERE deleted_ms IS NOT NULL"));
    fixture_send(&f, t, "{\"type\":\"chat_delete\",\"id\":%lld}", id + 100);
    e = fixture_error(t);
    ASSERT_STR_EQ("not_found", js(e, "code"));
    json_decref(e);
    struct fake_conn *late = fixture_join(&f, "student", "Erlan");
    json_t *h = harness_next_of(late, "chat_history");
    ASSERT_EQ(0, json_array_size(json_object_get(h, "messages")));
    json_decref(h);
    fixture_free(&f);
}

TEST(chat_disabled_refuses_students_and_is_stored_with_the_lesson)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    fixture_drain(t);
    fixture_drain(s);
    fixture_send(&f, s, "{\"type\":\"chat_set_enabled\",\"enabled\":false}");
    json_t *e = fixture_error(s);
    ASSERT_STR_EQ("forbidden", js(e, "code"));
    json_decref(e);
    fixture_send(&f, t, "{\"type\":\"chat_set_enabled\",\"enabled\":\"no\"}");
    e = fixture_error(t);
    ASSERT_STR_EQ("bad_message", js(e, "code"));
    json_decref(e);
    fixture_send(&f, t, "{\"type\":\"chat_set_enabled\",\"enabled\":false,\"req\":1}");
    json_t *m = harness_next_of(s, "chat_state");
    ASSERT(json_is_false(json_object_get(m, "enabled")));
    json_decref(m);
    m = harness_next_of(t, "chat_state");
    ASSERT_EQ(1, ji(m, "req"));
    json_decref(m);
    fixture_send(&f, s, "{\"type\":\"chat_send\",\"text\":\"hello?\"}");
    e = fixture_error(s);
    ASSERT_STR_EQ("forbidden", js(e, "code"));
    ASSERT_STR_EQ("chat", js(e, "right"));
    json_decref(e);
    fixture_send(&f, t, "{\"type\":\"chat_send\",\"text\":\"staff still talk\"}");
    ASSERT_EQ(1, fixture_count(t, "chat_ack"));
    ASSERT_EQ(1, stored(&f));
    /* everyone leaves: the lesson is freed; it comes back disabled */
    fixture_send(&f, t, "{\"type\":\"leave\"}");
    fixture_send(&f, s, "{\"type\":\"leave\"}");
    ASSERT(f.h.sig->lessons == NULL);
    struct fake_conn *s2 = fixture_join(&f, "student", "Erlan");
    m = harness_next_of(s2, "chat_state");
    ASSERT(json_is_false(json_object_get(m, "enabled")));
    json_decref(m);
    fixture_free(&f);
}
