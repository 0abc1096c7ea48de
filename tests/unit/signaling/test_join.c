/* `join` with a token (join.c, lesson.c): what it grants, what it refuses
 * (and that the socket stays), one person per personal link, single-use
 * links, capacity, and coming back within 60 s of a dropped socket (virtual
 * time: sig->now_ms and signaling_tick). */
#include "test.h"

#include <stdlib.h>

#include "lesson_helpers.h"
#include "signaling/access.h"
#include "signaling/roster.h"

#define SEC 1000ull

TEST(join_with_a_token_gives_role_rights_lesson_and_resume)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, true));
    char *tok = lh_token(&f, "teacher", 0, NULL);
    struct fake_conn *t = lh_join(&f, tok, "Aigerim", NULL);
    free(tok);
    json_t *j = harness_next_of(t, "joined");
    ASSERT(j);
    ASSERT_STR_EQ("teacher", js(j, "role"));
    ASSERT_STR_EQ("Aigerim", js(j, "name"));
    ASSERT_STR_EQ(f.def.id, js(j, "lesson"));
    ASSERT_EQ(24, strlen(js(j, "resume")));
    ASSERT(json_is_false(json_object_get(j, "resumed")));
    json_t *info = json_object_get(j, "lesson_info");
    ASSERT_STR_EQ("Algebra 7B", js(info, "title"));
    ASSERT_EQ(500, ji(info, "max_participants"));
    json_t *rights = json_object_get(j, "rights");
    ASSERT_EQ(11, json_array_size(rights));   /* all but raise_hand */
    json_decref(j);
    ASSERT(lh_has(t, "lobby") && lh_has(t, "hands"));   /* staff see both queues */
    struct fake_conn *s = lh_joined(&f, "student", "Dana");
    ASSERT(s && !lh_has(s, "lobby") && !lh_has(s, "hands"));
    fixture_free(&f);
}

TEST(join_refuses_bad_tokens_with_their_codes_and_the_socket_stays)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, true));
    char *good = lh_token(&f, "student", 0, NULL);
    struct fake_conn *c = harness_connect(&f.h);
    static const struct {
        const char *frame_fmt;
        const char *code;
    } cases[] = {
        {"{\"type\":\"join\",\"name\":\"M\"}", "bad_message"},
        {"{\"type\":\"join\",\"token\":5,\"name\":\"M\"}", "bad_message"},
        {"{\"type\":\"join\",\"token\":\"garbage\",\"name\":\"M\"}", "bad_token"},
        {"{\"type\":\"join\",\"token\":\"%s\"}", "bad_message"},   /* no name */
        {"{\"type\":\"join\",\"token\":\"%s\",\"name\":\"M\",\"lesson\":\"other\"}",
         "wrong_lesson"},
        {"{\"type\":\"join\",\"token\":\"%s\",\"name\":\"M\",\"resume\":7}", "bad_message"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char frame[2048];
        snprintf(frame, sizeof(frame), cases[i].frame_fmt, good);
        harness_send(&f.h, c, frame);
        const char *code = lh_error(c);
        if (strcmp(code, cases[i].code) != 0) {
            test_fail(__FILE__, __LINE__, "case %zu: got \"%s\", want %s", i, code,
                      cases[i].code);
            return;
        }
        harness_send(&f.h, c, "{\"type\":\"ping\"}");
        json_t *pong = harness_next_of(c, "pong");
        ASSERT(pong);
        json_decref(pong);
    }
    /* The same token later than its expiry. */
    f.h.sig->now_ms += 24 * 3600 * SEC;
    char frame[2048];
    snprintf(frame, sizeof(frame), "{\"type\":\"join\",\"token\":\"%s\",\"name\":\"M\"}", good);
    harness_send(&f.h, c, frame);
    ASSERT_STR_EQ("token_expired", lh_error(c));
    ASSERT(!c->closed);
    free(good);
    fixture_free(&f);
}

TEST(roster_link_uses_the_roster_name_and_a_second_window_replaces_the_first)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, true));
    struct roster_row row = {.name = "Әлия"};
    int64_t entry;
    ASSERT_EQ(0, roster_add(f.st, f.def.id, &row, 1, FIXTURE_T0, &entry));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    char *tok = lh_token(&f, "student", entry, NULL);
    struct fake_conn *a = lh_join(&f, tok, "Someone else", NULL);
    json_t *j = harness_next_of(a, "joined");
    ASSERT(j);
    ASSERT_STR_EQ("Әлия", js(j, "name"));
    char id[16];
    snprintf(id, sizeof(id), "%s", js(j, "participant"));
    json_decref(j);
    ASSERT_STR_EQ("r1", a->p->link);
    fixture_drain(t);
    struct fake_conn *b = lh_join(&f, tok, NULL, NULL);
    ASSERT_STR_EQ("replaced", lh_error(a));
    ASSERT(a->closed);
    j = harness_next_of(b, "joined");
    ASSERT(j);
    ASSERT_STR_EQ(id, js(j, "participant"));
    ASSERT(json_is_true(json_object_get(j, "resumed")));
    json_decref(j);
    /* The others see the same id again, never a participant_left. */
    ASSERT(!lh_has(t, "participant_left"));
    json_t *pj = harness_next_of(t, "participant_joined");
    ASSERT(pj);
    ASSERT_STR_EQ("Әлия", js(json_object_get(pj, "participant"), "name"));
    json_decref(pj);
    free(tok);
    fixture_free(&f);
}

