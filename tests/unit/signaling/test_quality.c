/* Connection quality reports (quality.c): checked, kept, relayed to staff
 * only, on a change or a refresh, never more often than the minimum gap. */
#include "test.h"

#include "lesson_helpers.h"
#include "signaling/quality.h"

/* The next participant_quality c got, NULL when none is pending (owned by the caller). */
static json_t *next_quality(struct fake_conn *c)
{
    while (harness_pending(c)) {
        json_t *m = harness_next(c);
        if (m && strcmp(js(m, "type"), "participant_quality") == 0)
            return m;
        json_decref(m);
    }
    return NULL;
}

TEST(quality_levels_parse_and_name)
{
    ASSERT_EQ(QUALITY_GOOD, quality_level_parse("good"));
    ASSERT_EQ(QUALITY_POOR, quality_level_parse("poor"));
    ASSERT_EQ(QUALITY_UNKNOWN, quality_level_parse("excellent"));
    ASSERT_EQ(QUALITY_UNKNOWN, quality_level_parse(NULL));
    ASSERT_STR_EQ("fair", quality_level_name(QUALITY_FAIR));
    ASSERT(quality_level_name(QUALITY_UNKNOWN) == NULL);
}

TEST(quality_relay_rule_changes_refresh_and_gap)
{
    ASSERT(quality_should_relay(QUALITY_UNKNOWN, 0, QUALITY_GOOD, 1000));
    ASSERT(!quality_should_relay(QUALITY_GOOD, 1000, QUALITY_POOR, 1000 + QUALITY_MIN_GAP_MS - 1));
    ASSERT(quality_should_relay(QUALITY_GOOD, 1000, QUALITY_POOR, 1000 + QUALITY_MIN_GAP_MS));
    ASSERT(!quality_should_relay(QUALITY_GOOD, 1000, QUALITY_GOOD, 1000 + QUALITY_REFRESH_MS - 1));
    ASSERT(quality_should_relay(QUALITY_GOOD, 1000, QUALITY_GOOD, 1000 + QUALITY_REFRESH_MS));
    /* The clock stepped back: relay rather than go silent. */
    ASSERT(quality_should_relay(QUALITY_GOOD, 50000, QUALITY_GOOD, 1000));
}

TEST(quality_report_reaches_staff_not_students)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    struct fake_conn *a = lh_joined(&f, "assistant", "A");
    struct fake_conn *s1 = lh_joined(&f, "student", "S1");
    struct fake_conn *s2 = lh_joined(&f, "student", "S2");
    f.h.sig->now_ms += 10000;
    harness_send(&f.h, s1, "{\"type\":\"quality\",\"level\":\"poor\",\"rtt_ms\":812.4,\"loss_pct\":9.25}");
    json_t *m = next_quality(t);
    ASSERT(m != NULL);
    ASSERT_STR_EQ(lh_id(s1), js(m, "participant"));
    ASSERT_STR_EQ("poor", js(m, "level"));
    ASSERT_EQ(812, ji(m, "rtt_ms"));
    ASSERT(json_real_value(json_object_get(m, "loss_pct")) > 9.1);
    json_decref(m);
    m = next_quality(a);
    ASSERT(m != NULL);
    json_decref(m);
    ASSERT(next_quality(s2) == NULL);
    ASSERT(next_quality(s1) == NULL);
    ASSERT_EQ(QUALITY_POOR, s1->p->quality);
    fixture_free(&f);
}

TEST(quality_repeats_wait_for_the_refresh_and_changes_for_the_gap)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    struct fake_conn *s = lh_joined(&f, "student", "S");
    harness_send(&f.h, s, "{\"type\":\"quality\",\"level\":\"good\"}");
    json_t *m = next_quality(t);
    ASSERT(m != NULL);
    ASSERT(json_object_get(m, "rtt_ms") == NULL);
    json_decref(m);
    /* A change within the gap is kept, not relayed... */
    f.h.sig->now_ms += 500;
    harness_send(&f.h, s, "{\"type\":\"quality\",\"level\":\"fair\"}");
    ASSERT(next_quality(t) == NULL);
    ASSERT_EQ(QUALITY_FAIR, s->p->quality);
    /* ...the next report after the gap carries it. */
    f.h.sig->now_ms += QUALITY_MIN_GAP_MS;
    harness_send(&f.h, s, "{\"type\":\"quality\",\"level\":\"fair\"}");
    m = next_quality(t);
    ASSERT(m != NULL);
    ASSERT_STR_EQ("fair", js(m, "level"));
    json_decref(m);
    /* The same level again: only after the refresh time. */
    f.h.sig->now_ms += 5000;
    harness_send(&f.h, s, "{\"type\":\"quality\",\"level\":\"fair\"}");
    ASSERT(next_quality(t) == NULL);
    f.h.sig->now_ms += QUALITY_REFRESH_MS;
    harness_send(&f.h, s, "{\"type\":\"quality\",\"level\":\"fair\"}");
    m = next_quality(t);
    ASSERT(m != NULL);
    json_decref(m);
    fixture_free(&f);
}

TEST(quality_bad_reports_get_bad_message)
{
    struct fixture f;
    ASSERT(fixture_init(&f) && lh_lesson(&f, false, 500, false, true));
    struct fake_conn *t = lh_joined(&f, "teacher", "T");
    struct fake_conn *s = lh_joined(&f, "student", "S");
    const char *bad[] = {
        "{\"type\":\"quality\"}",
        "{\"type\":\"quality\",\"level\":\"great\"}",
        "{\"type\":\"quality\",\"level\":3}",
        "{\"type\":\"quality\",\"level\":\"good\",\"rtt_ms\":-1}",
        "{\"type\":\"quality\",\"level\":\"good\",\"rtt_ms\":1e9}",
        "{\"type\":\"quality\",\"level\":\"good\",\"loss_pct\":\"5\"}",
        "{\"type\":\"quality\",\"level\":\"good\",\"loss_pct\":100.5}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        harness_send(&f.h, s, bad[i]);
        ASSERT_STR_EQ("bad_message", lh_error(s));
    }
    ASSERT(next_quality(t) == NULL);
    ASSERT_EQ(QUALITY_UNKNOWN, s->p->quality);
    fixture_free(&f);
}
