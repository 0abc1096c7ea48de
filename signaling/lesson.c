/* Lessons in memory (lesson.h): membership, admission, leaving, dropped
 * sockets kept "away" for 60 s, and the lesson's life (made from the stored
 * definition at the first join, freed when nobody is left). The token checks
 * of `join` are in join.c; lobby, lock, remove and end in control.c; hands,
 * floor and mutes in floor.c. */
#include "lesson.h"

#include <stdlib.h>
#include <string.h>

#include "attendance.h"
#include "chat.h"
#include "control.h"
#include "floor.h"
#include "join.h"
#include "poll.h"
#include "publish.h"
#include "rights.h"
#include "subscribe.h"

/* A socket that is gone: sends and closes land nowhere. */
static void ghost_send(void *conn, const char *text, size_t len)
{
    (void)conn;
    (void)text;
    (void)len;
}

static void ghost_close(void *conn) { (void)conn; }

static const struct signaling_conn_ops ghost_ops = {ghost_send, ghost_close};

struct lesson *lesson_find(struct signaling *s, const char *id)
{
    for (struct lesson *l = s->lessons; l; l = l->next)
        if (strcmp(l->id, id) == 0)
            return l;
    return NULL;
}

struct lesson *lesson_open(struct signaling *s, const struct lesson_def *d)
{
    struct lesson *l = lesson_find(s, d->id);
    if (l)
        return l;
    if (!(l = calloc(1, sizeof(*l))))
        return NULL;
    snprintf(l->id, sizeof(l->id), "%s", d->id);
    l->sig = s;
    l->def = *d;
    l->next = s->lessons;
    s->lessons = l;
    s->counters.lessons++;
    signaling_log(s, "lesson %s opened", l->id);
    return l;
}

static void free_lesson(struct lesson *l)
{
    struct signaling *s = l->sig;
    for (struct lesson **pp = &s->lessons; *pp; pp = &(*pp)->next) {
        if (*pp == l) {
            *pp = l->next;
            break;
        }
    }
    while (l->away)
        lesson_free_away(l, l->away);
    control_lesson_free(l);
    /* Each frees only what it made (a lesson without a store may still have
     * chat state from a message handled before the join was refused). */
    chat_lesson_free(l);
    poll_lesson_free(l);
    attendance_lesson_free(l);
    s->counters.lessons--;
    signaling_log(s, "lesson %s closed", l->id);
    free(l);
}

void lesson_maybe_free(struct lesson *l)
{
    if (l && !l->members && !l->lobby && !l->away)
        free_lesson(l);
}

void lesson_free_all(struct signaling *s)
{
    while (s->lessons) {
        struct lesson *l = s->lessons;
        /* Only the away are left once every socket is gone: their stay ends
         * when their socket closed. */
        while (l->away) {
            if (s->store)
                attendance_left(l, l->away, l->away->away_since_ms);
            lesson_free_away(l, l->away);
        }
        free_lesson(l);
    }
}

size_t lesson_seats_taken(const struct lesson *l)
{
    return l->n_members + l->n_away;
}

void lesson_broadcast(struct lesson *l, const struct participant *except, json_t *msg)
{
    for (struct participant *m = l->members; m; m = m->next_in_lesson)
        if (m != except)
            participant_send(m, json_incref(msg));
}

void lesson_send_staff(struct lesson *l, json_t *msg)
{
    for (struct participant *m = l->members; m; m = m->next_in_lesson)
        if (rights_is_staff(m))
            participant_send(m, json_incref(msg));
}

json_t *lesson_info(const struct lesson *l)
{
    const struct lesson_def *d = &l->def;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(l->id));
    json_object_set_new(o, "title", json_string(d->title));
    json_object_set_new(o, "language", json_string(d->language));
    json_object_set_new(o, "start_ms", json_integer(d->start_ms));
    json_object_set_new(o, "duration_min", json_integer(d->duration_min));
    json_object_set_new(o, "max_participants", json_integer(d->max_participants));
    json_object_set_new(o, "lobby", json_boolean(d->lobby));
    json_object_set_new(o, "students_publish", json_boolean(d->students_publish));
    json_object_set_new(o, "students_video", json_boolean(d->students_video));
    json_object_set_new(o, "locked", json_boolean(l->locked));
    return o;
}

