/* The slot choice of a lesson: the glue between the members' producers, the
 * stage (stage.h), the media plane's speaking and level events, and the
 * sans-IO choice (slots.h). Changes only mark the lesson; the next
 * subscribe_lesson_flush ranks the candidates once, picks each member's
 * slots from the ranking and switches the consumers whose producer changed.
 * A flush costs one pass over the members' producers plus O(slots^2) per
 * member, a few hundred microseconds for 500 people, and happens only on
 * joins, leaves, publishes, pauses, stage and speaker changes. */
#include <stdlib.h>
#include <string.h>

#include "lesson.h"
#include "stage.h"
#include "subscribe.h"

struct lesson_slots {
    struct slots_state state;
    bool is_dirty;               /* choose again at the next flush */
};

static void on_stage(void *ctx, struct lesson *l, uint32_t producer_id)
{
    (void)ctx;
    (void)producer_id;
    subscribe_lesson_changed(l);
}

/* The lesson's state, made at first use; NULL when out of memory. */
static struct lesson_slots *slots_of(struct lesson *l)
{
    if (l->slots)
        return l->slots;
    l->slots = malloc(sizeof(*l->slots));
    if (!l->slots) {
        signaling_log(l->sig, "lesson %s: out of memory for the slot choice", l->id);
        return NULL;
    }
    slots_init(&l->slots->state, NULL);
    l->slots->is_dirty = true;
    if (stage_listen(l, on_stage, NULL) < 0)
        signaling_log(l->sig, "lesson %s: no room for the slots' stage listener", l->id);
    return l->slots;
}

void subscribe_lesson_free(struct lesson *l)
{
    if (!l->slots)
        return;
    stage_unlisten(l, on_stage, NULL);
    free(l->slots);
    l->slots = NULL;
}

void subscribe_lesson_changed(struct lesson *l)
{
    struct lesson_slots *ls = l ? slots_of(l) : NULL;
    if (ls)
        ls->is_dirty = true;
}

static size_t lesson_n_speakers(const struct lesson *l)
{
    return l->def.last_n < SLOTS_MAX_SPEAKERS ? l->def.last_n : SLOTS_MAX_SPEAKERS;
}

/* ---- choosing ------------------------------------------------------------ */

/* Live cameras and microphones of the members, in join order (malloc'd,
 * owners borrowed from the members). */
struct candidates {
    struct slots_source *cameras, *mics;
    size_t n_cameras, n_mics;
};

static int gather(struct lesson *l, struct candidates *c)
{
    size_t n = 0;
    for (struct participant *m = l->members; m; m = m->next_in_lesson)
        n += m->pub.n_producers;
    memset(c, 0, sizeof(*c));
    c->cameras = calloc(n ? n : 1, sizeof(*c->cameras));
    c->mics = calloc(n ? n : 1, sizeof(*c->mics));
    if (!c->cameras || !c->mics) {
        free(c->cameras);
        free(c->mics);
        return -1;
    }
    for (struct participant *m = l->members; m; m = m->next_in_lesson) {
        for (size_t i = 0; i < m->pub.n_producers; i++) {
            const struct producer_ref *r = &m->pub.producers[i];
            if (r->paused)
                continue;        /* muted, or no right to send: nothing to show */
            struct slots_source src = {r->id, m->id};
            if (r->source == TRACK_SOURCE_MIC)
                c->mics[c->n_mics++] = src;
            else if (r->source == TRACK_SOURCE_CAMERA)
                c->cameras[c->n_cameras++] = src;
            /* Screens are seen on the stage only (the newest share is it). */
        }
    }
    return 0;
}

/* The view m has now, for slots_pick to keep places. */
static void current_view(const struct participant *m, struct slots_view *v)
{
    memset(v, 0, sizeof(*v));
    for (size_t i = 0; i < m->sub.n_used && i < m->sub.n_slots; i++) {
        uint32_t id = m->sub.slots[i].producer_id;
        if (i < SLOTS_AUDIO)
            v->audio[i] = id;
        else if (i == SUB_STAGE_SLOT)
            v->stage = id;
        else
            v->speaker[i - SUB_FIRST_SPEAKER] = id;
    }
}

static const char *owner_in(const struct slots_source *list, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].producer_id == id)
            return list[i].owner;
    return NULL;
}

static void assign(struct participant *m, const struct slots_ranking *r,
                   const struct slots_view *v, enum track_source stage_source)
{
    bool no_video = m->sub.receive_mode == RECEIVE_AUDIO_ONLY;
    for (size_t i = 0; i < m->sub.n_used && i < m->sub.n_slots; i++) {
        uint32_t id;
        const char *owner;
        enum track_source source;
        if (i < SLOTS_AUDIO) {
            id = v->audio[i];
            owner = owner_in(r->audio, r->n_audio, id);
            source = TRACK_SOURCE_MIC;
        } else if (i == SUB_STAGE_SLOT) {
            id = no_video ? 0 : v->stage;
            owner = r->stage_owner;
            source = stage_source;
        } else {
            id = no_video ? 0 : v->speaker[i - SUB_FIRST_SPEAKER];
            owner = owner_in(r->video, r->n_video, id);
            source = TRACK_SOURCE_CAMERA;
        }
        subscribe_slot_set(m, i, owner ? id : 0, owner, source);
    }
}

