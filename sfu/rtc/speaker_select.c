/* Loudest-speaker audio slots and last-N speaker video slots with
 * hysteresis (see speaker_select.h). */
#include "rtc/speaker_select.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_N_AUDIO 3
#define DEFAULT_N_VIDEO 4
#define DEFAULT_SWITCH_US 1500000
#define DEFAULT_STALE_US 1000000
#define DEFAULT_MAX_CANDIDATES 64

struct candidate {
    uint32_t id;
    uint8_t loudness;
    uint64_t updated_us;
    uint64_t loud_us;            /* last update with a sound */
    bool is_audio_challenger;
    uint64_t audio_challenge_us; /* louder than the quietest audio holder since */
    bool is_video_challenger;
    uint64_t video_challenge_us; /* louder than the dominant speaker since */
    uint64_t dominant_us;        /* when it last became dominant */
};

struct speaker_select {
    struct speaker_select_config cfg;
    struct candidate *cands;     /* owned: cfg.max_candidates entries */
    size_t n_cands;
    uint32_t audio[SPEAKER_SELECT_MAX_SLOTS]; /* slot -> id, 0 = empty */
    uint32_t video[SPEAKER_SELECT_MAX_SLOTS];
    uint32_t dominant;           /* 0 = none */
};

struct speaker_select *speaker_select_new(const struct speaker_select_config *cfg)
{
    struct speaker_select_config c = {0};
    if (cfg)
        c = *cfg;
    if (!c.n_audio)
        c.n_audio = DEFAULT_N_AUDIO;
    if (!c.n_video)
        c.n_video = DEFAULT_N_VIDEO;
    if (!c.switch_us)
        c.switch_us = DEFAULT_SWITCH_US;
    if (!c.stale_us)
        c.stale_us = DEFAULT_STALE_US;
    if (!c.max_candidates)
        c.max_candidates = DEFAULT_MAX_CANDIDATES;
    if (c.n_audio > SPEAKER_SELECT_MAX_SLOTS || c.n_video > SPEAKER_SELECT_MAX_SLOTS)
        return NULL;
    struct speaker_select *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = c;
    s->cands = calloc(c.max_candidates, sizeof(*s->cands));
    if (!s->cands) {
        free(s);
        return NULL;
    }
    return s;
}

void speaker_select_free(struct speaker_select *s)
{
    if (!s)
        return;
    free(s->cands);
    free(s);
}

static struct candidate *find(struct speaker_select *s, uint32_t id)
{
    for (size_t i = 0; i < s->n_cands; i++)
        if (s->cands[i].id == id)
            return &s->cands[i];
    return NULL;
}

static int slot_of(const uint32_t *slots, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (slots[i] == id)
            return (int)i;
    return -1;
}

static bool holds_slot(const struct speaker_select *s, uint32_t id)
{
    return slot_of(s->audio, s->cfg.n_audio, id) >= 0 ||
           slot_of(s->video, s->cfg.n_video, id) >= 0 || s->dominant == id;
}

static uint8_t loudness_at(const struct speaker_select *s, const struct candidate *c, uint64_t now)
{
    return now - c->updated_us > s->cfg.stale_us ? 0 : c->loudness;
}

/* A place for a new id: a free entry, else the one silent the longest that
 * holds no slot. NULL when every entry holds a slot. */
static struct candidate *add(struct speaker_select *s, uint32_t id)
{
    struct candidate *c = NULL;
    if (s->n_cands < s->cfg.max_candidates) {
        c = &s->cands[s->n_cands++];
    } else {
        for (size_t i = 0; i < s->n_cands; i++) {
            struct candidate *o = &s->cands[i];
            if (!holds_slot(s, o->id) && (!c || o->loud_us < c->loud_us))
                c = o;
        }
        if (!c)
            return NULL;
    }
    memset(c, 0, sizeof(*c));
    c->id = id;
    return c;
}

/* The audio slot to give up first: empty, else the quietest holder, on a
 * tie the one silent the longest. */
static int weakest_audio(struct speaker_select *s, uint64_t now)
{
    int best = -1;
    uint8_t best_loud = 0;
    uint64_t best_loud_us = 0;
    for (size_t i = 0; i < s->cfg.n_audio; i++) {
        if (!s->audio[i])
            return (int)i;
        const struct candidate *h = find(s, s->audio[i]);
        uint8_t l = h ? loudness_at(s, h, now) : 0;
        uint64_t lu = h ? h->loud_us : 0;
        if (best < 0 || l < best_loud || (l == best_loud && lu < best_loud_us)) {
            best = (int)i;
            best_loud = l;
            best_loud_us = lu;
        }
    }
    return best;
}

