/* Speaker selection on a virtual clock: empty slots fill at once, a takeover
 * needs 1.5 s of being louder without a break (no flapping), turn taking of
 * three students through the real speaking detector, last-N eviction of the
 * least recently dominant, ties, removal and stale loudness. */
#include "test.h"

#include "rtc/rtc_env.h"
#include "rtc/speaker_select.h"
#include "rtc/speaking.h"

#define MS 1000ull
#define STEP_US (20 * MS)

static void audio_slots(const struct speaker_select *s, uint32_t *out)
{
    memset(out, 0, 3 * sizeof(*out));
    speaker_select_top_audio(s, out, 3);
}

static bool has(const uint32_t *slots, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (slots[i] == id)
            return true;
    return false;
}

TEST(speaker_select_defaults_and_empty_slots_fill_at_once) {
    struct speaker_select *s = speaker_select_new(NULL);
    uint32_t out[8];
    ASSERT(s);
    ASSERT_EQ(3, speaker_select_top_audio(s, out, 8));
    ASSERT_EQ(4, speaker_select_recent_video(s, out, 8));
    ASSERT_EQ(0, speaker_select_update(s, 0, 5, 0));   /* silent: not even tracked */
    ASSERT_EQ(SPEAKER_SELECT_AUDIO_CHANGED, speaker_select_update(s, 0, 5, 10));
    ASSERT_EQ(SPEAKER_SELECT_AUDIO_CHANGED, speaker_select_update(s, 0, 6, 1));
    audio_slots(s, out);
    ASSERT_EQ(5, out[0]);
    ASSERT_EQ(6, out[1]);
    ASSERT_EQ(0, out[2]);
    ASSERT_EQ(0, speaker_select_dominant(s));
    speaker_select_free(s);
    struct speaker_select_config too_many = {.n_audio = SPEAKER_SELECT_MAX_SLOTS + 1};
    ASSERT(!speaker_select_new(&too_many));
}

/* One audio slot and one video slot make every takeover visible. */
static struct speaker_select *one_slot(void)
{
    struct speaker_select_config cfg = {.n_audio = 1, .n_video = 1};
    return speaker_select_new(&cfg);
}

TEST(speaker_select_does_not_flap_when_two_alternate) {
    struct speaker_select *s = one_slot();
    uint64_t now = 0;
    int changes = 0;
    ASSERT(s);
    for (; now < 2000 * MS; now += STEP_US)
        changes += speaker_select_update(s, now, 1, 20) != 0;
    ASSERT_EQ(1, speaker_select_dominant(s));
    ASSERT_EQ(2, changes);       /* the audio slot at once, then the dominance */
    changes = 0;
    /* B is louder for 1.4 s, then quieter for 0.1 s, again and again. */
    for (int round = 0; round < 10; round++) {
        for (uint64_t end = now + 1500 * MS; now < end; now += STEP_US) {
            bool b_louder = end - now > 100 * MS;
            changes += speaker_select_update(s, now, 1, 20) != 0;
            changes += speaker_select_update(s, now, 2, b_louder ? 30 : 10) != 0;
        }
    }
    ASSERT_EQ(0, changes);
    uint32_t a;
    speaker_select_top_audio(s, &a, 1);
    ASSERT_EQ(1, a);
    ASSERT_EQ(1, speaker_select_dominant(s));
    /* Louder without a break: B takes over after exactly 1.5 s. */
    uint64_t start = now;
    int got = 0;
    for (; !got; now += STEP_US) {
        speaker_select_update(s, now, 1, 20);
        got = speaker_select_update(s, now, 2, 30);
    }
    ASSERT_EQ(SPEAKER_SELECT_AUDIO_CHANGED | SPEAKER_SELECT_VIDEO_CHANGED, got);
    ASSERT_EQ(1500 * MS, now - STEP_US - start);
    speaker_select_recent_video(s, &a, 1);
    ASSERT_EQ(2, a);
    speaker_select_free(s);
}

