/* Who may do what in a lesson (the rights table of docs/protocol.md,
 * "Rights"), enforced by the server: the page only hides buttons. Every
 * handler asks rights_allow() and answers a refusal with rights_refuse(), so
 * a forbidden action always gets the same `forbidden` error naming the right. */
#ifndef SIGNALING_RIGHTS_H
#define SIGNALING_RIGHTS_H

#include <jansson.h>
#include <stdbool.h>

struct participant;

enum right {
    RIGHT_PUBLISH,        /* mic, camera, screen */
    RIGHT_MUTE_OTHERS,    /* mute one / mute all / stop someone's video */
    RIGHT_ADMIT,          /* lobby admit, re-admit a removed person */
    RIGHT_REMOVE,
    RIGHT_LOCK,
    RIGHT_END_LESSON,
    RIGHT_RAISE_HAND,     /* own hand */
    RIGHT_GIVE_FLOOR,     /* give and take */
    RIGHT_MANAGE_POLLS,   /* create/close/publish polls, see live tallies */
    RIGHT_CHAT,           /* public, and private to staff */
    RIGHT_MODERATE_CHAT,  /* delete a message, disable chat */
    RIGHT_RECORD,         /* start and stop the lesson's recording */
    RIGHT_COUNT
};

/* Whether p (joined, with a role) has r now: by role, and for students by
 * the lesson's state (the floor, "students may publish", chat enabled). */
bool rights_allow(const struct participant *p, enum right r);

/* "publish", "mute_others", ..., "moderate_chat": the `right` of the error. */
const char *right_name(enum right r);

/* Sends {"type":"error","code":"forbidden","right":<name>,"message":...,
 * "ref":ref,"req":req} to p and counts it. ref and req may be NULL. */
void rights_refuse(struct participant *p, enum right r, const char *ref, json_t *req);

/* The names of the rights p has now, as a JSON array (for `joined` and
 * `rights`). */
json_t *rights_list(const struct participant *p);

/* True for "teacher" and "assistant". */
bool rights_is_staff(const struct participant *p);

#endif
