/* Lobby, lock, remove, re-admit and end (see control.h). Every action checks
 * its right first (rights.h) and answers `ok` or an error; what changes is
 * told to the people it concerns. */
#include "control.h"

#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "attendance.h"
#include "floor.h"
#include "lesson.h"
#include "lesson_store.h"
#include "rights.h"

void control_send_ok(struct participant *p, const char *ref, json_t *req)
{
    json_t *m = message_new("ok", req);
    json_object_set_new(m, "ref", json_string(ref));
    participant_send(p, m);
}

void control_send_lobby(struct lesson *l, struct participant *to)
{
    json_t *queue = json_array(), *removed = json_array();
    for (struct participant *w = l->lobby; w; w = w->next_in_lesson)
        json_array_append_new(queue, json_pack("{s:s, s:s, s:I}", "participant", w->id, "name",
                                               w->name, "since", (json_int_t)w->lobby_since_ms));
    for (struct removed_link *r = l->removed; r; r = r->next)
        json_array_append_new(removed, json_pack("{s:s, s:s}", "participant", r->participant,
                                                 "name", r->name));
    json_t *m = message_new("lobby", NULL);
    json_object_set_new(m, "queue", queue);
    json_object_set_new(m, "removed", removed);
    if (to)
        participant_send(to, m);
    else {
        lesson_send_staff(l, m);
        json_decref(m);
    }
}

bool control_is_removed(const struct lesson *l, const char *resume)
{
    for (const struct removed_link *r = l->removed; r; r = r->next)
        if (resume && strcmp(r->resume, resume) == 0)
            return true;
    return false;
}

void control_lesson_free(struct lesson *l)
{
    while (l->removed) {
        struct removed_link *r = l->removed;
        l->removed = r->next;
        free(r);
    }
}

/* The "participant" field, or NULL after a bad_message reply. */
static const char *target_id(struct participant *p, json_t *msg, const char *ref, json_t *req)
{
    const char *id = message_string(msg, "participant");
    if (!id || !id[0] || strlen(id) >= 16) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, ref, req,
                               "\"participant\" must be a participant id such as \"p7\"");
        return NULL;
    }
    return id;
}

static struct participant *find_in(struct participant *list, const char *id)
{
    for (; list; list = list->next_in_lesson)
        if (strcmp(list->id, id) == 0)
            return list;
    return NULL;
}

static void not_found(struct participant *p, const char *ref, json_t *req, const char *id,
                      const char *where)
{
    participant_send_error(p, MESSAGE_ERR_NOT_FOUND, ref, req, "%.15s is not %s", id, where);
}

/* ---- lobby ---------------------------------------------------------------- */

static struct removed_link **find_removed(struct lesson *l, const char *id)
{
    for (struct removed_link **rr = &l->removed; *rr; rr = &(*rr)->next)
        if (strcmp((*rr)->participant, id) == 0)
            return rr;
    return NULL;
}

/* Lifts a removal: 0, or -1 when the store failed. */
static int readmit(struct lesson *l, struct removed_link **rr)
{
    struct signaling *s = l->sig;
    struct removed_link *r = *rr;
    if (r->link[0] && access_set_removed(s->store, l->id, r->link, false, s->now_ms) < 0)
        return -1;
    signaling_log(s, "participant %s (%s) may come back to lesson %s", r->participant, r->name,
                  l->id);
    *rr = r->next;
    free(r);
    return 0;
}

void control_handle_lobby_admit(struct participant *p, json_t *msg, json_t *req)
{
    struct lesson *l = p->lesson;
    if (!rights_allow(p, RIGHT_ADMIT)) {
        rights_refuse(p, RIGHT_ADMIT, "lobby_admit", req);
        return;
    }
    const char *id = target_id(p, msg, "lobby_admit", req);
    if (!id)
        return;
    struct participant *w = find_in(l->lobby, id);
    struct removed_link **rr = w ? NULL : find_removed(l, id);
    if (rr) {   /* admitting someone removed lets them come back */
        if (readmit(l, rr) < 0) {
            participant_send_error(p, MESSAGE_ERR_INTERNAL, "lobby_admit", req,
                                   "the store failed: try again");
            return;
        }
        control_send_ok(p, "lobby_admit", req);
        control_send_lobby(l, NULL);
        return;
    }
    if (!w) {
        not_found(p, "lobby_admit", req, id, "waiting in the lobby");
        return;
    }
    if (lesson_seats_taken(l) >= l->def.max_participants) {
        participant_send_error(p, MESSAGE_ERR_LESSON_FULL, "lobby_admit", req,
                               "the lesson is full (%u people)", (unsigned)l->def.max_participants);
        return;
    }
    lesson_admit(w, NULL, false);
    control_send_ok(p, "lobby_admit", req);
}