TEST(speaker_select_single_loud_moment_does_not_take_a_slot) {
    struct speaker_select *s = one_slot();
    uint64_t now = 0;
    ASSERT(s);
    for (; now < 3000 * MS; now += STEP_US)
        speaker_select_update(s, now, 1, 15);
    for (int i = 0; i < 20; i++) {
        /* Someone shouts for half a second, every other second. */
        for (uint64_t end = now + 1000 * MS; now < end; now += STEP_US) {
            speaker_select_update(s, now, 1, 15);
            ASSERT_EQ(0, speaker_select_update(s, now, 2, end - now > 500 * MS ? 45 : 0));
        }
    }
    ASSERT_EQ(1, speaker_select_dominant(s));
    speaker_select_free(s);
}

/* Three students speak in turn for 5 s each, round and round; their levels
 * go through the real detector and its loudness feeds the selection. */
TEST(speaker_select_turn_taking_of_three_students) {
    struct speaker_select *s = speaker_select_new(NULL);
    struct rtc_env env = {0};
    struct speaking det[3];
    const uint32_t ids[3] = {101, 102, 103};
    uint32_t dominants[16], video[4], audio[3];
    size_t n_dom = 0;
    int audio_changes = 0, video_changes = 0;
    ASSERT(s);
    memset(det, 0, sizeof(det));
    for (uint64_t now = 0; now < 30000 * MS; now += STEP_US) {
        int turn = (int)((now / (5000 * MS)) % 3);
        for (int i = 0; i < 3; i++) {
            speaking_on_level(&det[i], &env, ids[i], i == turn ? 25 : 110, now);
            int ch = speaker_select_update(s, now, ids[i], speaking_loudness(&det[i]));
            audio_changes += (ch & SPEAKER_SELECT_AUDIO_CHANGED) != 0;
            video_changes += (ch & SPEAKER_SELECT_VIDEO_CHANGED) != 0;
        }
        uint32_t d = speaker_select_dominant(s);
        if (d && (!n_dom || dominants[n_dom - 1] != d) && n_dom < 16)
            dominants[n_dom++] = d;
    }
    /* Each student once into an audio slot and a video slot, and no more. */
    ASSERT_EQ(3, audio_changes);
    ASSERT_EQ(3, video_changes);
    audio_slots(s, audio);
    ASSERT(has(audio, 3, 101) && has(audio, 3, 102) && has(audio, 3, 103));
    speaker_select_recent_video(s, video, 4);
    ASSERT_EQ(101, video[0]);
    ASSERT_EQ(102, video[1]);
    ASSERT_EQ(103, video[2]);
    ASSERT_EQ(0, video[3]);
    /* The dominant speaker follows every turn: 6 turns, 6 changes. */
    ASSERT_EQ(6, n_dom);
    for (size_t i = 0; i < n_dom; i++)
        ASSERT_EQ(ids[i % 3], dominants[i]);
    speaker_select_free(s);
}

TEST(speaker_select_last_n_evicts_the_least_recently_dominant) {
    struct speaker_select_config cfg = {.n_video = 2};
    struct speaker_select *s = speaker_select_new(&cfg);
    uint32_t video[2];
    uint64_t now = 0;
    ASSERT(s);
    /* 1, 2, 1 again, then 3: 2 was dominant longest ago and goes. */
    const uint32_t order[4] = {1, 2, 1, 3};
    for (int turn = 0; turn < 4; turn++)
        for (uint64_t end = now + 3000 * MS; now < end; now += STEP_US)
            for (uint32_t id = 1; id <= 3; id++)
                speaker_select_update(s, now, id, id == order[turn] ? 20 : 0);
    speaker_select_recent_video(s, video, 2);
    ASSERT_EQ(1, video[0]);
    ASSERT_EQ(3, video[1]);
    speaker_select_free(s);
}

TEST(speaker_select_brings_in_the_loudest_of_many) {
    struct speaker_select *s = speaker_select_new(NULL);
    uint32_t audio[3];
    uint64_t now = 0;
    ASSERT(s);
    /* 1..3 arrive first (quiet), then 4 and 5 (loud) join in. */
    for (; now < 1000 * MS; now += STEP_US)
        for (uint32_t id = 1; id <= 3; id++)
            speaker_select_update(s, now, id, (uint8_t)(5 + id));
    for (; now < 2400 * MS; now += STEP_US)
        for (uint32_t id = 1; id <= 5; id++)
            ASSERT_EQ(0, speaker_select_update(s, now, id, (uint8_t)(5 + id * (id > 3 ? 4 : 1))) &
                             SPEAKER_SELECT_AUDIO_CHANGED);
    for (; now < 5000 * MS; now += STEP_US)
        for (uint32_t id = 1; id <= 5; id++)
            speaker_select_update(s, now, id, (uint8_t)(5 + id * (id > 3 ? 4 : 1)));
    audio_slots(s, audio);
    /* The quietest (1) went first and kept 4 in its slot; then 2 for 5. */
    ASSERT_EQ(4, audio[0]);
    ASSERT_EQ(5, audio[1]);
    ASSERT_EQ(3, audio[2]);
    speaker_select_free(s);
}

