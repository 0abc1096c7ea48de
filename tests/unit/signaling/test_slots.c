/* The slot choice on a virtual clock: last-N order of speaking, fillers,
 * stage and self exclusion, stable places, leaves, N changes, and the
 * loudest-speaker audio places with hysteresis (no flapping, silent holders
 * replaced at once, nobody hears itself). */
#include "test.h"

#include "signaling/slots.h"

#define MS 1000ull

/* A lesson of six: p1 (teacher) .. p6, each with a camera (producer 10+i)
 * and a microphone (producer 20+i). */
struct lesson6 {
    struct slots_state s;
    struct slots_source cams[6], mics[6];
    char owners[6][8];
};

static void lesson6_init(struct lesson6 *l)
{
    slots_init(&l->s, NULL);
    for (int i = 0; i < 6; i++) {
        snprintf(l->owners[i], sizeof(l->owners[i]), "p%d", i + 1);
        l->cams[i] = (struct slots_source){(uint32_t)(11 + i), l->owners[i]};
        l->mics[i] = (struct slots_source){(uint32_t)(21 + i), l->owners[i]};
    }
}

static uint32_t cam(int p) { return (uint32_t)(10 + p); }
static uint32_t mic(int p) { return (uint32_t)(20 + p); }

static struct slots_view_in view_in(struct lesson6 *l, const char *self, size_t n)
{
    return (struct slots_view_in){.self = self, .n_speakers = n, .cameras = l->cams,
                                  .n_cameras = 6, .mics = l->mics, .n_mics = 6};
}

