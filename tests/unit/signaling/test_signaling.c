/* The signaling dispatcher and lessons: join, ping, leave, and the `error`
 * reply for every malformed or misplaced message (docs/protocol.md). */
#include "test.h"

#include <stdlib.h>

#include "harness.h"

/* Sends `frame`, expects one error reply with this code (and ref when not
 * NULL). 0, or -1 after reporting the failure. */
static int expect_error(struct harness *h, struct fake_conn *c, const char *frame,
                        const char *code, const char *ref)
{
    size_t before = c->n;
    harness_send(h, c, frame);
    if (c->n != before + 1) {
        test_fail(__FILE__, __LINE__, "%s: %zu replies instead of 1", frame, c->n - before);
        return -1;
    }
    json_t *m = json_loads(c->msgs[c->n - 1], 0, NULL);
    c->read = c->n;
    int rc = 0;
    if (!m || !js(m, "type") || strcmp(js(m, "type"), "error") != 0 || !js(m, "code") ||
        strcmp(js(m, "code"), code) != 0 || !js(m, "message") || !js(m, "message")[0]) {
        test_fail(__FILE__, __LINE__, "%s: expected error %s, got %s", frame, code,
                  c->msgs[c->n - 1]);
        rc = -1;
    } else if (ref && (!js(m, "ref") || strcmp(js(m, "ref"), ref) != 0)) {
        test_fail(__FILE__, __LINE__, "%s: expected ref %s, got %s", frame, ref,
                  c->msgs[c->n - 1]);
        rc = -1;
    }
    json_decref(m);
    return rc;
}

TEST(join_replies_joined_with_own_id_and_req)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    harness_send(&h, a, "{\"type\":\"join\",\"lesson\":\"math-7b\",\"name\":\"Aigerim\","
                        "\"role\":\"teacher\",\"req\":1}");
    ASSERT_EQ(1, harness_pending(a));
    json_t *m = harness_next(a);
    ASSERT_STR_EQ("joined", js(m, "type"));
    ASSERT_EQ(1, ji(m, "req"));
    ASSERT_STR_EQ("p1", js(m, "participant"));
    ASSERT_STR_EQ("math-7b", js(m, "lesson"));
    ASSERT_EQ(0, json_array_size(json_object_get(m, "participants")));
    json_decref(m);
    ASSERT_EQ(1, h.sig->counters.participants);
    ASSERT_EQ(1, h.sig->counters.lessons);
    harness_free(&h);
}

TEST(second_member_sees_the_first_and_the_first_is_told)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_join(&h, a, "Aigerim");
    harness_send(&h, b, "{\"type\":\"join\",\"lesson\":\"math\",\"name\":\"Dana\"}");
    json_t *m = harness_next_of(b, "joined");
    ASSERT(m);
    ASSERT_STR_EQ("p2", js(m, "participant"));
    json_t *list = json_object_get(m, "participants");
    ASSERT_EQ(1, json_array_size(list));
    ASSERT_STR_EQ("p1", js(json_array_get(list, 0), "id"));
    ASSERT_STR_EQ("Aigerim", js(json_array_get(list, 0), "name"));
    ASSERT_STR_EQ("student", js(json_array_get(list, 0), "role"));
    json_decref(m);
    m = harness_next(a);
    ASSERT_STR_EQ("participant_joined", js(m, "type"));
    json_t *who = json_object_get(m, "participant");
    ASSERT_STR_EQ("p2", js(who, "id"));
    ASSERT_STR_EQ("Dana", js(who, "name"));
    json_decref(m);
    ASSERT_EQ(0, harness_pending(a));
    harness_free(&h);
}

TEST(second_join_is_already_joined_and_the_socket_stays)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    harness_join(&h, a, "Aigerim");
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":\"join\",\"lesson\":\"x\",\"name\":\"y\"}",
                              "already_joined", "join"));
    ASSERT(!a->closed);
    harness_send(&h, a, "{\"type\":\"ping\",\"req\":\"r9\"}");
    json_t *m = harness_next(a);
    ASSERT_STR_EQ("pong", js(m, "type"));
    ASSERT_STR_EQ("r9", js(m, "req"));
    json_decref(m);
    harness_free(&h);
}

