/* `join` with a token (docs/protocol.md, "Lessons and access"): the token
 * names the lesson, the role and maybe the person (roster entry, single-use
 * link); join.c checks it against the store, finds the person again when they
 * come back (same personal link, or the `resume` secret of `joined`) and
 * applies the lesson's rules: removed, single-use, lock, capacity, lobby. */
#ifndef SIGNALING_JOIN_H
#define SIGNALING_JOIN_H

#include <jansson.h>

#include "auth.h"
#include "message.h"

struct participant;

void join_handle(struct participant *p, json_t *msg, json_t *req);

/* The `error` code for a refused token. */
enum message_error join_error_of(enum auth_result r);

#endif