void control_handle_lobby_admit_all(struct participant *p, json_t *msg, json_t *req)
{
    (void)msg;
    struct lesson *l = p->lesson;
    if (!rights_allow(p, RIGHT_ADMIT)) {
        rights_refuse(p, RIGHT_ADMIT, "lobby_admit_all", req);
        return;
    }
    unsigned admitted = 0;
    while (l->lobby && lesson_seats_taken(l) < l->def.max_participants) {
        lesson_admit(l->lobby, NULL, false);
        admitted++;
    }
    if (l->lobby) {
        participant_send_error(p, MESSAGE_ERR_LESSON_FULL, "lobby_admit_all", req,
                               "the lesson is full (%u people): %u admitted, %zu still waiting",
                               (unsigned)l->def.max_participants, admitted, l->n_lobby);
        return;
    }
    control_send_ok(p, "lobby_admit_all", req);
}

void control_handle_readmit(struct participant *p, json_t *msg, json_t *req)
{
    struct lesson *l = p->lesson;
    if (!rights_allow(p, RIGHT_ADMIT)) {
        rights_refuse(p, RIGHT_ADMIT, "participant_readmit", req);
        return;
    }
    const char *id = target_id(p, msg, "participant_readmit", req);
    if (!id)
        return;
    struct removed_link **rr = find_removed(l, id);
    if (!rr) {
        not_found(p, "participant_readmit", req, id, "removed from this lesson");
        return;
    }
    if (readmit(l, rr) < 0) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "participant_readmit", req,
                               "the store failed: try again");
        return;
    }
    control_send_ok(p, "participant_readmit", req);
    control_send_lobby(l, NULL);
}

/* ---- lock ------------------------------------------------------------------ */

void control_handle_lock(struct participant *p, json_t *msg, json_t *req)
{
    struct lesson *l = p->lesson;
    if (!rights_allow(p, RIGHT_LOCK)) {
        rights_refuse(p, RIGHT_LOCK, "lesson_lock", req);
        return;
    }
    json_t *v = json_object_get(msg, "locked");
    if (v && !json_is_boolean(v)) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "lesson_lock", req,
                               "\"locked\" must be true or false");
        return;
    }
    l->locked = v ? json_is_true(v) : true;
    signaling_log(p->sig, "lesson %s %s by %s", l->id, l->locked ? "locked" : "unlocked", p->id);
    control_send_ok(p, "lesson_lock", req);
    json_t *m = message_new("lesson_state", NULL);
    json_object_set_new(m, "lesson", lesson_info(l));
    json_object_set_new(m, "by", json_string(p->id));
    lesson_broadcast(l, NULL, m);
    json_decref(m);
}

/* ---- remove ---------------------------------------------------------------- */

static int remember_removed(struct lesson *l, const struct participant *t)
{
    struct signaling *s = l->sig;
    if (t->link[0] && access_set_removed(s->store, l->id, t->link, true, s->now_ms) < 0)
        return -1;
    struct removed_link *r = calloc(1, sizeof(*r));
    if (!r)
        return -1;
    snprintf(r->participant, sizeof(r->participant), "%s", t->id);
    snprintf(r->name, sizeof(r->name), "%s", t->name);
    snprintf(r->link, sizeof(r->link), "%s", t->link);
    snprintf(r->resume, sizeof(r->resume), "%s", t->resume);
    r->next = l->removed;
    l->removed = r;
    return 0;
}

static void tell_removed(struct lesson *l, const char *id, const char *by, const char *reason)
{
    json_t *note = message_new("participant_left", NULL);
    json_object_set_new(note, "id", json_string(id));
    json_object_set_new(note, "reason", json_string(reason));
    if (by)
        json_object_set_new(note, "by", json_string(by));
    lesson_broadcast(l, NULL, note);
    json_decref(note);
}

