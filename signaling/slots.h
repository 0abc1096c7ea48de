/* Who feeds which slot of a subscribe connection (DESIGN.md, "slots";
 * issue "Scale", last-N). Sans-IO: fed speaking events and audio levels with
 * the time as an argument, it answers, for one subscriber, which producer
 * each slot carries. subscribe.c maps that onto consumers.
 *
 * Video, last-N: the speaker slots show the cameras of the N people who most
 * recently started speaking (the newest first into a free slot), then, when
 * fewer spoke, other cameras in join order. The stage's own producer and the
 * subscriber's own camera never take a speaker slot. Someone who stays in the
 * chosen set keeps the same slot, so only the slot that changes hands is
 * switched.
 *
 * Audio, the loudest speakers: SLOTS_AUDIO holders chosen by loudness (dB
 * above the speaking threshold, from the audio-level extension), with
 * hysteresis so they do not flap:
 *   - a free place, or a holder that has fallen silent, is taken at once by
 *     anyone who speaks (a new speaker's first words are not lost);
 *   - a holder that still speaks is replaced only by someone strictly louder
 *     than it for audio_switch_us without a break (the quietest holder goes
 *     first, on a tie the one loud the longest ago).
 * A holder is never heard by itself: its own place goes to a reserve chosen
 * the same way among the others. Places nobody holds are filled per
 * subscriber with other microphones in join order, so a small lesson hears
 * everyone without anyone having spoken yet.
 *
 * Participants are named by their id ("p7"), producers by their id. */
#ifndef SIGNALING_SLOTS_H
#define SIGNALING_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLOTS_AUDIO 3             /* audio slots of every subscribe connection */
#define SLOTS_MAX_SPEAKERS 16     /* the largest last_n */
#define SLOTS_DEFAULT_SPEAKERS 4
#define SLOTS_OWNER_LEN 16        /* a participant id with its NUL */
#define SLOTS_RECENT_MAX 32       /* speakers remembered in order: N + stage + self fit */
#define SLOTS_MAX_CANDIDATES 64   /* microphones tracked for loudness at once */

#define SLOTS_DEFAULT_AUDIO_SWITCH_US 1000000
#define SLOTS_DEFAULT_STALE_US 1000000  /* levels come every 250 ms while speaking */

/* Bits of the results: what may look different to subscribers now. */
#define SLOTS_VIDEO_CHANGED 1
#define SLOTS_AUDIO_CHANGED 2

struct slots_config {
    uint32_t audio_switch_us;    /* louder for this long to replace a speaking holder */
    uint32_t stale_us;           /* a level older than this counts as silence */
};

struct slots_recent {
    char owner[SLOTS_OWNER_LEN];
    uint64_t since_us;           /* when they last started speaking */
};

struct slots_candidate {
    uint32_t mic;                /* audio producer id */
    uint8_t loudness;            /* 0 = silent */
    uint64_t updated_us;
    uint64_t loud_us;            /* last time it was heard (loudness > 0) */
    uint64_t challenge_us[2];    /* louder than the weakest holder of set i since ... */
    bool is_challenger[2];       /* ... while this is true */
};

/* The state of one lesson (about 3.5 KiB, no pointers: free it with free()). */
struct slots_state {
    struct slots_config cfg;
    struct slots_recent recent[SLOTS_RECENT_MAX]; /* newest first */
    size_t n_recent;
    struct slots_candidate cands[SLOTS_MAX_CANDIDATES];
    size_t n_cands;
    uint32_t held[SLOTS_AUDIO];  /* the loudest: audio producer ids, 0 = free place */
    uint32_t reserve;            /* heard instead of a holder by that holder */
};

/* NULL cfg or zero fields take the defaults. */
void slots_init(struct slots_state *s, const struct slots_config *cfg);

/* Speaking started (true) or stopped of `owner`'s microphone `mic`
 * (SFU_EVENT_SPEAKING_CHANGED). Returns SLOTS_*_CHANGED bits. */
int slots_speaking(struct slots_state *s, const char *owner, uint32_t mic, bool is_speaking,
                   uint64_t now_us);

/* The loudness of `mic` now (0..45; the media plane's level event). */
int slots_level(struct slots_state *s, uint32_t mic, uint8_t loudness, uint64_t now_us);

/* `owner` left: out of the speaker order. */
int slots_forget_owner(struct slots_state *s, const char *owner);
/* `mic` closed or paused: out of the audio places. */
int slots_forget_mic(struct slots_state *s, uint32_t mic);

/* A live producer a subscriber could be given. */
struct slots_source {
    uint32_t producer_id;
    const char *owner;           /* borrowed */
};

/* What the assignments are computed from. */
struct slots_view_in {
    const char *self;                   /* slots_view only: the subscriber, never given
                                         * its own media */
    uint32_t stage;                     /* the stage's producer, 0 = none */
    const char *stage_owner;            /* NULL when none */
    bool stage_is_screen;               /* the stage owner's camera then fills first */
    size_t n_speakers;                  /* 0..SLOTS_MAX_SPEAKERS */
    const struct slots_source *cameras; /* live (not paused) cameras, join order */
    size_t n_cameras;
    const struct slots_source *mics;    /* live (not paused) microphones, join order */
    size_t n_mics;
};

/* The lesson's candidates in order of preference, computed once for every
 * subscriber: each then takes the first ones that are not its own. Two
 * more than the places, so that taking one's own out still fills them. */
struct slots_ranking {
    uint32_t stage;
    const char *stage_owner;            /* borrowed from the input */
    size_t n_speakers;
    struct slots_source video[SLOTS_MAX_SPEAKERS + 2];
    size_t n_video;
    struct slots_source audio[SLOTS_AUDIO + 3];
    size_t n_audio;
};

/* One subscriber's slots: producer ids, 0 = idle. */
struct slots_view {
    uint32_t stage;
    uint32_t speaker[SLOTS_MAX_SPEAKERS];
    uint32_t audio[SLOTS_AUDIO];
};

/* The ranking now (in->self is not used). The result borrows owners from
 * the input's sources. */
void slots_rank(const struct slots_state *s, const struct slots_view_in *in,
                struct slots_ranking *out);

/* The assignment of subscriber `self` from the ranking. `prev` (its last
 * one, or NULL) keeps everyone who stays in the same slot. */
void slots_pick(const struct slots_ranking *r, const char *self, const struct slots_view *prev,
                struct slots_view *out);

/* slots_rank and slots_pick for in->self, in one call. */
void slots_view(const struct slots_state *s, const struct slots_view_in *in,
                const struct slots_view *prev, struct slots_view *out);

#endif