static void choose(struct lesson *l, struct lesson_slots *ls)
{
    struct candidates c;
    if (gather(l, &c) < 0) {
        signaling_log(l->sig, "lesson %s: out of memory choosing slots", l->id);
        ls->is_dirty = true;
        return;
    }
    uint32_t stage = stage_producer(l);
    struct slots_view_in in = {
        .stage = stage,
        .stage_owner = stage ? l->stage.participant : NULL,
        .stage_is_screen = stage && l->stage.source == TRACK_SOURCE_SCREEN,
        .n_speakers = lesson_n_speakers(l),
        .cameras = c.cameras,
        .n_cameras = c.n_cameras,
        .mics = c.mics,
        .n_mics = c.n_mics,
    };
    struct slots_ranking r;
    slots_rank(&ls->state, &in, &r);
    for (struct participant *m = l->members; m; m = m->next_in_lesson) {
        if (m->state != PARTICIPANT_JOINED || !m->sub.n_used)
            continue;
        struct slots_view prev, v;
        current_view(m, &prev);
        slots_pick(&r, m->id, &prev, &v);
        assign(m, &r, &v, (enum track_source)l->stage.source);
    }
    free(c.cameras);
    free(c.mics);
}

void subscribe_lesson_flush(struct lesson *l)
{
    if (!l)
        return;
    if (l->slots && l->slots->is_dirty) {
        l->slots->is_dirty = false;
        choose(l, l->slots);
    }
    for (struct participant *m = l->members; m; m = m->next_in_lesson)
        subscribe_flush(m);
}

/* ---- what changes the choice ------------------------------------------- */

void subscribe_on_join(struct participant *p)
{
    struct lesson *l = p->lesson;
    if (!l)
        return;
    subscribe_set_used(p, lesson_n_speakers(l));
    subscribe_lesson_changed(l);
    subscribe_lesson_flush(l);
}

void subscribe_producer_closing(struct lesson *l, uint32_t producer_id)
{
    if (!l || !producer_id)
        return;
    for (struct participant *m = l->members; m; m = m->next_in_lesson)
        for (size_t i = 0; i < m->sub.n_slots; i++)
            if (m->sub.slots[i].producer_id == producer_id)
                subscribe_slot_set(m, i, 0, NULL, TRACK_SOURCE_MIC);
    struct lesson_slots *ls = slots_of(l);
    if (ls) {
        slots_forget_mic(&ls->state, producer_id);
        ls->is_dirty = true;
    }
}

void subscribe_member_left(struct lesson *l, const struct participant *p)
{
    struct lesson_slots *ls = l ? slots_of(l) : NULL;
    if (!ls)
        return;
    slots_forget_owner(&ls->state, p->id);
    ls->is_dirty = true;
}

void subscribe_set_last_n(struct lesson *l, size_t n)
{
    if (n > SLOTS_MAX_SPEAKERS)
        n = SLOTS_MAX_SPEAKERS;
    l->def.last_n = (uint8_t)n;
    for (struct participant *m = l->members; m; m = m->next_in_lesson)
        if (m->state == PARTICIPANT_JOINED && m->sub.n_used)
            subscribe_set_used(m, n);
    subscribe_lesson_changed(l);
    subscribe_lesson_flush(l);
}

/* The member publishing audio producer `id`, or NULL. */
static struct participant *mic_owner(struct signaling *s, uint32_t id)
{
    for (struct participant *p = s->participants; p; p = p->next)
        for (size_t i = 0; i < p->pub.n_producers; i++)
            if (p->pub.producers[i].id == id)
                return p->state == PARTICIPANT_JOINED && p->lesson &&
                               p->pub.producers[i].source == TRACK_SOURCE_MIC
                           ? p
                           : NULL;
    return NULL;
}

void subscribe_speaking(struct signaling *s, uint32_t producer_id, bool is_speaking)
{
    struct participant *p = mic_owner(s, producer_id);
    struct lesson_slots *ls = p ? slots_of(p->lesson) : NULL;
    if (!ls)
        return;
    if (slots_speaking(&ls->state, p->id, producer_id, is_speaking, s->now_ms * 1000u)) {
        ls->is_dirty = true;
        subscribe_lesson_flush(p->lesson);
    }
}

void subscribe_audio_level(struct signaling *s, uint32_t producer_id, uint8_t loudness)
{
    struct participant *p = mic_owner(s, producer_id);
    struct lesson_slots *ls = p ? slots_of(p->lesson) : NULL;
    if (!ls)
        return;
    if (slots_level(&ls->state, producer_id, loudness, s->now_ms * 1000u)) {
        ls->is_dirty = true;
        subscribe_lesson_flush(p->lesson);
    }
}
