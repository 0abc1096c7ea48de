/* The stage of a lesson: the one video everybody watches large, recorded
 * and shown to WHEP viewers. It is the newest screen share of someone allowed
 * to send it (staff, or a student whose video is not paused), else the
 * teacher's camera, else an assistant's camera, else nothing. The choice is
 * made again whenever a track opens, closes, pauses or resumes (stage_update),
 * announced to the lesson as a `stage` message and passed to the listeners. */
#ifndef SIGNALING_STAGE_H
#define SIGNALING_STAGE_H

#include <jansson.h>
#include <stdint.h>

struct lesson;
struct participant;
struct producer_ref;

#define STAGE_MAX_LISTENERS 8

/* Called after the stage changed; producer_id 0 = no stage. */
typedef void (*stage_listener_fn)(void *ctx, struct lesson *l, uint32_t producer_id);

struct stage_listener {
    stage_listener_fn fn;
    void *ctx;
};

/* Part of struct lesson (zeroed with it). */
struct stage_state {
    uint32_t producer_id;        /* 0: none */
    char participant[16];
    char mid[33];
    int source;                  /* enum track_source: a camera sender may become a screen */
    struct stage_listener listeners[STAGE_MAX_LISTENERS];
    size_t n_listeners;
};

/* What the stage should be now (producer 0 when none); *who and *ref are set
 * when one is found (either may be NULL). Pure: no message, no call. */
uint32_t stage_choose(const struct lesson *l, const struct participant **who,
                      const struct producer_ref **ref);

/* Chooses again; on a change broadcasts `stage` and calls the listeners. */
void stage_update(struct lesson *l);

/* The current stage's producer (0 = none). */
uint32_t stage_producer(const struct lesson *l);

/* {participant, mid, source} of the current stage, nulls when none: the
 * `stage` message's fields, also sent in `joined`. */
json_t *stage_describe(const struct lesson *l);

/* Registers fn(ctx) for l's stage changes (once per fn+ctx): 0, or -1 when
 * STAGE_MAX_LISTENERS are taken. stage_unlisten removes it. */
int stage_listen(struct lesson *l, stage_listener_fn fn, void *ctx);
void stage_unlisten(struct lesson *l, stage_listener_fn fn, void *ctx);

#endif
