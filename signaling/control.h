/* The teacher's and assistants' control of a lesson (docs/protocol.md,
 * "Lesson control"): the lobby (lobby_admit, lobby_admit_all), lesson_lock,
 * participant_remove and participant_readmit, lesson_end. */
#ifndef SIGNALING_CONTROL_H
#define SIGNALING_CONTROL_H

#include <jansson.h>
#include <stdbool.h>

struct lesson;
struct participant;
struct signaling;

/* Someone removed and not re-admitted. A personal link's removal is also in
 * the store (access.h); a shared link's holder is known by `resume` only. */
struct removed_link {
    struct removed_link *next;     /* owned */
    char participant[16];
    char name[257];
    char link[40];
    char resume[25];
};

void control_handle_lobby_admit(struct participant *p, json_t *msg, json_t *req);
void control_handle_lobby_admit_all(struct participant *p, json_t *msg, json_t *req);
void control_handle_lock(struct participant *p, json_t *msg, json_t *req);
void control_handle_remove(struct participant *p, json_t *msg, json_t *req);
void control_handle_readmit(struct participant *p, json_t *msg, json_t *req);
void control_handle_end(struct participant *p, json_t *msg, json_t *req);

/* `lobby` {queue:[{participant, name, since}], removed:[{participant, name}]}
 * to `to`, or to every staff member present when to is NULL. */
void control_send_lobby(struct lesson *l, struct participant *to);
/* Whether the holder of this resume secret was removed from l. */
bool control_is_removed(const struct lesson *l, const char *resume);
/* {"type":"ok","ref":ref} (+ req): a control message was carried out. */
void control_send_ok(struct participant *p, const char *ref, json_t *req);
/* A personal link was revoked (HTTP API): its holder, if in the lesson, gets
 * `revoked` and is put out (participant_left, reason "revoked"). */
void control_evict_link(struct signaling *s, const char *lesson_id, const char *link);
/* Frees l->removed. */
void control_lesson_free(struct lesson *l);

#endif
