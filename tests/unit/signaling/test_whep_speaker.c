/* What a WHEP player hears (whep_speaker.c): the most recent speaker, held
 * WHEP_SPEAKER_HOLD_MS against a newer one while still speaking, the
 * teacher's mic after WHEP_SPEAKER_QUIET_MS of silence or when the speaker
 * is gone. Virtual time in ms. */
#include "test.h"

#include "signaling/whep_speaker.h"

#define TEACHER 10u
#define STUDENT 20u
#define OTHER 30u

TEST(whep_speaker_starts_on_the_teachers_mic_and_switches_to_a_speaker_at_once)
{
    struct whep_speaker s = {0};
    ASSERT_EQ(0u, whep_speaker_choose(&s, 0, 1000));   /* nothing to hear yet */
    ASSERT_EQ(TEACHER, whep_speaker_choose(&s, TEACHER, 1000));
    whep_speaker_event(&s, STUDENT, true, 1500);
    ASSERT_EQ(STUDENT, whep_speaker_choose(&s, TEACHER, 1500));   /* the teacher was quiet */
}

TEST(whep_speaker_holds_a_speaker_against_a_newer_one_for_a_while)
{
    struct whep_speaker s = {0};
    whep_speaker_event(&s, STUDENT, true, 1000);
    ASSERT_EQ(STUDENT, whep_speaker_choose(&s, TEACHER, 1000));
    whep_speaker_event(&s, OTHER, true, 1500);   /* talks over the student */
    ASSERT_EQ(STUDENT, whep_speaker_choose(&s, TEACHER, 1500));
    ASSERT_EQ(STUDENT, whep_speaker_choose(&s, TEACHER, 1000 + WHEP_SPEAKER_HOLD_MS - 1));
    ASSERT_EQ(OTHER, whep_speaker_choose(&s, TEACHER, 1000 + WHEP_SPEAKER_HOLD_MS));
    /* No flapping back while both go on. */
    ASSERT_EQ(OTHER, whep_speaker_choose(&s, TEACHER, 1000 + 3 * WHEP_SPEAKER_HOLD_MS));
}

TEST(whep_speaker_moves_on_when_the_one_heard_stops)
{
    struct whep_speaker s = {0};
    whep_speaker_event(&s, STUDENT, true, 1000);
    ASSERT_EQ(STUDENT, whep_speaker_choose(&s, TEACHER, 1000));
    whep_speaker_event(&s, OTHER, true, 1200);
    ASSERT_EQ(STUDENT, whep_speaker_choose(&s, TEACHER, 1200));
    whep_speaker_event(&s, STUDENT, false, 1400);
    ASSERT_EQ(OTHER, whep_speaker_choose(&s, TEACHER, 1400));   /* no hold on a silent one */
}

TEST(whep_speaker_falls_back_to_the_teacher_after_silence)
{
    struct whep_speaker s = {0};
    whep_speaker_event(&s, STUDENT, true, 1000);
    ASSERT_EQ(STUDENT, whep_speaker_choose(&s, TEACHER, 1000));
    whep_speaker_event(&s, STUDENT, false, 4000);
    ASSERT_EQ(STUDENT, whep_speaker_choose(&s, TEACHER, 4000 + WHEP_SPEAKER_QUIET_MS - 1));
    ASSERT_EQ(TEACHER, whep_speaker_choose(&s, TEACHER, 4000 + WHEP_SPEAKER_QUIET_MS));
}

TEST(whep_speaker_forgets_a_speaker_who_left)
{
    struct whep_speaker s = {0};
    whep_speaker_event(&s, STUDENT, true, 1000);
    ASSERT_EQ(STUDENT, whep_speaker_choose(&s, TEACHER, 1000));
    whep_speaker_forget(&s, STUDENT);
    ASSERT_EQ(0u, s.n_speaking);
    ASSERT_EQ(TEACHER, whep_speaker_choose(&s, TEACHER, 1100));
    /* A stop for a producer never seen, and producer 0, change nothing. */
    whep_speaker_event(&s, OTHER, false, 1200);
    whep_speaker_event(&s, 0, true, 1200);
    ASSERT_EQ(0u, s.n_speaking);
    ASSERT_EQ(TEACHER, whep_speaker_choose(&s, TEACHER, 1200));
}

TEST(whep_speaker_a_crowd_keeps_the_newest_speakers)
{
    struct whep_speaker s = {0};
    for (uint32_t i = 1; i <= WHEP_SPEAKER_MAX + 4; i++)
        whep_speaker_event(&s, 100 + i, true, 1000 + i);
    ASSERT_EQ((size_t)WHEP_SPEAKER_MAX, s.n_speaking);
    ASSERT_EQ(100u + WHEP_SPEAKER_MAX + 4, whep_speaker_choose(&s, TEACHER, 2000));
}