/* ---- admission ---------------------------------------------------------- */

static json_t *joined_message(struct participant *p, json_t *req, bool resumed)
{
    struct lesson *l = p->lesson;
    json_t *m = message_new("joined", req);
    json_t *list = json_array();
    for (struct participant *o = l->members; o; o = o->next_in_lesson)
        if (o != p)
            json_array_append_new(list, participant_describe(o));
    for (struct participant *o = l->away; o; o = o->next_in_lesson)
        json_array_append_new(list, participant_describe(o));
    json_object_set_new(m, "participant", json_string(p->id));
    json_object_set_new(m, "lesson", json_string(l->id));
    json_object_set_new(m, "participants", list);
    if (p->sig->store) {
        json_object_set_new(m, "name", json_string(p->name));
        json_object_set_new(m, "role", json_string(p->role));
        json_object_set_new(m, "resume", json_string(p->resume));
        json_object_set_new(m, "resumed", json_boolean(resumed));
        json_object_set_new(m, "rights", rights_list(p));
        json_object_set_new(m, "lesson_info", lesson_info(l));
        json_object_set_new(m, "hand", json_boolean(p->hand_raised));
        json_object_set_new(m, "floor", json_boolean(p->has_floor));
    }
    json_object_set_new(m, "stage", stage_describe(l));
    return m;
}

static void unlink_from(struct participant **head, size_t *n, struct participant *p)
{
    for (struct participant **pp = head; *pp; pp = &(*pp)->next_in_lesson) {
        if (*pp == p) {
            *pp = p->next_in_lesson;
            (*n)--;
            break;
        }
    }
    p->next_in_lesson = NULL;
}

static void append_to(struct participant **head, size_t *n, struct participant *p)
{
    while (*head)
        head = &(*head)->next_in_lesson;
    *head = p;
    p->next_in_lesson = NULL;
    (*n)++;
}

/* What a classroom member gets after `joined`: Q's chat, polls and
 * attendance, then the staff's lobby and hand queue. */
static void send_classroom_state(struct participant *p)
{
    chat_on_join(p);
    poll_on_join(p);
    attendance_on_join(p);
    if (rights_is_staff(p)) {
        control_send_lobby(p->lesson, p);
        floor_send_hands(p->lesson, p);
    }
}

void lesson_admit(struct participant *p, json_t *req, bool resumed)
{
    struct signaling *s = p->sig;
    struct lesson *l = p->lesson;
    bool was_waiting = p->state == PARTICIPANT_WAITING;
    if (was_waiting)
        unlink_from(&l->lobby, &l->n_lobby, p);
    participant_random_token(p->pub.ufrag, PARTICIPANT_UFRAG_LEN);
    participant_random_token(p->pub.pwd, PARTICIPANT_PWD_LEN);
    subscribe_reset(p);
    p->state = PARTICIPANT_JOINED;
    append_to(&l->members, &l->n_members, p);   /* join order, so `joined` lists it */
    s->counters.participants++;
    signaling_log(s, "participant %s (%s) %s lesson %s as %s", p->id, p->name,
                  resumed ? "came back to" : "joined", l->id, p->role);

    participant_send(p, joined_message(p, req, resumed));
    json_t *note = message_new("participant_joined", NULL);
    json_object_set_new(note, "participant", participant_describe(p));
    lesson_broadcast(l, p, note);
    json_decref(note);
    subscribe_on_join(p);
    if (!s->store)
        return;
    if (!resumed)
        attendance_joined(l, p, s->now_ms);
    send_classroom_state(p);
    if (was_waiting)
        control_send_lobby(l, NULL);
}

