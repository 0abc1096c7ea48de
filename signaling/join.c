/* `join` with a token (see join.h). Who is the same person: a holder of the
 * same personal link (roster entry "r<n>", single-use link "n<nonce>", or a
 * signed-in staff member "s<n>"), or whoever presents the `resume` secret
 * that `joined` gave out with a token of the same role. The same person
 * coming back while away gets the same participant id, hand and floor; one
 * still connected elsewhere is replaced (that socket gets `replaced`). */
#include "join.h"

#include <string.h>

#include "access.h"
#include "control.h"
#include "lesson.h"
#include "rights.h"
#include "staff.h"

#define RESUME_LEN 24

enum message_error join_error_of(enum auth_result r)
{
    switch (r) {
    case AUTH_OK:
    case AUTH_INTERNAL: break;
    case AUTH_BAD_TOKEN: return MESSAGE_ERR_BAD_TOKEN;
    case AUTH_EXPIRED: return MESSAGE_ERR_TOKEN_EXPIRED;
    case AUTH_WRONG_LESSON: return MESSAGE_ERR_WRONG_LESSON;
    case AUTH_REVOKED: return MESSAGE_ERR_REVOKED;
    case AUTH_LINK_USED: return MESSAGE_ERR_LINK_USED;
    case AUTH_REMOVED: return MESSAGE_ERR_REMOVED;
    case AUTH_ENDED: return MESSAGE_ERR_LESSON_ENDED;
    }
    return MESSAGE_ERR_INTERNAL;
}

static void refuse(struct participant *p, enum auth_result r, json_t *req)
{
    participant_send_error(p, join_error_of(r), "join", req, "%s", auth_result_text(r));
}

struct join_args {
    const char *token, *name, *resume, *lesson;
};

/* 0, or sends bad_message and returns -1. */
static int read_args(struct participant *p, json_t *msg, json_t *req, struct join_args *a)
{
    json_t *name = json_object_get(msg, "name"), *resume = json_object_get(msg, "resume");
    json_t *lesson = json_object_get(msg, "lesson");
    size_t chars;
    a->token = message_string(msg, "token");
    a->name = json_string_value(name);
    a->resume = json_string_value(resume);
    a->lesson = json_string_value(lesson);
    const char *why = NULL;
    if (!a->token)
        why = "\"token\" must be a string: the t= part of your link";
    else if (name && (!a->name || !message_utf8_length(a->name, &chars) || chars < 1 ||
                      chars > 64))
        why = "\"name\" must be 1-64 printable characters";
    else if (resume && (!a->resume || strlen(a->resume) > RESUME_LEN))
        why = "\"resume\" must be the string `joined` gave";
    else if (lesson && (!a->lesson || !message_is_lesson_id(a->lesson)))
        why = "\"lesson\" must be 1-64 characters of A-Z a-z 0-9 _ -";
    if (why) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "join", req, "%s", why);
        return -1;
    }
    if (a->resume && !a->resume[0])
        a->resume = NULL;
    return 0;
}

static bool same_person(const struct participant *c, const struct access_grant *g,
                        const char *link, const char *resume)
{
    if (link[0] && strcmp(c->link, link) == 0)
        return true;
    return resume && strcmp(c->resume, resume) == 0 && strcmp(c->role, g->role) == 0;
}

static struct participant *find_person(struct lesson *l, const struct access_grant *g,
                                       const char *link, const char *resume)
{
    struct participant *lists[3] = {l->away, l->members, l->lobby};
    for (int i = 0; i < 3; i++)
        for (struct participant *c = lists[i]; c; c = c->next_in_lesson)
            if (same_person(c, g, link, resume))
                return c;
    return NULL;
}

/* The same person again: the away copy is dropped, a live socket replaced. */
static void come_back(struct participant *p, struct participant *prev, json_t *req)
{
    struct lesson *l = prev->lesson;
    bool waiting = prev->state == PARTICIPANT_WAITING;
    lesson_take_identity(p, prev);
    p->lesson = l;
    if (prev->state == PARTICIPANT_AWAY) {
        lesson_free_away(l, prev);
    } else {
        participant_send_error(prev, MESSAGE_ERR_REPLACED, NULL, NULL,
                               "this link was opened in another window or on another device: "
                               "this one is closed");
        lesson_detach(prev);
        prev->lesson = NULL;
        prev->conn_ops->close(prev->conn);
    }
    if (waiting)
        lesson_enter_lobby(p, req);
    else
        lesson_admit(p, req, true);
    lesson_flush(l);   /* the replaced socket's tracks end */
}