TEST(speaker_select_ties_keep_the_holder_and_evict_the_longest_silent) {
    struct speaker_select_config cfg = {.n_audio = 2, .n_video = 1};
    struct speaker_select *s = speaker_select_new(&cfg);
    uint32_t audio[2];
    uint64_t now = 0;
    ASSERT(s);
    speaker_select_update(s, now, 1, 10);
    speaker_select_update(s, now, 2, 10);
    /* As loud as the holders is not louder: 3 waits forever. */
    for (; now < 5000 * MS; now += STEP_US) {
        speaker_select_update(s, now, 1, 10);
        speaker_select_update(s, now, 2, 10);
        ASSERT_EQ(0, speaker_select_update(s, now, 3, 10) & SPEAKER_SELECT_AUDIO_CHANGED);
    }
    /* Both holders fall silent, 2 one second after 1: 1 is evicted. */
    for (; now < 6000 * MS; now += STEP_US) {
        speaker_select_update(s, now, 1, 0);
        speaker_select_update(s, now, 2, 10);
        speaker_select_update(s, now, 3, 0);
    }
    for (; now < 9000 * MS; now += STEP_US) {
        speaker_select_update(s, now, 1, 0);
        speaker_select_update(s, now, 2, 0);
        speaker_select_update(s, now, 3, 12);
    }
    speaker_select_top_audio(s, audio, 2);
    ASSERT_EQ(3, audio[0]);
    ASSERT_EQ(2, audio[1]);
    speaker_select_free(s);
}

TEST(speaker_select_remove_and_stale_loudness) {
    struct speaker_select_config cfg = {.n_audio = 1, .n_video = 1};
    struct speaker_select *s = speaker_select_new(&cfg);
    uint32_t a;
    uint64_t now = 0;
    ASSERT(s);
    for (; now < 2000 * MS; now += STEP_US)
        speaker_select_update(s, now, 1, 20);
    ASSERT_EQ(1, speaker_select_dominant(s));
    /* 1 stops reporting (its producer stalled): after the stale time it
     * counts as silent, and a quieter 2 takes over 1.5 s later. */
    uint64_t last = now - STEP_US;
    int got = 0;
    for (; !got && now < 10000 * MS; now += STEP_US)
        got = speaker_select_update(s, now, 2, 5);
    ASSERT_EQ(SPEAKER_SELECT_AUDIO_CHANGED | SPEAKER_SELECT_VIDEO_CHANGED, got);
    ASSERT(now - last >= 2500 * MS && now - last <= 2600 * MS);
    ASSERT_EQ(SPEAKER_SELECT_AUDIO_CHANGED | SPEAKER_SELECT_VIDEO_CHANGED,
              speaker_select_remove(s, 2));
    ASSERT_EQ(0, speaker_select_dominant(s));
    speaker_select_top_audio(s, &a, 1);
    ASSERT_EQ(0, a);
    ASSERT_EQ(0, speaker_select_remove(s, 2));
    ASSERT_EQ(SPEAKER_SELECT_AUDIO_CHANGED, speaker_select_update(s, now, 1, 3));
    speaker_select_free(s);
}

TEST(speaker_select_bounded_candidates) {
    struct speaker_select_config cfg = {.max_candidates = 4};
    struct speaker_select *s = speaker_select_new(&cfg);
    uint64_t now = 0;
    ASSERT(s);
    /* 100 people each cough once: the table stays at 4 and still works. */
    for (uint32_t id = 1; id <= 100; id++, now += STEP_US)
        speaker_select_update(s, now, id, 5);
    for (uint64_t end = now + 3000 * MS; now < end; now += STEP_US)
        speaker_select_update(s, now, 500, 30);
    ASSERT_EQ(500, speaker_select_dominant(s));
    speaker_select_free(s);
}
