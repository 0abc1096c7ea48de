/* The rights table (rights.c), row by row for each role, and what the
 * refusal says. */
#include "test.h"

#include "classroom_fixture.h"
#include "signaling/lesson.h"
#include "signaling/rights.h"

static void make(struct participant *p, struct lesson *l, const char *role)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->role, sizeof(p->role), "%s", role);
    p->lesson = l;
}

/* The table of the issue: T teacher, A assistant, S student (no floor, chat on). */
static const struct {
    enum right r;
    bool teacher, assistant, student;
} table[] = {
    {RIGHT_PUBLISH, true, true, false},
    {RIGHT_MUTE_OTHERS, true, true, false},
    {RIGHT_ADMIT, true, true, false},
    {RIGHT_REMOVE, true, true, false},
    {RIGHT_LOCK, true, false, false},
    {RIGHT_END_LESSON, true, false, false},
    {RIGHT_RAISE_HAND, false, false, true},
    {RIGHT_GIVE_FLOOR, true, true, false},
    {RIGHT_MANAGE_POLLS, true, true, false},
    {RIGHT_CHAT, true, true, true},
    {RIGHT_MODERATE_CHAT, true, true, false},
    {RIGHT_RECORD, true, true, false},
};

TEST(rights_follow_the_table_for_each_role)
{
    struct lesson l;
    memset(&l, 0, sizeof(l));
    struct participant t, a, s, x;
    make(&t, &l, "teacher");
    make(&a, &l, "assistant");
    make(&s, &l, "student");
    make(&x, &l, "");   /* not joined: nothing */
    ASSERT_EQ(RIGHT_COUNT, sizeof(table) / sizeof(table[0]));
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        enum right r = table[i].r;
        if (rights_allow(&t, r) != table[i].teacher || rights_allow(&a, r) != table[i].assistant ||
            rights_allow(&s, r) != table[i].student || rights_allow(&x, r)) {
            test_fail(__FILE__, __LINE__, "right %s: teacher %d assistant %d student %d",
                      right_name(r), rights_allow(&t, r), rights_allow(&a, r),
                      rights_allow(&s, r));
            return;
        }
    }
    ASSERT(!rights_allow(NULL, RIGHT_CHAT));
    ASSERT(!rights_allow(&t, RIGHT_COUNT));
}

TEST(student_publishes_with_the_floor_or_when_the_lesson_allows)
{
    struct lesson l;
    memset(&l, 0, sizeof(l));
    struct participant s;
    make(&s, &l, "student");
    ASSERT(!rights_allow(&s, RIGHT_PUBLISH));
    s.has_floor = true;
    ASSERT(rights_allow(&s, RIGHT_PUBLISH));
    s.has_floor = false;
    l.def.students_publish = true;
    ASSERT(rights_allow(&s, RIGHT_PUBLISH));
    /* The floor gives nothing else. */
    s.has_floor = true;
    ASSERT(!rights_allow(&s, RIGHT_MUTE_OTHERS) && !rights_allow(&s, RIGHT_GIVE_FLOOR));
}

TEST(right_names_are_the_protocol_names)
{
    static const char *const want[RIGHT_COUNT] = {
        "publish", "mute_others", "admit", "remove", "lock", "end_lesson", "raise_hand",
        "give_floor", "manage_polls", "chat", "moderate_chat", "record"};
    for (int r = 0; r < RIGHT_COUNT; r++)
        ASSERT_STR_EQ(want[r], right_name((enum right)r));
    ASSERT_STR_EQ("unknown", right_name(RIGHT_COUNT));
}

TEST(student_chat_follows_the_lessons_chat_switch)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *t = fixture_join(&f, "teacher", "Aigerim");
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(t && s);
    ASSERT(rights_allow(s->p, RIGHT_CHAT));
    fixture_send(&f, t, "{\"type\":\"chat_set_enabled\",\"enabled\":false}");
    ASSERT(!rights_allow(s->p, RIGHT_CHAT));
    ASSERT(rights_allow(t->p, RIGHT_CHAT));
    fixture_free(&f);
}

TEST(refusal_names_the_right_and_echoes_ref_and_req)
{
    struct fixture f;
    ASSERT(fixture_init(&f));
    struct fake_conn *s = fixture_join(&f, "student", "Dana");
    ASSERT(s);
    fixture_drain(s);
    json_t *req = json_integer(9);
    rights_refuse(s->p, RIGHT_END_LESSON, "lesson_end", req);
    json_decref(req);
    json_t *e = fixture_error(s);
    ASSERT(e);
    ASSERT_STR_EQ("forbidden", js(e, "code"));
    ASSERT_STR_EQ("end_lesson", js(e, "right"));
    ASSERT_STR_EQ("lesson_end", js(e, "ref"));
    ASSERT_EQ(9, ji(e, "req"));
    ASSERT(strstr(js(e, "message"), "end_lesson"));
    json_decref(e);
    json_t *stats = signaling_stats(f.h.sig);
    ASSERT_EQ(1, json_integer_value(json_object_get(json_object_get(stats, "errors"),
                                                    "forbidden")));
    json_decref(stats);
    fixture_free(&f);
}
