/* A lesson: the people in one room, found by id, made at the first join and
 * freed when the last person leaves. Handles join and leave. */
#ifndef SIGNALING_LESSON_H
#define SIGNALING_LESSON_H

#include <jansson.h>
#include <stddef.h>

#include "participant.h"

struct lesson {
    char id[65];
    struct participant *members;   /* borrowed (owned by signaling), via next_in_lesson */
    size_t n_members;
    struct lesson *next;           /* in sig->lessons */
};

/* Sends msg (borrowed) to every member but `except`. */
void lesson_broadcast(struct lesson *l, const struct participant *except, json_t *msg);

/* The `join` message: validates it, joins (making the lesson if needed),
 * replies `joined`, tells the others, and offers the lesson's tracks. */
void lesson_handle_join(struct participant *p, json_t *msg, json_t *req);

/* `leave` or a closed socket: closes p's media, tells the others, renegotiates
 * them, frees the lesson when empty. p ends in PARTICIPANT_LEFT. */
void lesson_leave(struct participant *p);

#endif