TEST(ping_works_before_join)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    harness_send(&h, a, "{\"type\":\"ping\"}");
    json_t *m = harness_next(a);
    ASSERT_STR_EQ("pong", js(m, "type"));
    ASSERT(!json_object_get(m, "req"));
    json_decref(m);
    harness_free(&h);
}

TEST(malformed_frames_get_bad_json)
{
    static const char *frames[] = {"", "not json", "{", "[1,2]", "\"join\"", "42", "null",
                                   "{\"type\":\"ping\",\"type\":\"ping\"}"};
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
        ASSERT_EQ(0, expect_error(&h, a, frames[i], "bad_json", NULL));
    ASSERT_EQ(8, h.sig->counters.errors[MESSAGE_ERR_BAD_JSON]);
    harness_free(&h);
}

TEST(bad_type_or_req_is_bad_message_and_unknown_type_names_it)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    ASSERT_EQ(0, expect_error(&h, a, "{}", "bad_message", NULL));
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":5}", "bad_message", NULL));
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":\"ping\",\"req\":{}}", "bad_message", "ping"));
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":\"ping\",\"req\":[1]}", "bad_message", "ping"));
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":\"frobnicate\",\"req\":7}", "unknown_type",
                              "frobnicate"));
    json_t *m = json_loads(a->msgs[a->n - 1], 0, NULL);
    ASSERT_EQ(7, ji(m, "req"));
    ASSERT_STR_EQ("unknown message type \"frobnicate\"", js(m, "message"));
    json_decref(m);
    harness_free(&h);
}

TEST(messages_before_join_are_not_joined)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":\"publish\",\"sdp\":\"v=0\"}", "not_joined",
                              "publish"));
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":\"subscribe_answer\",\"sdp\":\"\",\"version\":1}",
                              "not_joined", "subscribe_answer"));
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":\"leave\"}", "not_joined", "leave"));
    ASSERT(!a->closed);
    harness_free(&h);
}

TEST(join_fields_are_checked)
{
    static const char *frames[] = {
        "{\"type\":\"join\",\"name\":\"A\"}",
        "{\"type\":\"join\",\"lesson\":\"\",\"name\":\"A\"}",
        "{\"type\":\"join\",\"lesson\":\"math 7\",\"name\":\"A\"}",
        "{\"type\":\"join\",\"lesson\":\"../etc\",\"name\":\"A\"}",
        "{\"type\":\"join\",\"lesson\":7,\"name\":\"A\"}",
        "{\"type\":\"join\",\"lesson\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
        "\"name\":\"A\"}",
        "{\"type\":\"join\",\"lesson\":\"m\"}",
        "{\"type\":\"join\",\"lesson\":\"m\",\"name\":\"\"}",
        "{\"type\":\"join\",\"lesson\":\"m\",\"name\":\"a\\nb\"}",
        "{\"type\":\"join\",\"lesson\":\"m\",\"name\":[\"A\"]}",
        "{\"type\":\"join\",\"lesson\":\"m\",\"name\":\"A\",\"role\":\"admin\"}",
        "{\"type\":\"join\",\"lesson\":\"m\",\"name\":\"A\",\"role\":null}",
    };
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
        ASSERT_EQ(0, expect_error(&h, a, frames[i], "bad_message", "join"));
    ASSERT_EQ(0, h.sig->counters.lessons);
    ASSERT_EQ(0, h.sig->counters.participants);
    harness_free(&h);
}

TEST(join_name_counts_characters_not_bytes)
{
    char frame[512], name[300] = "";
    for (int i = 0; i < 64; i++)
        strcat(name, "\xd3\x99");   /* U+04D9, two bytes */
    snprintf(frame, sizeof(frame), "{\"type\":\"join\",\"lesson\":\"m\",\"name\":\"%s\"}", name);
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_send(&h, a, frame);
    json_t *m = harness_next(a);
    ASSERT_STR_EQ("joined", js(m, "type"));
    json_decref(m);
    strcat(name, "x");
    snprintf(frame, sizeof(frame), "{\"type\":\"join\",\"lesson\":\"m\",\"name\":\"%s\"}", name);
    ASSERT_EQ(0, expect_error(&h, b, frame, "bad_message", "join"));
    harness_free(&h);
}

