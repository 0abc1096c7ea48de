/* Lessons: membership, join and leave (docs/protocol.md). Rights and tokens
 * come later; for now anyone may join any lesson id with any role. */
#include "lesson.h"

#include <stdlib.h>
#include <string.h>

#include "publish.h"
#include "subscribe.h"

static struct lesson *find_or_create(struct signaling *s, const char *id)
{
    for (struct lesson *l = s->lessons; l; l = l->next)
        if (strcmp(l->id, id) == 0)
            return l;
    struct lesson *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    snprintf(l->id, sizeof(l->id), "%s", id);
    l->next = s->lessons;
    s->lessons = l;
    s->counters.lessons++;
    signaling_log(s, "lesson %s created", l->id);
    return l;
}

static void free_lesson(struct signaling *s, struct lesson *l)
{
    for (struct lesson **pp = &s->lessons; *pp; pp = &(*pp)->next) {
        if (*pp == l) {
            *pp = l->next;
            break;
        }
    }
    s->counters.lessons--;
    signaling_log(s, "lesson %s closed", l->id);
    free(l);
}

void lesson_broadcast(struct lesson *l, const struct participant *except, json_t *msg)
{
    for (struct participant *m = l->members; m; m = m->next_in_lesson)
        if (m != except)
            participant_send(m, json_incref(msg));
}

/* 0, or sends bad_message and returns -1. */
static int check_join(struct participant *p, json_t *msg, json_t *req, const char **lesson,
                      const char **name, const char **role)
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

static json_t *joined_message(struct participant *p, json_t *req)
{
    json_t *m = message_new("joined", req);
    json_t *list = json_array();
    for (struct participant *o = p->lesson->members; o; o = o->next_in_lesson)
        if (o != p)
            json_array_append_new(list, participant_describe(o));
    json_object_set_new(m, "participant", json_string(p->id));
    json_object_set_new(m, "lesson", json_string(p->lesson->id));
    json_object_set_new(m, "participants", list);
    return m;
}

void lesson_handle_join(struct participant *p, json_t *msg, json_t *req)
{
    struct signaling *s = p->sig;
    const char *lesson_id, *name, *role;
    if (check_join(p, msg, req, &lesson_id, &name, &role) != 0)
        return;
    struct lesson *l = find_or_create(s, lesson_id);
    if (!l) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "join", req, "out of memory");
        return;
    }
    snprintf(p->id, sizeof(p->id), "p%u", (unsigned)++s->next_participant);
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->role, sizeof(p->role), "%s", role);
    participant_random_token(p->pub.ufrag, PARTICIPANT_UFRAG_LEN);
    participant_random_token(p->pub.pwd, PARTICIPANT_PWD_LEN);
    subscribe_reset(p);
    p->state = PARTICIPANT_JOINED;
    p->lesson = l;
    struct participant **tail = &l->members;   /* join order, so `joined` lists it */
    while (*tail)
        tail = &(*tail)->next_in_lesson;
    *tail = p;
    p->next_in_lesson = NULL;
    l->n_members++;
    s->counters.participants++;
    signaling_log(s, "participant %s (%s) joined lesson %s as %s", p->id, p->name, l->id, p->role);

    participant_send(p, joined_message(p, req));
    json_t *note = message_new("participant_joined", NULL);
    json_object_set_new(note, "participant", participant_describe(p));
    lesson_broadcast(l, p, note);
    json_decref(note);
    subscribe_on_join(p);
}

static void unlink_member(struct lesson *l, struct participant *p)
{
    for (struct participant **pp = &l->members; *pp; pp = &(*pp)->next_in_lesson) {
        if (*pp == p) {
            *pp = p->next_in_lesson;
            l->n_members--;
            break;
        }
    }
    p->next_in_lesson = NULL;
}

void lesson_leave(struct participant *p)
{
    struct signaling *s = p->sig;
    struct lesson *l = p->lesson;
    if (p->state != PARTICIPANT_JOINED || !l) {
        p->state = PARTICIPANT_LEFT;
        return;
    }
    subscribe_release(p);   /* consumers first, then what they consume */
    publish_release(p);
    unlink_member(l, p);
    p->lesson = NULL;
    p->state = PARTICIPANT_LEFT;
    s->counters.participants--;
    signaling_log(s, "participant %s left lesson %s", p->id, l->id);

    json_t *note = message_new("participant_left", NULL);
    json_object_set_new(note, "id", json_string(p->id));
    lesson_broadcast(l, NULL, note);
    json_decref(note);
    for (struct participant *m = l->members; m; m = m->next_in_lesson)
        subscribe_flush(m);
    if (!l->members)
        free_lesson(s, l);
}
