/* Last-N speaker videos and loudest-speaker audio with hysteresis (see
 * slots.h). Everything is fixed-size arrays scanned linearly: the tables
 * hold tens of entries, and a lesson changes speakers a few times a second
 * at most. */
#include "slots.h"

#include <stdio.h>
#include <string.h>

#define SET_HELD 0
#define SET_RESERVE 1

void slots_init(struct slots_state *s, const struct slots_config *cfg)
{
    memset(s, 0, sizeof(*s));
    if (cfg)
        s->cfg = *cfg;
    if (!s->cfg.audio_switch_us)
        s->cfg.audio_switch_us = SLOTS_DEFAULT_AUDIO_SWITCH_US;
    if (!s->cfg.stale_us)
        s->cfg.stale_us = SLOTS_DEFAULT_STALE_US;
}

/* ---- the speaker order (video) ------------------------------------------ */

static int recent_index(const struct slots_state *s, const char *owner)
{
    for (size_t i = 0; i < s->n_recent; i++)
        if (strcmp(s->recent[i].owner, owner) == 0)
            return (int)i;
    return -1;
}

/* Moves (or adds) owner to the front; the oldest falls off a full list. */
static int recent_to_front(struct slots_state *s, const char *owner, uint64_t now_us)
{
    int i = recent_index(s, owner);
    if (i == 0) {
        s->recent[0].since_us = now_us;
        return 0;
    }
    size_t from = i > 0 ? (size_t)i : s->n_recent < SLOTS_RECENT_MAX ? s->n_recent++
                                                                       : SLOTS_RECENT_MAX - 1;
    memmove(&s->recent[1], &s->recent[0], from * sizeof(s->recent[0]));
    snprintf(s->recent[0].owner, sizeof(s->recent[0].owner), "%s", owner);
    s->recent[0].since_us = now_us;
    return SLOTS_VIDEO_CHANGED;
}

int slots_forget_owner(struct slots_state *s, const char *owner)
{
    int i = recent_index(s, owner);
    if (i < 0)
        return 0;
    memmove(&s->recent[i], &s->recent[i + 1], (s->n_recent - (size_t)i - 1) * sizeof(s->recent[0]));
    s->n_recent--;
    return SLOTS_VIDEO_CHANGED;
}

/* ---- the loudest (audio) ------------------------------------------------ */

static struct slots_candidate *find(struct slots_state *s, uint32_t mic)
{
    for (size_t i = 0; i < s->n_cands; i++)
        if (s->cands[i].mic == mic)
            return &s->cands[i];
    return NULL;
}

static bool is_held(const struct slots_state *s, uint32_t mic)
{
    for (size_t i = 0; i < SLOTS_AUDIO; i++)
        if (s->held[i] == mic)
            return true;
    return false;
}

/* A table entry for a new microphone: a free one, else the one heard the
 * longest ago that holds no place. NULL when every entry holds one. */
static struct slots_candidate *add(struct slots_state *s, uint32_t mic)
{
    struct slots_candidate *c = NULL;
    if (s->n_cands < SLOTS_MAX_CANDIDATES) {
        c = &s->cands[s->n_cands++];
    } else {
        for (size_t i = 0; i < s->n_cands; i++) {
            struct slots_candidate *o = &s->cands[i];
            if (!is_held(s, o->mic) && o->mic != s->reserve && (!c || o->loud_us < c->loud_us))
                c = o;
        }
        if (!c)
            return NULL;
    }
    memset(c, 0, sizeof(*c));
    c->mic = mic;
    return c;
}

static uint8_t loudness_at(const struct slots_state *s, const struct slots_candidate *c,
                           uint64_t now_us)
{
    if (!c || now_us - c->updated_us > s->cfg.stale_us)
        return 0;
    return c->loudness;
}

/* The place to give up first: a free one, else the quietest holder (a silent
 * one is quietest), on a tie the one heard the longest ago. */
static size_t weakest(struct slots_state *s, const uint32_t *places, size_t n, uint64_t now_us)
{
    size_t best = 0;
    uint8_t best_loud = 0;
    uint64_t best_loud_us = 0;
    for (size_t i = 0; i < n; i++) {
        if (!places[i])
            return i;
        const struct slots_candidate *h = find(s, places[i]);
        uint8_t l = loudness_at(s, h, now_us);
        uint64_t lu = h ? h->loud_us : 0;
        if (i == 0 || l < best_loud || (l == best_loud && lu < best_loud_us)) {
            best = i;
            best_loud = l;
            best_loud_us = lu;
        }
    }
    return best;
}