static bool has(const uint32_t *ids, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

static void speak(struct lesson6 *l, int p, uint64_t at_us)
{
    slots_speaking(&l->s, l->owners[p - 1], mic(p), true, at_us);
}

TEST(slots_fill_speaker_places_with_cameras_in_join_order_before_anyone_speaks) {
    struct lesson6 l;
    lesson6_init(&l);
    struct slots_view_in in = view_in(&l, "p6", 4);
    struct slots_view v;
    slots_view(&l.s, &in, NULL, &v);
    ASSERT_EQ(cam(1), v.speaker[0]);
    ASSERT_EQ(cam(2), v.speaker[1]);
    ASSERT_EQ(cam(3), v.speaker[2]);
    ASSERT_EQ(cam(4), v.speaker[3]);
    ASSERT_EQ(0, v.speaker[4]);           /* only N places */
    /* Audio too: nobody spoke, so the first three other microphones. */
    ASSERT_EQ(mic(1), v.audio[0]);
    ASSERT_EQ(mic(2), v.audio[1]);
    ASSERT_EQ(mic(3), v.audio[2]);
}

TEST(slots_last_n_follows_the_most_recent_speakers) {
    struct lesson6 l;
    lesson6_init(&l);
    struct slots_view_in in = view_in(&l, "p1", 2);
    struct slots_view v, prev;
    int changed = slots_speaking(&l.s, "p5", mic(5), true, 0);
    ASSERT_EQ(SLOTS_VIDEO_CHANGED, changed & SLOTS_VIDEO_CHANGED);
    slots_view(&l.s, &in, NULL, &v);
    ASSERT_EQ(cam(5), v.speaker[0]);
    ASSERT_EQ(cam(2), v.speaker[1]);      /* a filler: nobody else spoke */
    prev = v;
    speak(&l, 4, 2000 * MS);
    slots_view(&l.s, &in, &prev, &v);
    /* p4 takes the filler's place; p5 stays where it was. */
    ASSERT_EQ(cam(5), v.speaker[0]);
    ASSERT_EQ(cam(4), v.speaker[1]);
    prev = v;
    speak(&l, 3, 4000 * MS);
    slots_view(&l.s, &in, &prev, &v);
    /* p3 replaces the least recent speaker (p5), in p5's place. */
    ASSERT_EQ(cam(3), v.speaker[0]);
    ASSERT_EQ(cam(4), v.speaker[1]);
    prev = v;
    speak(&l, 4, 6000 * MS);              /* already shown: nothing moves */
    slots_view(&l.s, &in, &prev, &v);
    ASSERT_EQ(cam(3), v.speaker[0]);
    ASSERT_EQ(cam(4), v.speaker[1]);
    /* Order is by the last start: p5 again evicts p3, the older of the two. */
    prev = v;
    speak(&l, 5, 8000 * MS);
    slots_view(&l.s, &in, &prev, &v);
    ASSERT_EQ(cam(5), v.speaker[0]);
    ASSERT_EQ(cam(4), v.speaker[1]);
}

TEST(slots_with_one_speaker_place_it_follows_each_turn) {
    struct lesson6 l;
    lesson6_init(&l);
    struct slots_view_in in = view_in(&l, "p6", 1);
    struct slots_view v, prev;
    slots_view(&l.s, &in, NULL, &v);
    ASSERT_EQ(cam(1), v.speaker[0]);
    for (int turn = 0; turn < 4; turn++) {
        int who = turn % 2 ? 3 : 2;
        prev = v;
        speak(&l, who, (uint64_t)turn * 3000 * MS);
        slots_view(&l.s, &in, &prev, &v);
        ASSERT_EQ(cam(who), v.speaker[0]);
        ASSERT_EQ(0, v.speaker[1]);
    }
}

TEST(slots_never_show_the_stage_or_ones_own_media_in_speaker_places) {
    struct lesson6 l;
    lesson6_init(&l);
    speak(&l, 1, 0);                      /* the teacher speaks; its camera is the stage */
    speak(&l, 2, 1000 * MS);
    struct slots_view_in in = view_in(&l, "p2", 2);
    in.stage = cam(1);
    in.stage_owner = "p1";
    struct slots_view v;
    slots_view(&l.s, &in, NULL, &v);
    ASSERT_EQ(cam(1), v.stage);
    ASSERT(!has(v.speaker, 2, cam(1)));   /* on the stage already */
    ASSERT(!has(v.speaker, 2, cam(2)));   /* self */
    ASSERT_EQ(cam(3), v.speaker[0]);
    ASSERT_EQ(cam(4), v.speaker[1]);
    ASSERT(!has(v.audio, SLOTS_AUDIO, mic(2)));
    /* The teacher gets no stage of its own camera. */
    in.self = "p1";
    slots_view(&l.s, &in, NULL, &v);
    ASSERT_EQ(0, v.stage);
    ASSERT_EQ(cam(2), v.speaker[0]);
    ASSERT(!has(v.speaker, 2, cam(1)));
    ASSERT(!has(v.audio, SLOTS_AUDIO, mic(1)));
}

TEST(slots_screen_on_stage_puts_the_presenters_camera_first_among_fillers) {
    struct lesson6 l;
    lesson6_init(&l);
    speak(&l, 4, 0);
    struct slots_view_in in = view_in(&l, "p5", 2);
    in.stage = 99;                        /* p3's screen */
    in.stage_owner = "p3";
    in.stage_is_screen = true;
    struct slots_view v;
    slots_view(&l.s, &in, NULL, &v);
    ASSERT_EQ(99, v.stage);
    ASSERT_EQ(cam(4), v.speaker[0]);      /* a speaker first */
    ASSERT_EQ(cam(3), v.speaker[1]);      /* then the presenter's face */
}

TEST(slots_a_speaker_without_camera_is_skipped_and_a_leaver_is_forgotten) {
    struct lesson6 l;
    lesson6_init(&l);
    speak(&l, 4, 0);
    speak(&l, 5, 1000 * MS);
    struct slots_view_in in = view_in(&l, "p1", 1);
    in.n_cameras = 4;                     /* p5 and p6 have no (live) camera */
    struct slots_view v, prev;
    slots_view(&l.s, &in, NULL, &v);
    ASSERT_EQ(cam(4), v.speaker[0]);
    /* p4 leaves: its camera is gone from the input, and from the order. */
    ASSERT_EQ(SLOTS_VIDEO_CHANGED, slots_forget_owner(&l.s, "p4"));
    ASSERT_EQ(0, slots_forget_owner(&l.s, "p4"));
    in.n_cameras = 3;
    prev = v;
    slots_view(&l.s, &in, &prev, &v);
    ASSERT_EQ(cam(2), v.speaker[0]);      /* the first filler */
    ASSERT_EQ(1, l.s.n_recent);
    ASSERT_STR_EQ("p5", l.s.recent[0].owner);
}

TEST(slots_n_changes_keep_places_and_cut_or_extend) {
    struct lesson6 l;
    lesson6_init(&l);
    speak(&l, 2, 0);
    speak(&l, 3, 1000 * MS);
    speak(&l, 4, 2000 * MS);
    struct slots_view_in in = view_in(&l, "p1", 3);
    struct slots_view v, prev;
    slots_view(&l.s, &in, NULL, &v);
    ASSERT_EQ(cam(4), v.speaker[0]);
    ASSERT_EQ(cam(3), v.speaker[1]);
    ASSERT_EQ(cam(2), v.speaker[2]);
    /* N 3 -> 1: the most recent speaker only. */
    in.n_speakers = 1;
    prev = v;
    slots_view(&l.s, &in, &prev, &v);
    ASSERT_EQ(cam(4), v.speaker[0]);
    ASSERT_EQ(0, v.speaker[1]);
    /* N 1 -> 5: the old place kept, the rest filled in speaking order. */
    in.n_speakers = 5;
    prev = v;
    slots_view(&l.s, &in, &prev, &v);
    ASSERT_EQ(cam(4), v.speaker[0]);
    ASSERT_EQ(cam(3), v.speaker[1]);
    ASSERT_EQ(cam(2), v.speaker[2]);
    ASSERT_EQ(cam(5), v.speaker[3]);
    ASSERT_EQ(cam(6), v.speaker[4]);
    /* N 0: no speaker video at all. */
    in.n_speakers = 0;
    slots_view(&l.s, &in, &prev, &v);
    for (size_t i = 0; i < SLOTS_MAX_SPEAKERS; i++)
        ASSERT_EQ(0, v.speaker[i]);
}

TEST(slots_speaker_order_is_bounded_and_drops_the_oldest) {
    struct slots_state s;
    slots_init(&s, NULL);
    char owner[16];
    for (int i = 0; i < SLOTS_RECENT_MAX + 5; i++) {
        snprintf(owner, sizeof(owner), "p%d", i);
        slots_speaking(&s, owner, 0, true, (uint64_t)i * MS);
    }
    ASSERT_EQ(SLOTS_RECENT_MAX, s.n_recent);
    snprintf(owner, sizeof(owner), "p%d", SLOTS_RECENT_MAX + 4);
    ASSERT_STR_EQ(owner, s.recent[0].owner);
    ASSERT_STR_EQ("p5", s.recent[SLOTS_RECENT_MAX - 1].owner);
}

/* ---- audio ---------------------------------------------------------------- */

TEST(slots_audio_free_places_are_taken_at_once_by_speakers) {
    struct slots_state s;
    slots_init(&s, NULL);
    ASSERT_EQ(0, slots_level(&s, 21, 0, 0));          /* silent and unknown */
    ASSERT_EQ(SLOTS_AUDIO_CHANGED, slots_level(&s, 21, 20, 0));
    ASSERT_EQ(SLOTS_AUDIO_CHANGED | SLOTS_VIDEO_CHANGED,
              slots_speaking(&s, "p2", 22, true, 10 * MS));
    ASSERT_EQ(SLOTS_AUDIO_CHANGED, slots_level(&s, 23, 5, 20 * MS));
    ASSERT(has(s.held, SLOTS_AUDIO, 21) && has(s.held, SLOTS_AUDIO, 22) &&
           has(s.held, SLOTS_AUDIO, 23));
    /* The fourth speaker becomes the reserve (heard by the holders). */
    ASSERT_EQ(SLOTS_AUDIO_CHANGED, slots_level(&s, 24, 3, 30 * MS));
    ASSERT_EQ(24, s.reserve);
    ASSERT(!has(s.held, SLOTS_AUDIO, 24));
}

TEST(slots_audio_takeover_needs_a_second_of_being_louder_without_a_break) {
    struct slots_state s;
    slots_init(&s, NULL);
    uint64_t t = 0;
    /* Three holders speaking at 10, 12, 14 dB; the reserve 8. */
    for (; t < 500 * MS; t += 250 * MS) {
        slots_level(&s, 21, 10, t);
        slots_level(&s, 22, 12, t);
        slots_level(&s, 23, 14, t);
        slots_level(&s, 24, 8, t);
    }
    ASSERT_EQ(24, s.reserve);
    /* A loud newcomer (p5, 30 dB) for 750 ms: not yet (the reserve is not
     * silent either, and 24 is still speaking). */
    int changed = 0;
    for (uint64_t end = t + 750 * MS; t <= end; t += 250 * MS) {
        slots_level(&s, 21, 10, t);
        slots_level(&s, 22, 12, t);
        slots_level(&s, 23, 14, t);
        slots_level(&s, 24, 8, t);
        changed |= slots_level(&s, 25, 30, t);
    }
    ASSERT_EQ(0, changed);
    ASSERT(!has(s.held, SLOTS_AUDIO, 25));
    /* A dip below the quietest holder restarts the count. */
    slots_level(&s, 25, 9, t);
    t += 250 * MS;
    for (uint64_t end = t + 750 * MS; t <= end; t += 250 * MS) {
        slots_level(&s, 21, 10, t);
        slots_level(&s, 22, 12, t);
        slots_level(&s, 23, 14, t);
        changed |= slots_level(&s, 25, 30, t);
    }
    ASSERT(!has(s.held, SLOTS_AUDIO, 25));
    /* 250 ms more: a full second louder than 21, the quietest, which goes. */
    slots_level(&s, 21, 10, t);
    slots_level(&s, 22, 12, t);
    slots_level(&s, 23, 14, t);
    ASSERT(slots_level(&s, 25, 30, t) & SLOTS_AUDIO_CHANGED);
    ASSERT(has(s.held, SLOTS_AUDIO, 25));
    ASSERT(!has(s.held, SLOTS_AUDIO, 21));
    ASSERT(has(s.held, SLOTS_AUDIO, 22) && has(s.held, SLOTS_AUDIO, 23));
}

TEST(slots_audio_equal_loudness_never_flaps) {
    struct slots_state s;
    slots_init(&s, NULL);
    int changes = 0;
    /* Four speakers at the same loudness for 20 s: the first three hold. */
    for (uint64_t t = 0; t < 20000 * MS; t += 250 * MS)
        for (uint32_t m = 21; m <= 24; m++)
            changes += slots_level(&s, m, 15, t) ? 1 : 0;
    ASSERT_EQ(4, changes);                /* three places and the reserve, once each */
    ASSERT(has(s.held, SLOTS_AUDIO, 21) && has(s.held, SLOTS_AUDIO, 22) &&
           has(s.held, SLOTS_AUDIO, 23));
}

TEST(slots_audio_silent_holder_is_replaced_at_once) {
    struct slots_state s;
    slots_init(&s, NULL);
    slots_level(&s, 21, 20, 0);
    slots_level(&s, 22, 20, 0);
    slots_level(&s, 23, 20, 0);
    /* 22 stops speaking: its place is the first to go, with no wait. */
    slots_speaking(&s, "p2", 22, false, 100 * MS);
    slots_level(&s, 21, 20, 200 * MS);
    slots_level(&s, 23, 20, 200 * MS);
    ASSERT(slots_speaking(&s, "p4", 24, true, 300 * MS) & SLOTS_AUDIO_CHANGED);
    ASSERT(has(s.held, SLOTS_AUDIO, 24));
    ASSERT(!has(s.held, SLOTS_AUDIO, 22));
    /* A holder whose levels stop (no stop event) turns silent after 1 s. */
    slots_level(&s, 21, 20, 1200 * MS);
    slots_level(&s, 24, 20, 1200 * MS);
    /* 23's last level was at 200 ms: stale at 1201 ms. */
    ASSERT(slots_level(&s, 25, 5, 1300 * MS) & SLOTS_AUDIO_CHANGED);
    ASSERT(has(s.held, SLOTS_AUDIO, 25));
    ASSERT(!has(s.held, SLOTS_AUDIO, 23));
}

TEST(slots_audio_holders_hear_the_reserve_instead_of_themselves) {
    struct lesson6 l;
    lesson6_init(&l);
    for (int p = 2; p <= 5; p++)
        slots_level(&l.s, mic(p), (uint8_t)(10 + p), 0);
    ASSERT_EQ(mic(5), l.s.reserve);
    struct slots_view v;
    struct slots_view_in in = view_in(&l, "p3", 0);
    slots_view(&l.s, &in, NULL, &v);
    ASSERT(has(v.audio, SLOTS_AUDIO, mic(2)) && has(v.audio, SLOTS_AUDIO, mic(4)) &&
           has(v.audio, SLOTS_AUDIO, mic(5)));
    ASSERT(!has(v.audio, SLOTS_AUDIO, mic(3)));
    /* Someone listening only hears the three holders, not the reserve. */
    in.self = "p6";
    slots_view(&l.s, &in, NULL, &v);
    ASSERT(has(v.audio, SLOTS_AUDIO, mic(2)) && has(v.audio, SLOTS_AUDIO, mic(3)) &&
           has(v.audio, SLOTS_AUDIO, mic(4)));
    /* A holder's place stays where it was for a listener when another changes. */
    struct slots_view prev = v;
    slots_forget_mic(&l.s, mic(3));       /* p3 muted: its microphone is not live */
    struct slots_source live[5] = {l.mics[0], l.mics[1], l.mics[3], l.mics[4], l.mics[5]};
    in.mics = live;
    in.n_mics = 5;
    slots_view(&l.s, &in, &prev, &v);
    for (size_t i = 0; i < SLOTS_AUDIO; i++)
        if (prev.audio[i] != mic(3))
            ASSERT_EQ(prev.audio[i], v.audio[i]);
    ASSERT(!has(v.audio, SLOTS_AUDIO, mic(3)));
    ASSERT(has(v.audio, SLOTS_AUDIO, mic(5)));   /* the reserve, still speaking, fills in */
}

TEST(slots_audio_candidate_table_is_bounded_and_keeps_the_holders) {
    struct slots_state s;
    slots_init(&s, NULL);
    for (uint32_t m = 1; m <= SLOTS_MAX_CANDIDATES + 20; m++)
        slots_level(&s, m, 10, (uint64_t)m * MS);
    ASSERT_EQ(SLOTS_MAX_CANDIDATES, s.n_cands);
    ASSERT(has(s.held, SLOTS_AUDIO, 1) && has(s.held, SLOTS_AUDIO, 2) &&
           has(s.held, SLOTS_AUDIO, 3));
    ASSERT_EQ(4, s.reserve);
    /* Every holder's entry survived the churn. */
    bool seen[5] = {false};
    for (size_t i = 0; i < s.n_cands; i++)
        if (s.cands[i].mic <= 4)
            seen[s.cands[i].mic] = true;
    ASSERT(seen[1] && seen[2] && seen[3] && seen[4]);
}
