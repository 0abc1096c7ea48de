/* The lesson's stage (see stage.h). */
#include "stage.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lesson.h"
#include "message.h"
#include "participant.h"

/* Producer ids grow with time, so the larger id is the newer share. */
static void consider(const struct participant *p, const struct producer_ref *r,
                     const struct participant **best_who, const struct producer_ref **best)
{
    if (!*best || r->id > (*best)->id) {
        *best = r;
        *best_who = p;
    }
}

static const struct producer_ref *camera_of(const struct participant *p)
{
    for (size_t i = 0; i < p->pub.n_producers; i++) {
        const struct producer_ref *r = &p->pub.producers[i];
        if (r->source == TRACK_SOURCE_CAMERA && !r->paused)
            return r;
    }
    return NULL;
}

uint32_t stage_choose(const struct lesson *l, const struct participant **who,
                      const struct producer_ref **ref)
{
    const struct participant *best_who = NULL;
    const struct producer_ref *best = NULL;
    /* A paused producer is one its owner may not send now (floor.c) or
     * that staff muted: never the stage. */
    for (const struct participant *p = l->members; p; p = p->next_in_lesson)
        for (size_t i = 0; i < p->pub.n_producers; i++) {
            const struct producer_ref *r = &p->pub.producers[i];
            if (r->source == TRACK_SOURCE_SCREEN && !r->paused)
                consider(p, r, &best_who, &best);
        }
    static const char *const roles[] = {"teacher", "assistant"};
    for (size_t k = 0; k < 2 && !best; k++)
        for (const struct participant *p = l->members; p && !best; p = p->next_in_lesson)
            if (strcmp(p->role, roles[k]) == 0 && (best = camera_of(p)))
                best_who = p;
    if (who)
        *who = best_who;
    if (ref)
        *ref = best;
    return best ? best->id : 0;
}

uint32_t stage_producer(const struct lesson *l)
{
    return l->stage.producer_id;
}

static const struct producer_ref *find_ref(const struct lesson *l, uint32_t id)
{
    for (const struct participant *p = l->members; p; p = p->next_in_lesson)
        for (size_t i = 0; i < p->pub.n_producers; i++)
            if (p->pub.producers[i].id == id)
                return &p->pub.producers[i];
    return NULL;
}

json_t *stage_describe(const struct lesson *l)
{
    json_t *o = json_object();
    const struct producer_ref *r = l->stage.producer_id ? find_ref(l, l->stage.producer_id) : NULL;
    json_object_set_new(o, "participant", r ? json_string(l->stage.participant) : json_null());
    json_object_set_new(o, "mid", r ? json_string(l->stage.mid) : json_null());
    json_object_set_new(o, "source", r ? json_string(track_source_name(r->source)) : json_null());
    return o;
}

void stage_update(struct lesson *l)
{
    if (!l)
        return;
    const struct participant *who;
    const struct producer_ref *r;
    uint32_t id = stage_choose(l, &who, &r);
    int source = id ? (int)r->source : 0;
    if (id == l->stage.producer_id && source == l->stage.source)
        return;
    bool same_producer = id == l->stage.producer_id;
    l->stage.producer_id = id;
    l->stage.source = source;
    snprintf(l->stage.participant, sizeof(l->stage.participant), "%s", id ? who->id : "");
    snprintf(l->stage.mid, sizeof(l->stage.mid), "%s", id ? r->track.mid : "");
    if (id)
        signaling_log(l->sig, "lesson %s: the stage is %s's %s (mid %s)", l->id, who->id,
                      track_source_name(r->source), r->track.mid);
    else
        signaling_log(l->sig, "lesson %s: the stage is empty", l->id);
    json_t *m = message_new("stage", NULL);
    json_t *d = stage_describe(l);
    json_object_update(m, d);
    json_decref(d);
    lesson_broadcast(l, NULL, m);
    json_decref(m);
    if (same_producer)
        return;   /* listeners follow producers, not labels */
    /* A listener may unlisten while called: walk a copy. */
    struct stage_listener copy[STAGE_MAX_LISTENERS];
    size_t n = l->stage.n_listeners;
    memcpy(copy, l->stage.listeners, n * sizeof(copy[0]));
    for (size_t i = 0; i < n; i++)
        copy[i].fn(copy[i].ctx, l, id);
}

int stage_listen(struct lesson *l, stage_listener_fn fn, void *ctx)
{
    struct stage_state *s = &l->stage;
    for (size_t i = 0; i < s->n_listeners; i++)
        if (s->listeners[i].fn == fn && s->listeners[i].ctx == ctx)
            return 0;
    if (s->n_listeners == STAGE_MAX_LISTENERS)
        return -1;
    s->listeners[s->n_listeners++] = (struct stage_listener){fn, ctx};
    return 0;
}

void stage_unlisten(struct lesson *l, stage_listener_fn fn, void *ctx)
{
    struct stage_state *s = &l->stage;
    for (size_t i = 0; i < s->n_listeners; i++)
        if (s->listeners[i].fn == fn && s->listeners[i].ctx == ctx) {
            s->listeners[i] = s->listeners[--s->n_listeners];
            return;
        }
}