void lesson_enter_lobby(struct participant *p, json_t *req)
{
    struct lesson *l = p->lesson;
    p->state = PARTICIPANT_WAITING;
    p->lobby_since_ms = p->sig->now_ms;
    append_to(&l->lobby, &l->n_lobby, p);
    signaling_log(p->sig, "participant %s (%s) waits in the lobby of lesson %s", p->id, p->name,
                  l->id);
    json_t *m = message_new("lobby_wait", req);
    json_object_set_new(m, "participant", json_string(p->id));
    json_object_set_new(m, "lesson", json_string(l->id));
    json_object_set_new(m, "name", json_string(p->name));
    json_object_set_new(m, "resume", json_string(p->resume));
    json_object_set_new(m, "lesson_info", lesson_info(l));
    participant_send(p, m);
    control_send_lobby(l, NULL);
}

/* ---- leaving ------------------------------------------------------------ */

/* Out of the members, media closed, the others renegotiated; no message. */
static void leave_members(struct participant *p)
{
    struct signaling *s = p->sig;
    struct lesson *l = p->lesson;
    subscribe_release(p);   /* consumers first, then what they consume */
    publish_release(p);
    unlink_from(&l->members, &l->n_members, p);
    s->counters.participants--;
}

static void tell_left(struct lesson *l, const char *id, const char *reason)
{
    json_t *note = message_new("participant_left", NULL);
    json_object_set_new(note, "id", json_string(id));
    if (reason)
        json_object_set_new(note, "reason", json_string(reason));
    lesson_broadcast(l, NULL, note);
    json_decref(note);
}

void lesson_flush(struct lesson *l)
{
    for (struct participant *m = l->members; m; m = m->next_in_lesson)
        subscribe_flush(m);
}

void lesson_detach(struct participant *p)
{
    struct lesson *l = p->lesson;
    if (p->state == PARTICIPANT_WAITING && l) {
        unlink_from(&l->lobby, &l->n_lobby, p);
        control_send_lobby(l, NULL);
    } else if (p->state == PARTICIPANT_JOINED && l) {
        leave_members(p);
    }
    p->state = PARTICIPANT_LEFT;
}

void lesson_leave(struct participant *p)
{
    struct signaling *s = p->sig;
    struct lesson *l = p->lesson;
    if (!l || (p->state != PARTICIPANT_JOINED && p->state != PARTICIPANT_WAITING)) {
        p->state = PARTICIPANT_LEFT;
        return;
    }
    bool joined = p->state == PARTICIPANT_JOINED;
    bool had_hand = p->hand_raised;
    lesson_detach(p);
    p->lesson = NULL;
    if (joined) {
        signaling_log(s, "participant %s left lesson %s", p->id, l->id);
        if (s->store)
            attendance_left(l, p, s->now_ms);
        tell_left(l, p->id, NULL);
        lesson_flush(l);
        if (had_hand)
            floor_send_hands(l, NULL);
    } else {
        signaling_log(s, "participant %s left the lobby of lesson %s", p->id, l->id);
    }
    lesson_maybe_free(l);
}

void lesson_take_identity(struct participant *p, const struct participant *from)
{
    snprintf(p->id, sizeof(p->id), "%s", from->id);
    snprintf(p->name, sizeof(p->name), "%s", from->name);
    snprintf(p->role, sizeof(p->role), "%s", from->role);
    snprintf(p->link, sizeof(p->link), "%s", from->link);
    snprintf(p->resume, sizeof(p->resume), "%s", from->resume);
    p->has_floor = from->has_floor;
    p->floor_video = from->floor_video;
    p->hand_raised = from->hand_raised;
    p->hand_since_ms = from->hand_since_ms;
    p->muted_audio = from->muted_audio;
    p->muted_video = from->muted_video;
    p->lobby_since_ms = from->lobby_since_ms;
    if (!p->staff_id)
        p->staff_id = from->staff_id;
}