/* One set of places (the holders, or the reserve) after c's update. */
static int contest(struct slots_state *s, int set, struct slots_candidate *c, uint64_t now_us)
{
    uint32_t *places = set == SET_HELD ? s->held : &s->reserve;
    size_t n = set == SET_HELD ? SLOTS_AUDIO : 1;
    for (size_t i = 0; i < n; i++)
        if (places[i] == c->mic) {
            c->is_challenger[set] = false;
            return 0;
        }
    uint8_t loud = loudness_at(s, c, now_us);
    if (!loud) {
        c->is_challenger[set] = false;
        return 0;
    }
    size_t w = weakest(s, places, n, now_us);
    uint8_t holder_loud = places[w] ? loudness_at(s, find(s, places[w]), now_us) : 0;
    if (holder_loud) {           /* someone still speaking: hysteresis */
        if (loud <= holder_loud) {
            c->is_challenger[set] = false;
            return 0;
        }
        if (!c->is_challenger[set]) {
            c->is_challenger[set] = true;
            c->challenge_us[set] = now_us;
        }
        if (now_us - c->challenge_us[set] < s->cfg.audio_switch_us)
            return 0;
    }
    places[w] = c->mic;
    c->is_challenger[set] = false;
    return SLOTS_AUDIO_CHANGED;
}

static int update_audio(struct slots_state *s, struct slots_candidate *c, uint64_t now_us)
{
    int changed = contest(s, SET_HELD, c, now_us);
    if (is_held(s, c->mic)) {
        if (s->reserve == c->mic) {
            s->reserve = 0;      /* refilled by the next one who speaks */
            changed |= SLOTS_AUDIO_CHANGED;
        }
        return changed;
    }
    return changed | contest(s, SET_RESERVE, c, now_us);
}

static int set_level(struct slots_state *s, uint32_t mic, uint8_t loudness, uint64_t now_us)
{
    if (!mic)
        return 0;
    struct slots_candidate *c = find(s, mic);
    if (!c) {
        if (!loudness)
            return 0;            /* silent and unknown: nothing to track */
        if (!(c = add(s, mic)))
            return 0;
    }
    c->loudness = loudness;
    c->updated_us = now_us;
    if (loudness)
        c->loud_us = now_us;
    return update_audio(s, c, now_us);
}

int slots_level(struct slots_state *s, uint32_t mic, uint8_t loudness, uint64_t now_us)
{
    return set_level(s, mic, loudness, now_us);
}

int slots_speaking(struct slots_state *s, const char *owner, uint32_t mic, bool is_speaking,
                   uint64_t now_us)
{
    int changed = 0;
    if (is_speaking && owner && owner[0])
        changed |= recent_to_front(s, owner, now_us);
    /* A start counts as the faintest speech until its first level arrives,
     * so a free or silent place is taken at once; a stop is silence. */
    const struct slots_candidate *c = find(s, mic);
    uint8_t loud = is_speaking ? (c && loudness_at(s, c, now_us) ? c->loudness : 1) : 0;
    return changed | set_level(s, mic, loud, now_us);
}

int slots_forget_mic(struct slots_state *s, uint32_t mic)
{
    int changed = 0;
    for (size_t i = 0; i < SLOTS_AUDIO; i++)
        if (mic && s->held[i] == mic) {
            s->held[i] = 0;
            changed = SLOTS_AUDIO_CHANGED;
        }
    if (mic && s->reserve == mic) {
        s->reserve = 0;
        changed = SLOTS_AUDIO_CHANGED;
    }
    struct slots_candidate *c = mic ? find(s, mic) : NULL;
    if (c)
        *c = s->cands[--s->n_cands];
    return changed;
}

/* ---- one subscriber's view ---------------------------------------------- */

static const struct slots_source *camera_of(const struct slots_view_in *in, const char *owner)
{
    for (size_t i = 0; i < in->n_cameras; i++)
        if (strcmp(in->cameras[i].owner, owner) == 0)
            return &in->cameras[i];
    return NULL;
}

static const struct slots_source *mic_by_id(const struct slots_view_in *in, uint32_t id)
{
    for (size_t i = 0; id && i < in->n_mics; i++)
        if (in->mics[i].producer_id == id)
            return &in->mics[i];
    return NULL;
}

