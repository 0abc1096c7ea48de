/* A lesson: the people in one room, found by id, made (from its stored
 * definition) at the first join and freed when nobody is left: no member, no
 * one in the lobby, no one away. Handles join, leave, a dropped socket (the
 * person is kept "away" for LESSON_AWAY_MS, then leaves) and the lobby. */
#ifndef SIGNALING_LESSON_H
#define SIGNALING_LESSON_H

#include <jansson.h>
#include <stddef.h>

#include "lesson_store.h"
#include "participant.h"
#include "stage.h"

struct lesson {
    char id[65];
    struct signaling *sig;         /* borrowed */
    struct participant *members;   /* borrowed (owned by signaling), via next_in_lesson */
    size_t n_members;
    struct lesson_def def;         /* the stored definition (lesson_store.h); zero in old tests */
    bool locked;                   /* lesson_lock: nobody new gets in */
    struct participant *lobby;     /* borrowed: PARTICIPANT_WAITING, via next_in_lesson */
    size_t n_lobby;
    struct participant *away;      /* owned: PARTICIPANT_AWAY (no socket) for 60 s, via
                                    * next_in_lesson */
    size_t n_away;
    struct removed_link *removed;  /* owned list (control.c) */
    struct chat_state *chat;       /* owned, chat.c (NULL until first used) */
    struct poll_state *polls;      /* owned, poll.c (NULL until first used) */
    struct attendance_state *attendance; /* owned, attendance.c (NULL until first used) */
    struct stage_state stage;      /* stage.c */
    struct lesson *next;           /* in sig->lessons */
};

#define LESSON_AWAY_MS 60000     /* a dropped participant keeps identity, hand and floor */

/* Sends msg (borrowed) to every member but `except`. */
void lesson_broadcast(struct lesson *l, const struct participant *except, json_t *msg);
/* Sends msg (borrowed) to the teacher(s) and assistants present. */
void lesson_send_staff(struct lesson *l, json_t *msg);

/* The `join` message. With a store: {token, name?, resume?, lesson?} (join.c);
 * without one (unit tests of the media side): {lesson, name, role?}. */
void lesson_handle_join(struct participant *p, json_t *msg, json_t *req);

/* The lesson with this id in memory, or NULL. */
struct lesson *lesson_find(struct signaling *s, const char *id);
/* The lesson of d in memory, made from d when not there yet; NULL when out of memory. */
struct lesson *lesson_open(struct signaling *s, const struct lesson_def *d);
/* Frees l if nobody is in it, away or waiting. */
void lesson_maybe_free(struct lesson *l);
/* Members and people away: the seats counted against max_participants. */
size_t lesson_seats_taken(const struct lesson *l);
/* {id, title, language, start_ms, duration_min, max_participants, lobby,
 *  students_publish, students_video, locked} */
json_t *lesson_info(const struct lesson *l);

/* p (CONNECTED or WAITING, p->lesson set, identity filled) becomes a member:
 * `joined` (with req; resumed says it came back within LESSON_AWAY_MS), the
 * others' participant_joined, the subscribe offer and the classroom state. */
void lesson_admit(struct participant *p, json_t *req, bool resumed);
/* p (CONNECTED, p->lesson set, identity filled) waits in the lobby. */
void lesson_enter_lobby(struct participant *p, json_t *req);

/* `leave`: closes p's media, tells the others (participant_left), frees the
 * lesson when empty. Works in the lobby too. p ends in PARTICIPANT_LEFT. */
void lesson_leave(struct participant *p);
/* The socket closed without `leave`: a member of a stored lesson is kept
 * away (identity, hand, floor) for LESSON_AWAY_MS, the others get
 * participant_away; anyone else leaves. p ends in PARTICIPANT_LEFT either way
 * (the away copy is another struct, owned by the lesson). */
void lesson_drop(struct participant *p);
/* Detaches p from its lesson without a word to anyone about it leaving
 * (replaced, removed, lesson ended): media closed, PARTICIPANT_LEFT. Tell
 * the others, then lesson_flush() so participant_left comes before the
 * subscribe_offer that ends p's tracks. */
void lesson_detach(struct participant *p);
/* Sends every member's pending subscribe_offer. */
void lesson_flush(struct lesson *l);
/* Takes the identity (id, name, role, link, resume, hand, floor, mutes) of
 * `from` into p. */
void lesson_take_identity(struct participant *p, const struct participant *from);
/* Frees an away participant (its lesson's list) without telling anyone. */
void lesson_free_away(struct lesson *l, struct participant *ghost);

/* Ends the stay of people away longer than LESSON_AWAY_MS (participant_left,
 * attendance) at s->now_ms. Called every second (signaling_tick). */
void lesson_expire_away(struct signaling *s);
/* Frees every lesson (signaling_free, after every socket is gone). */
void lesson_free_all(struct signaling *s);

#endif