TEST(single_use_link_works_once_but_its_holder_may_come_back_within_60_s)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, true));
    char *tok = lh_token(&f, "student", 0, "OneTime42");
    struct fake_conn *a = lh_join(&f, tok, "Dana", NULL);
    json_t *j = harness_next_of(a, "joined");
    ASSERT(j);
    char id[16];
    snprintf(id, sizeof(id), "%s", js(j, "participant"));
    json_decref(j);
    harness_disconnect(&f.h, a);
    f.h.sig->now_ms += 20 * SEC;
    struct fake_conn *b = lh_join(&f, tok, "Dana", NULL);
    j = harness_next_of(b, "joined");
    ASSERT(j);
    ASSERT_STR_EQ(id, js(j, "participant"));
    json_decref(j);
    harness_send(&f.h, b, "{\"type\":\"leave\"}");
    struct fake_conn *c = lh_join(&f, tok, "Dana", NULL);
    ASSERT_STR_EQ("link_used", lh_error(c));
    free(tok);
    fixture_free(&f);
}

TEST(dropped_participant_keeps_id_hand_and_floor_within_60_s)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    char *tok = lh_token(&f, "student", 0, NULL);
    struct fake_conn *s = lh_join(&f, tok, "Dana", NULL);
    json_t *j = harness_next_of(s, "joined");
    char id[16], resume[32];
    snprintf(id, sizeof(id), "%s", js(j, "participant"));
    snprintf(resume, sizeof(resume), "%s", js(j, "resume"));
    json_decref(j);
    harness_send(&f.h, s, "{\"type\":\"hand_raise\"}");
    char give[96];
    snprintf(give, sizeof(give), "{\"type\":\"floor_give\",\"participant\":\"%s\"}", id);
    harness_send(&f.h, t, give);
    harness_send(&f.h, s, "{\"type\":\"hand_raise\"}");   /* the floor lowered it: up again */
    fixture_drain(t);
    harness_disconnect(&f.h, s);
    ASSERT_STR_EQ(id, lh_field(t, "participant_away", "id"));
    f.h.sig->now_ms += 59 * SEC;
    signaling_tick(f.h.sig);
    ASSERT(!lh_has(t, "participant_left"));
    /* A stranger with the same shared link is someone else. */
    struct fake_conn *x = lh_join(&f, tok, "Bolat", NULL);
    j = harness_next_of(x, "joined");
    ASSERT(j && strcmp(js(j, "participant"), id) != 0);
    json_decref(j);
    struct fake_conn *back = lh_join(&f, tok, "Dana", resume);
    j = harness_next_of(back, "joined");
    ASSERT(j);
    ASSERT_STR_EQ(id, js(j, "participant"));
    ASSERT(json_is_true(json_object_get(j, "resumed")));
    ASSERT(json_is_true(json_object_get(j, "hand")));
    ASSERT(json_is_true(json_object_get(j, "floor")));
    json_t *rights = json_object_get(j, "rights");
    bool publish = false;
    for (size_t i = 0; i < json_array_size(rights); i++)
        publish |= strcmp(json_string_value(json_array_get(rights, i)), "publish") == 0;
    ASSERT(publish);
    json_decref(j);
    free(tok);
    fixture_free(&f);
}

TEST(dropped_participant_is_gone_after_60_s)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 2, false, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    char *tok = lh_token(&f, "student", 0, NULL);
    struct fake_conn *s = lh_join(&f, tok, "Dana", NULL);
    json_t *j = harness_next_of(s, "joined");
    char id[16], resume[32];
    snprintf(id, sizeof(id), "%s", js(j, "participant"));
    snprintf(resume, sizeof(resume), "%s", js(j, "resume"));
    json_decref(j);
    harness_disconnect(&f.h, s);
    /* Away still holds the seat: the lesson (2 people) is full. */
    struct fake_conn *other = lh_join(&f, tok, "Bolat", NULL);
    ASSERT_STR_EQ("lesson_full", lh_error(other));
    fixture_drain(t);
    f.h.sig->now_ms += 60 * SEC;
    signaling_tick(f.h.sig);
    json_t *left = harness_next_of(t, "participant_left");
    ASSERT(left);
    ASSERT_STR_EQ(id, js(left, "id"));
    ASSERT_STR_EQ("timeout", js(left, "reason"));
    json_decref(left);
    struct fake_conn *late = lh_join(&f, tok, "Dana", resume);
    j = harness_next_of(late, "joined");
    ASSERT(j && strcmp(js(j, "participant"), id) != 0);   /* a new id */
    ASSERT(json_is_false(json_object_get(j, "resumed")));
    json_decref(j);
    free(tok);
    fixture_free(&f);
}

TEST(lesson_full_refuses_students_but_not_staff)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 2, false, true));
    ASSERT(lh_joined(&f, "student", "S1"));
    ASSERT(lh_joined(&f, "student", "S2"));
    char *tok = lh_token(&f, "student", 0, NULL);
    struct fake_conn *c = lh_join(&f, tok, "S3", NULL);
    ASSERT_STR_EQ("lesson_full", lh_error(c));
    ASSERT(lh_joined(&f, "teacher", "T"));
    free(tok);
    fixture_free(&f);
}