/* Takes t out, whichever list it is in: removed (by someone) or revoked. */
static void evict(struct lesson *l, struct participant *t, const char *by, bool revoked)
{
    struct signaling *s = l->sig;
    bool hand = t->hand_raised;
    char id[16];
    snprintf(id, sizeof(id), "%s", t->id);
    if (t->state == PARTICIPANT_AWAY) {
        attendance_left(l, t, t->away_since_ms);
        lesson_free_away(l, t);
    } else {
        bool joined = t->state == PARTICIPANT_JOINED;
        if (revoked)
            participant_send_error(t, MESSAGE_ERR_REVOKED, NULL, NULL, "%s",
                                   auth_result_text(AUTH_REVOKED));
        else
            participant_send_error(t, MESSAGE_ERR_REMOVED, "participant_remove", NULL, "%s",
                                   auth_result_text(AUTH_REMOVED));
        if (joined)
            attendance_left(l, t, s->now_ms);
        lesson_detach(t);
        t->lesson = NULL;
        t->conn_ops->close(t->conn);
    }
    signaling_log(s, "participant %s %s from lesson %s", id, revoked ? "revoked" : "removed",
                  l->id);
    tell_removed(l, id, by, revoked ? "revoked" : "removed");
    lesson_flush(l);
    if (hand)
        floor_send_hands(l, NULL);
}

void control_handle_remove(struct participant *p, json_t *msg, json_t *req)
{
    struct lesson *l = p->lesson;
    if (!rights_allow(p, RIGHT_REMOVE)) {
        rights_refuse(p, RIGHT_REMOVE, "participant_remove", req);
        return;
    }
    const char *id = target_id(p, msg, "participant_remove", req);
    if (!id)
        return;
    struct participant *t = find_in(l->members, id);
    if (!t && !(t = find_in(l->lobby, id)))
        t = find_in(l->away, id);
    if (!t) {
        not_found(p, "participant_remove", req, id, "in this lesson");
        return;
    }
    if (t == p || strcmp(t->role, "teacher") == 0) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "participant_remove", req,
                               t == p ? "send \"leave\" to leave" : "a teacher cannot be removed");
        return;
    }
    if (remember_removed(l, t) < 0) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "participant_remove", req,
                               "the store failed: try again");
        return;
    }
    evict(l, t, p->id, false);
    control_send_ok(p, "participant_remove", req);
    control_send_lobby(l, NULL);
}

/* ---- end ------------------------------------------------------------------- */

static void end_one(struct participant *t, const char *by, json_t *req)
{
    struct lesson *l = t->lesson;
    json_t *m = message_new("lesson_ended", req);
    json_object_set_new(m, "lesson", json_string(l->id));
    json_object_set_new(m, "by", json_string(by));
    participant_send(t, m);
    if (t->state == PARTICIPANT_JOINED)
        attendance_left(l, t, l->sig->now_ms);
    lesson_detach(t);
    t->lesson = NULL;
    t->conn_ops->close(t->conn);
}

void control_handle_end(struct participant *p, json_t *msg, json_t *req)
{
    (void)msg;
    struct lesson *l = p->lesson;
    struct signaling *s = p->sig;
    if (!rights_allow(p, RIGHT_END_LESSON)) {
        rights_refuse(p, RIGHT_END_LESSON, "lesson_end", req);
        return;
    }
    if (lesson_store_end(s->store, l->id, (int64_t)s->now_ms) < 0) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "lesson_end", req,
                               "the store failed: the lesson goes on");
        return;
    }
    l->def.ended_ms = (int64_t)s->now_ms;
    signaling_log(s, "lesson %s ended by %s", l->id, p->id);
    char by[16];
    snprintf(by, sizeof(by), "%s", p->id);
    while (l->away) {
        attendance_left(l, l->away, l->away->away_since_ms);
        lesson_free_away(l, l->away);
    }
    while (l->lobby)
        end_one(l->lobby, by, NULL);
    /* Everyone else first, the teacher who ended it last (with req). */
    for (struct participant *m = l->members, *next; m; m = next) {
        next = m->next_in_lesson;
        if (m != p)
            end_one(m, by, NULL);
    }
    end_one(p, by, req);
    lesson_maybe_free(l);
}

void control_evict_link(struct signaling *s, const char *lesson_id, const char *link)
{
    struct lesson *l = lesson_find(s, lesson_id);
    if (!l || !link[0])
        return;
    struct participant *lists[3] = {l->members, l->lobby, l->away};
    for (int i = 0; i < 3; i++)
        for (struct participant *t = lists[i]; t; t = t->next_in_lesson)
            if (strcmp(t->link, link) == 0) {
                evict(l, t, NULL, true);
                control_send_lobby(l, NULL);
                lesson_maybe_free(l);
                return;
            }
}