static int update_audio(struct speaker_select *s, struct candidate *c, uint64_t now)
{
    if (slot_of(s->audio, s->cfg.n_audio, c->id) >= 0) {
        c->is_audio_challenger = false;
        return 0;
    }
    int w = weakest_audio(s, now);
    if (!s->audio[w]) {
        if (!c->loudness)
            return 0;
        s->audio[w] = c->id;     /* an empty slot: no one to be fair to */
        return SPEAKER_SELECT_AUDIO_CHANGED;
    }
    const struct candidate *h = find(s, s->audio[w]);
    if (c->loudness <= (h ? loudness_at(s, h, now) : 0)) {
        c->is_audio_challenger = false;
        return 0;
    }
    if (!c->is_audio_challenger) {
        c->is_audio_challenger = true;
        c->audio_challenge_us = now;
    }
    if (now - c->audio_challenge_us < s->cfg.switch_us)
        return 0;
    s->audio[w] = c->id;
    c->is_audio_challenger = false;
    return SPEAKER_SELECT_AUDIO_CHANGED;
}

/* The new dominant speaker takes an empty video slot or the slot of the one
 * dominant the longest ago; already holding one, it stays where it is. */
static int make_dominant(struct speaker_select *s, struct candidate *c, uint64_t now)
{
    s->dominant = c->id;
    c->dominant_us = now;
    c->is_video_challenger = false;
    if (slot_of(s->video, s->cfg.n_video, c->id) >= 0)
        return 0;
    int oldest = -1;
    uint64_t oldest_us = 0;
    for (size_t i = 0; i < s->cfg.n_video; i++) {
        if (!s->video[i]) {
            oldest = (int)i;
            break;
        }
        const struct candidate *h = find(s, s->video[i]);
        uint64_t du = h ? h->dominant_us : 0;
        if (oldest < 0 || du < oldest_us) {
            oldest = (int)i;
            oldest_us = du;
        }
    }
    s->video[oldest] = c->id;
    return SPEAKER_SELECT_VIDEO_CHANGED;
}

static int update_video(struct speaker_select *s, struct candidate *c, uint64_t now)
{
    if (s->dominant == c->id)
        return 0;
    const struct candidate *d = s->dominant ? find(s, s->dominant) : NULL;
    if (c->loudness <= (d ? loudness_at(s, d, now) : 0)) {
        c->is_video_challenger = false;
        return 0;
    }
    if (!c->is_video_challenger) {
        c->is_video_challenger = true;
        c->video_challenge_us = now;
    }
    if (now - c->video_challenge_us < s->cfg.switch_us)
        return 0;
    return make_dominant(s, c, now);
}

int speaker_select_update(struct speaker_select *s, uint64_t now_us, uint32_t id,
                          uint8_t loudness)
{
    if (!id)
        return 0;
    struct candidate *c = find(s, id);
    if (!c) {
        if (!loudness)
            return 0;            /* silent and unknown: nothing to track */
        c = add(s, id);
        if (!c)
            return 0;
    }
    c->loudness = loudness;
    c->updated_us = now_us;
    if (loudness)
        c->loud_us = now_us;
    return update_audio(s, c, now_us) | update_video(s, c, now_us);
}

int speaker_select_remove(struct speaker_select *s, uint32_t id)
{
    int changed = 0, i;
    struct candidate *c = id ? find(s, id) : NULL;
    if (!c)
        return 0;
    if ((i = slot_of(s->audio, s->cfg.n_audio, id)) >= 0) {
        s->audio[i] = 0;
        changed |= SPEAKER_SELECT_AUDIO_CHANGED;
    }
    if ((i = slot_of(s->video, s->cfg.n_video, id)) >= 0) {
        s->video[i] = 0;
        changed |= SPEAKER_SELECT_VIDEO_CHANGED;
    }
    if (s->dominant == id)
        s->dominant = 0;
    *c = s->cands[--s->n_cands];
    return changed;
}

static size_t copy_slots(const uint32_t *slots, size_t have, uint32_t *out, size_t n)
{
    if (n > have)
        n = have;
    memcpy(out, slots, n * sizeof(*out));
    return n;
}

size_t speaker_select_top_audio(const struct speaker_select *s, uint32_t *out, size_t n)
{
    return copy_slots(s->audio, s->cfg.n_audio, out, n);
}

size_t speaker_select_recent_video(const struct speaker_select *s, uint32_t *out, size_t n)
{
    return copy_slots(s->video, s->cfg.n_video, out, n);
}

uint32_t speaker_select_dominant(const struct speaker_select *s) { return s->dominant; }