/* The name to show: the roster's, the signed-in staff member's, or the one given. */
static const char *pick_name(struct participant *p, const struct access_grant *g,
                             const struct staff *m, const struct join_args *a)
{
    if (g->name[0])
        return g->name;
    if (m && m->name[0])
        return m->name;
    (void)p;
    return a->name;
}

/* A new person: the lesson's rules, then the lobby or the lesson. */
static void enter(struct participant *p, struct lesson *l, const struct access_grant *g,
                  const char *link, const char *name, json_t *req)
{
    struct signaling *s = p->sig;
    bool staff = strcmp(g->role, "student") != 0;
    if (!staff && l->locked) {
        participant_send_error(p, MESSAGE_ERR_LESSON_LOCKED, "join", req,
                               "the teacher has locked this lesson: nobody new may join");
        return;
    }
    if (!staff && lesson_seats_taken(l) >= l->def.max_participants) {
        participant_send_error(p, MESSAGE_ERR_LESSON_FULL, "join", req,
                               "the lesson is full (%u people)", (unsigned)l->def.max_participants);
        return;
    }
    if (g->single_use && access_mark_used(s->store, l->id, link, s->now_ms) < 0) {
        refuse(p, AUTH_INTERNAL, req);
        return;
    }
    snprintf(p->id, sizeof(p->id), "p%u", (unsigned)++s->next_participant);
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->role, sizeof(p->role), "%s", g->role);
    snprintf(p->link, sizeof(p->link), "%s", link);
    participant_random_token(p->resume, RESUME_LEN);
    p->lesson = l;
    if (!staff && l->def.lobby)
        lesson_enter_lobby(p, req);
    else
        lesson_admit(p, req, false);
}

void join_handle(struct participant *p, json_t *msg, json_t *req)
{
    struct signaling *s = p->sig;
    struct join_args a;
    if (read_args(p, msg, req, &a) != 0)
        return;
    struct access_grant g;
    enum auth_result r = access_check(s->store, s->secret, a.token, (int64_t)s->now_ms, &g);
    if (r == AUTH_OK && a.lesson && strcmp(a.lesson, g.def.id) != 0)
        r = AUTH_WRONG_LESSON;
    if (r != AUTH_OK) {
        refuse(p, r, req);
        return;
    }
    /* A signed-in staff member is one person whichever staff link they use. */
    struct staff m, *member = NULL;
    char link[ACCESS_LINK_LEN];
    snprintf(link, sizeof(link), "%s", g.link);
    if (strcmp(g.role, "student") != 0 && p->staff_id &&
        staff_get(s->store, p->staff_id, &m) == 0 && !m.revoked_ms) {
        member = &m;
        snprintf(link, sizeof(link), "s%lld", (long long)m.id);
    }
    lesson_expire_away(s);   /* before looking for the same person */
    struct lesson *l = lesson_find(s, g.def.id);
    struct participant *prev = l ? find_person(l, &g, link, a.resume) : NULL;
    if (prev) {
        come_back(p, prev, req);
        return;
    }
    const char *name = pick_name(p, &g, member, &a);
    if (g.removed || (l && a.resume && control_is_removed(l, a.resume)))
        r = AUTH_REMOVED;
    else if (g.single_use && g.used)
        r = AUTH_LINK_USED;
    if (r != AUTH_OK) {
        refuse(p, r, req);
        return;
    }
    if (!name) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "join", req,
                               "\"name\" is needed with this link (1-64 characters)");
        return;
    }
    if (!l && !(l = lesson_open(s, &g.def))) {
        refuse(p, AUTH_INTERNAL, req);
        return;
    }
    enter(p, l, &g, link, name, req);
    if (p->state == PARTICIPANT_CONNECTED)
        lesson_maybe_free(l);   /* refused in enter(): do not keep an empty lesson */
}