void lesson_drop(struct participant *p)
{
    struct signaling *s = p->sig;
    struct lesson *l = p->lesson;
    if (!s->store || !l || p->state != PARTICIPANT_JOINED || l->def.ended_ms) {
        lesson_leave(p);
        return;
    }
    struct participant *ghost = participant_new(s, &ghost_ops, NULL);
    if (!ghost) {
        lesson_leave(p);
        return;
    }
    lesson_take_identity(ghost, p);
    ghost->lesson = l;
    ghost->state = PARTICIPANT_AWAY;
    ghost->away_since_ms = s->now_ms;
    lesson_detach(p);
    p->lesson = NULL;
    append_to(&l->away, &l->n_away, ghost);
    signaling_log(s, "participant %s of lesson %s is away (socket closed)", ghost->id, l->id);
    json_t *note = message_new("participant_away", NULL);
    json_object_set_new(note, "id", json_string(ghost->id));
    lesson_broadcast(l, NULL, note);
    json_decref(note);
    lesson_flush(l);
}

void lesson_free_away(struct lesson *l, struct participant *ghost)
{
    unlink_from(&l->away, &l->n_away, ghost);
    participant_free(ghost);
}

static void expire_lesson(struct lesson *l, uint64_t now_ms)
{
    struct signaling *s = l->sig;
    bool hands = false;
    for (struct participant *g = l->away, *next; g; g = next) {
        next = g->next_in_lesson;
        if (now_ms < g->away_since_ms + LESSON_AWAY_MS)
            continue;
        signaling_log(s, "participant %s did not come back to lesson %s within %d s: gone",
                      g->id, l->id, LESSON_AWAY_MS / 1000);
        hands |= g->hand_raised;
        attendance_left(l, g, g->away_since_ms);
        tell_left(l, g->id, "timeout");
        lesson_free_away(l, g);
    }
    if (hands)
        floor_send_hands(l, NULL);
}

void lesson_expire_away(struct signaling *s)
{
    for (struct lesson *l = s->lessons, *next; l; l = next) {
        next = l->next;
        expire_lesson(l, s->now_ms);
        if (s->store)
            attendance_touch(l, s->now_ms);
        lesson_maybe_free(l);
    }
}

/* ---- join --------------------------------------------------------------- */

/* 0, or sends bad_message and returns -1. */
static int check_legacy_join(struct participant *p, json_t *msg, json_t *req,
                             const char **lesson, const char **name, const char **role)
{
    size_t chars;
    *lesson = message_string(msg, "lesson");
    *name = message_string(msg, "name");
    json_t *r = json_object_get(msg, "role");
    *role = r ? (json_is_string(r) ? json_string_value(r) : "") : "student";
    if (!*lesson || !message_is_lesson_id(*lesson)) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "join", req,
                               "\"lesson\" must be 1-64 characters of A-Z a-z 0-9 _ -");
        return -1;
    }
    if (!*name || !message_utf8_length(*name, &chars) || chars < 1 || chars > 64) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "join", req,
                               "\"name\" must be 1-64 printable characters");
        return -1;
    }
    if (strcmp(*role, "teacher") && strcmp(*role, "assistant") && strcmp(*role, "student")) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "join", req,
                               "\"role\" must be \"teacher\", \"assistant\" or \"student\"");
        return -1;
    }
    return 0;
}

/* Without a store (the media side's unit tests) anyone may join any id. */
static void legacy_join(struct participant *p, json_t *msg, json_t *req)
{
    struct signaling *s = p->sig;
    const char *lesson_id, *name, *role;
    if (check_legacy_join(p, msg, req, &lesson_id, &name, &role) != 0)
        return;
    struct lesson_def d;
    memset(&d, 0, sizeof(d));
    snprintf(d.id, sizeof(d.id), "%s", lesson_id);
    d.max_participants = UINT32_MAX;
    d.students_publish = d.students_video = true;
    struct lesson *l = lesson_open(s, &d);
    if (!l) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "join", req, "out of memory");
        return;
    }
    snprintf(p->id, sizeof(p->id), "p%u", (unsigned)++s->next_participant);
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->role, sizeof(p->role), "%s", role);
    p->lesson = l;
    lesson_admit(p, req, false);
}

void lesson_handle_join(struct participant *p, json_t *msg, json_t *req)
{
    if (p->sig->store)
        join_handle(p, msg, req);
    else
        legacy_join(p, msg, req);
}