/* Appends src unless full, excluded or there already. */
static void rank_add(struct slots_source *list, size_t *n, size_t cap,
                     const struct slots_source *src, uint32_t excluded)
{
    if (!src || *n >= cap || src->producer_id == excluded)
        return;
    for (size_t i = 0; i < *n; i++)
        if (list[i].producer_id == src->producer_id)
            return;
    list[(*n)++] = *src;
}

void slots_rank(const struct slots_state *s, const struct slots_view_in *in,
                struct slots_ranking *out)
{
    memset(out, 0, sizeof(*out));
    out->stage = in->stage;
    out->stage_owner = in->stage ? in->stage_owner : NULL;
    out->n_speakers = in->n_speakers < SLOTS_MAX_SPEAKERS ? in->n_speakers : SLOTS_MAX_SPEAKERS;
    size_t cap = out->n_speakers ? out->n_speakers + 2 : 0;
    for (size_t i = 0; i < s->n_recent && out->n_video < cap; i++)
        rank_add(out->video, &out->n_video, cap, camera_of(in, s->recent[i].owner), in->stage);
    /* A screen on the stage: its presenter's face comes first among the rest. */
    if (in->stage && in->stage_is_screen && in->stage_owner)
        rank_add(out->video, &out->n_video, cap, camera_of(in, in->stage_owner), in->stage);
    for (size_t i = 0; i < in->n_cameras && out->n_video < cap; i++)
        rank_add(out->video, &out->n_video, cap, &in->cameras[i], in->stage);
    /* Audio: the holders, the reserve (heard by a holder instead of itself,
     * and by everyone in a place a holder left), then other microphones. */
    const size_t acap = SLOTS_AUDIO + 3;
    for (size_t i = 0; i < SLOTS_AUDIO; i++)
        rank_add(out->audio, &out->n_audio, acap, mic_by_id(in, s->held[i]), 0);
    rank_add(out->audio, &out->n_audio, acap, mic_by_id(in, s->reserve), 0);
    for (size_t i = 0; i < in->n_mics && out->n_audio < acap; i++)
        rank_add(out->audio, &out->n_audio, acap, &in->mics[i], 0);
}

struct wanted {
    uint32_t ids[SLOTS_MAX_SPEAKERS];
    size_t n;
};

/* The first `cap` of the list that are not self's. */
static void take(struct wanted *w, const struct slots_source *list, size_t n, size_t cap,
                 const char *self)
{
    w->n = 0;
    for (size_t i = 0; i < n && w->n < cap; i++)
        if (!self || strcmp(list[i].owner, self) != 0)
            w->ids[w->n++] = list[i].producer_id;
}

/* Puts the wanted ids into n places: whoever held a place in prev keeps it,
 * newcomers take the free places in order. */
static void place(const uint32_t *prev, const struct wanted *w, uint32_t *out, size_t n)
{
    bool placed[SLOTS_MAX_SPEAKERS] = {false};
    memset(out, 0, n * sizeof(*out));
    for (size_t i = 0; prev && i < n; i++)
        for (size_t j = 0; j < w->n; j++)
            if (prev[i] && prev[i] == w->ids[j] && !placed[j]) {
                out[i] = prev[i];
                placed[j] = true;
            }
    size_t next = 0;
    for (size_t j = 0; j < w->n; j++) {
        if (placed[j])
            continue;
        while (next < n && out[next])
            next++;
        if (next == n)
            return;
        out[next] = w->ids[j];
    }
}

void slots_pick(const struct slots_ranking *r, const char *self, const struct slots_view *prev,
                struct slots_view *out)
{
    memset(out, 0, sizeof(*out));
    bool is_own_stage = r->stage_owner && self && strcmp(r->stage_owner, self) == 0;
    out->stage = is_own_stage ? 0 : r->stage;
    struct wanted w;
    take(&w, r->video, r->n_video, r->n_speakers, self);
    place(prev ? prev->speaker : NULL, &w, out->speaker, r->n_speakers);
    take(&w, r->audio, r->n_audio, SLOTS_AUDIO, self);
    place(prev ? prev->audio : NULL, &w, out->audio, SLOTS_AUDIO);
}

void slots_view(const struct slots_state *s, const struct slots_view_in *in,
                const struct slots_view *prev, struct slots_view *out)
{
    struct slots_ranking r;
    slots_rank(s, in, &r);
    slots_pick(&r, in->self, prev, out);
}