TEST(publish_and_answer_fields_are_checked_after_join)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    harness_join(&h, a, "A");
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":\"publish\"}", "bad_message", "publish"));
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":\"publish\",\"sdp\":5}", "bad_message", "publish"));
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":\"publish\",\"sdp\":\"hello\"}", "bad_sdp",
                              "publish"));
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":\"subscribe_answer\",\"sdp\":\"v=0\"}",
                              "bad_message", "subscribe_answer"));
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":\"subscribe_answer\",\"sdp\":\"v=0\","
                                     "\"version\":\"1\"}",
                              "bad_message", "subscribe_answer"));
    ASSERT_EQ(0, expect_error(&h, a, "{\"type\":\"subscribe_answer\",\"sdp\":\"v=0\","
                                     "\"version\":1}",
                              "bad_message", "subscribe_answer"));
    ASSERT_EQ(0, h.media.n);
    harness_free(&h);
}

TEST(too_large_frame_gets_too_large_and_errors_are_counted)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h);
    signaling_too_large(h.sig, a->p);
    json_t *m = harness_next(a);
    ASSERT_STR_EQ("error", js(m, "type"));
    ASSERT_STR_EQ("too_large", js(m, "code"));
    json_decref(m);
    harness_send(&h, a, "nope");
    json_t *st = signaling_stats(h.sig);
    json_t *errors = json_object_get(st, "errors");
    ASSERT_EQ(1, ji(errors, "too_large"));
    ASSERT_EQ(1, ji(errors, "bad_json"));
    ASSERT_EQ(0, ji(errors, "bad_sdp"));
    ASSERT_EQ(2, ji(st, "messages_in"));
    ASSERT_EQ(2, ji(st, "messages_out"));
    ASSERT_EQ(1, ji(st, "connections"));
    json_decref(st);
    harness_free(&h);
}

TEST(leave_tells_the_others_closes_the_socket_and_frees_the_lesson)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_join(&h, a, "A");
    harness_join(&h, b, "B");
    json_decref(harness_next_of(a, "participant_joined"));
    harness_send(&h, a, "{\"type\":\"leave\"}");
    ASSERT(a->closed);
    ASSERT_EQ(0, harness_pending(a));
    json_t *m = harness_next(b);
    ASSERT_STR_EQ("participant_left", js(m, "type"));
    ASSERT_STR_EQ("p1", js(m, "id"));
    json_decref(m);
    harness_send(&h, a, "{\"type\":\"ping\"}");   /* ignored once left */
    ASSERT_EQ(0, harness_pending(a));
    harness_disconnect(&h, a);
    ASSERT_EQ(1, h.sig->counters.lessons);
    harness_disconnect(&h, b);
    ASSERT_EQ(0, h.sig->counters.lessons);
    ASSERT_EQ(0, h.sig->counters.participants);
    ASSERT_EQ(0, h.sig->counters.connections);
    ASSERT(strstr(harness_log(&h), "lesson math closed"));
    harness_free(&h);
}

TEST(lessons_are_separate)
{
    struct harness h;
    harness_init(&h);
    struct fake_conn *a = harness_connect(&h), *b = harness_connect(&h);
    harness_send(&h, a, "{\"type\":\"join\",\"lesson\":\"one\",\"name\":\"A\"}");
    harness_send(&h, b, "{\"type\":\"join\",\"lesson\":\"two\",\"name\":\"B\"}");
    json_t *m = harness_next(b);
    ASSERT_EQ(0, json_array_size(json_object_get(m, "participants")));
    json_decref(m);
    json_decref(harness_next(a));
    ASSERT_EQ(0, harness_pending(a));
    ASSERT_EQ(2, h.sig->counters.lessons);
    harness_free(&h);
}
