/* Poll messages (see poll.h): validation, rights, who is told what. The
 * model and the store are in poll_store.c. Every change is stored first,
 * then acknowledged, then sent on. */
#include "poll.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "lesson.h"
#include "participant.h"
#include "poll_store.h"
#include "recording.h"
#include "rights.h"
#include "store.h"
#include "text.h"

static const char *const yesno_options[] = {"Yes", "No"};

/* l->polls, loaded at first use; NULL without a store or memory. */
static struct poll_state *state_of(struct participant *p)
{
    struct lesson *l = p->lesson;
    if (l->polls)
        return l->polls;
    struct store *st = p->sig->store;
    struct poll_state *ps = st ? calloc(1, sizeof(*ps)) : NULL;
    if (!ps)
        return NULL;
    if (poll_store_load(st, l->id, ps) != 0) {
        poll_state_free(ps);
        return NULL;
    }
    l->polls = ps;
    return ps;
}

void poll_lesson_free(struct lesson *l)
{
    poll_state_free(l->polls);
    l->polls = NULL;
}

/* ---- what is sent ----------------------------------------------------- */

static json_t *poll_json(const struct poll *p, json_t *req)
{
    json_t *m = message_new("poll", req);
    json_t *opts = json_array();
    for (size_t i = 0; i < p->n_options; i++)
        json_array_append_new(opts, json_string(p->options[i]));
    json_object_set_new(m, "id", json_integer(p->id));
    json_object_set_new(m, "question", json_string(p->question));
    json_object_set_new(m, "kind", json_string(poll_kind_name(p->kind)));
    json_object_set_new(m, "options", opts);
    json_object_set_new(m, "anonymous", json_boolean(p->anonymous));
    json_object_set_new(m, "state", json_string(p->closed ? "closed" : "open"));
    json_object_set_new(m, "published", json_boolean(p->published));
    return m;
}

static json_t *answer_json(const struct poll *p, const struct poll_vote *v)
{
    if (p->kind == POLL_OPEN)
        return json_pack("{s:s}", "text", v->text ? v->text : "");
    json_t *c = json_array();
    for (size_t i = 0; i < p->n_options; i++)
        if (v->choices & (1u << i))
            json_array_append_new(c, json_integer((json_int_t)i));
    return json_pack("{s:o}", "choices", c);
}

static json_t *counts_json(const struct poll *p)
{
    json_t *c = json_array();
    for (size_t i = 0; i < p->n_options; i++) {
        json_int_t n = 0;
        for (size_t k = 0; k < p->n_votes; k++)
            n += (p->votes[k].choices >> i) & 1;
        json_array_append_new(c, json_integer(n));
    }
    return c;
}

/* The live tally for staff: names unless the poll is anonymous. */
static json_t *tally_json(const struct poll *p)
{
    json_t *m = message_new("poll_tally", NULL);
    json_object_set_new(m, "poll", json_integer(p->id));
    json_object_set_new(m, "counts", counts_json(p));
    json_object_set_new(m, "answers", json_integer((json_int_t)p->n_votes));
    if (p->kind == POLL_OPEN) {
        json_t *texts = json_array();
        for (size_t k = 0; k < p->n_votes; k++) {
            json_t *t = json_pack("{s:s}", "text", p->votes[k].text ? p->votes[k].text : "");
            if (!p->anonymous)
                json_object_set_new(t, "name", json_string(p->votes[k].name));
            json_array_append_new(texts, t);
        }
        json_object_set_new(m, "texts", texts);
    } else if (!p->anonymous) {
        json_t *voters = json_array();
        for (size_t i = 0; i < p->n_options; i++) {
            json_t *names = json_array();
            for (size_t k = 0; k < p->n_votes; k++)
                if ((p->votes[k].choices >> i) & 1)
                    json_array_append_new(names, json_string(p->votes[k].name));
            json_array_append_new(voters, names);
        }
        json_object_set_new(m, "voters", voters);
    }
    return m;
}

/* The published results, for everyone: never names. */
static json_t *results_json(const struct poll *p, json_t *req)
{
    json_t *m = message_new("poll_results", req);
    json_object_set_new(m, "poll", json_integer(p->id));
    json_object_set_new(m, "counts", counts_json(p));
    json_object_set_new(m, "total", json_integer((json_int_t)p->n_votes));
    if (p->kind == POLL_OPEN) {
        json_t *texts = json_array();
        for (size_t k = 0; k < p->n_votes; k++)
            json_array_append_new(texts, json_string(p->votes[k].text ? p->votes[k].text : ""));
        json_object_set_new(m, "texts", texts);
    }
    return m;
}

/* msg (borrowed) to every member, or only staff; `with_req` gets a copy
 * carrying req. */
static void deliver(struct lesson *l, bool staff_only, json_t *msg,
                    struct participant *with_req, json_t *req)
{
    for (struct participant *m = l->members; m; m = m->next_in_lesson) {
        if (m == with_req && req) {
            json_t *copy = json_copy(msg);
            json_object_set(copy, "req", req);
            participant_send(m, copy);
        } else if (!staff_only || rights_is_staff(m)) {
            participant_send(m, json_incref(msg));
        }
    }
}

static void send_tally(struct lesson *l, const struct poll *p)
{
    json_t *t = tally_json(p);
    deliver(l, true, t, NULL, NULL);
    json_decref(t);
}

/* ---- poll_create ------------------------------------------------------ */

/* 0 with a malloc'd copy in *out, or an error was sent. */
static int text_field(struct participant *p, json_t *v, const char *what, size_t max,
                      const char *ref, json_t *req, char **out)
{
    if (!json_is_string(v)) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, ref, req, "%s must be a string", what);
        return -1;
    }
    size_t chars = 0;
    switch (text_check(json_string_value(v), json_string_length(v), max, false, &chars)) {
    case TEXT_OK:
        break;
    case TEXT_TOO_LONG:
        participant_send_error(p, MESSAGE_ERR_TOO_LONG, ref, req,
                               "%s may have at most %zu characters; it has %zu", what, max, chars);
        return -1;
    case TEXT_EMPTY:
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, ref, req, "%s is empty", what);
        return -1;
    case TEXT_INVALID:
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, ref, req,
                               "%s is not valid UTF-8 or holds control characters", what);
        return -1;
    }
    *out = strdup(json_string_value(v));
    if (!*out) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, ref, req, "out of memory");
        return -1;
    }
    return 0;
}

static int options_field(struct participant *p, json_t *msg, struct poll *poll, json_t *req)
{
    json_t *o = json_object_get(msg, "options");
    bool fixed = poll->kind == POLL_YESNO || poll->kind == POLL_OPEN;
    if (o && !json_is_array(o)) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "poll_create", req,
                               "\"options\" must be an array of strings");
        return -1;
    }
    size_t n = o ? json_array_size(o) : 0;
    if (fixed && n) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "poll_create", req,
                               "a %s poll takes no \"options\"", poll_kind_name(poll->kind));
        return -1;
    }
    if (!fixed && (n < 2 || n > POLL_MAX_OPTIONS)) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "poll_create", req,
                               "a %s poll needs 2 to %d \"options\"", poll_kind_name(poll->kind),
                               POLL_MAX_OPTIONS);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char what[32];
        snprintf(what, sizeof(what), "option %zu", i + 1);
        if (text_field(p, json_array_get(o, i), what, POLL_OPTION_CHARS, "poll_create", req,
                       &poll->options[i]) != 0)
            return -1;
        poll->n_options++;
    }
    for (size_t i = 0; poll->kind == POLL_YESNO && i < 2; i++) {
        if (!(poll->options[i] = strdup(yesno_options[i])))
            return -1;
        poll->n_options++;
    }
    return 0;
}

static int check_create(struct participant *p, json_t *msg, json_t *req, struct poll *poll)
{
    if (text_field(p, json_object_get(msg, "question"), "\"question\"", POLL_QUESTION_CHARS,
                   "poll_create", req, &poll->question) != 0)
        return -1;
    const char *kind = message_string(msg, "kind");
    if (!kind || poll_kind_parse(kind, &poll->kind) != 0) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "poll_create", req,
                               "\"kind\" must be \"single\", \"multiple\", \"yesno\" or \"open\"");
        return -1;
    }
    json_t *anon = json_object_get(msg, "anonymous");
    if (anon && !json_is_boolean(anon)) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "poll_create", req,
                               "\"anonymous\" must be true or false");
        return -1;
    }
    poll->anonymous = json_is_true(anon);
    return options_field(p, msg, poll, req);
}

void poll_handle_create(struct participant *p, json_t *msg, json_t *req)
{
    if (!rights_allow(p, RIGHT_MANAGE_POLLS)) {
        rights_refuse(p, RIGHT_MANAGE_POLLS, "poll_create", req);
        return;
    }
    struct poll poll;
    memset(&poll, 0, sizeof(poll));
    if (check_create(p, msg, req, &poll) != 0) {
        poll_free(&poll);
        return;
    }
    struct poll_state *ps = state_of(p);
    if (!ps || poll_store_create(p->sig->store, p->lesson->id, ps, &poll, p->sig->now_ms) != 0) {
        poll_free(&poll);
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "poll_create", req,
                               "the poll could not be stored");
        return;
    }
    const struct poll *made = &ps->polls[ps->n - 1];
    signaling_log(p->sig, "poll %lld (%s) created by %s in lesson %s", made->id,
                  poll_kind_name(made->kind), p->id, p->lesson->id);
    json_t *m = poll_json(made, NULL);
    deliver(p->lesson, false, m, p, req);
    recording_note(p->lesson, m);
    json_decref(m);
}

/* ---- finding a poll --------------------------------------------------- */

static struct poll *poll_field(struct participant *p, json_t *msg, const char *ref, json_t *req)
{
    json_t *v = json_object_get(msg, "poll");
    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, ref, req,
                               "\"poll\" must be a poll id (a positive integer)");
        return NULL;
    }
    struct poll_state *ps = state_of(p);
    if (!ps) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, ref, req,
                               "the polls could not be read from the store");
        return NULL;
    }
    struct poll *poll = poll_find(ps, (long long)json_integer_value(v));
    if (!poll)
        participant_send_error(p, MESSAGE_ERR_NOT_FOUND, ref, req,
                               "there is no poll %lld in this lesson",
                               (long long)json_integer_value(v));
    return poll;
}

/* ---- poll_answer ------------------------------------------------------ */

static int check_choices(struct participant *p, json_t *msg, const struct poll *poll,
                         json_t *req, uint16_t *mask)
{
    json_t *c = json_object_get(msg, "choices");
    size_t n = json_array_size(c);
    if (!json_is_array(c) || n == 0 || n > poll->n_options) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "poll_answer", req,
                               "\"choices\" must be an array of 1 to %zu option indexes",
                               poll->n_options);
        return -1;
    }
    if (poll->kind != POLL_MULTIPLE && n != 1) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "poll_answer", req,
                               "a %s poll takes exactly one choice", poll_kind_name(poll->kind));
        return -1;
    }
    *mask = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(c, i);
        json_int_t k = json_integer_value(x);
        if (!json_is_integer(x) || k < 0 || (size_t)k >= poll->n_options ||
            (*mask & (1u << k))) {
            participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "poll_answer", req,
                                   "\"choices\" must hold distinct indexes from 0 to %zu",
                                   poll->n_options - 1);
            return -1;
        }
        *mask |= (uint16_t)(1u << k);
    }
    return 0;
}

/* 0 with v filled (v->text malloc'd for open polls), or an error was sent. */
static int check_answer(struct participant *p, json_t *msg, const struct poll *poll,
                        json_t *req, struct poll_vote *v)
{
    bool has_text = json_object_get(msg, "text") != NULL;
    bool has_choices = json_object_get(msg, "choices") != NULL;
    if (poll->kind == POLL_OPEN) {
        if (has_choices) {
            participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "poll_answer", req,
                                   "an open poll takes \"text\", not \"choices\"");
            return -1;
        }
        return text_field(p, json_object_get(msg, "text"), "\"text\"", POLL_TEXT_CHARS,
                          "poll_answer", req, &v->text);
    }
    if (has_text) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "poll_answer", req,
                               "a %s poll takes \"choices\", not \"text\"",
                               poll_kind_name(poll->kind));
        return -1;
    }
    return check_choices(p, msg, poll, req, &v->choices);
}

static void send_rate_limited(struct participant *p, uint64_t wait_ms, json_t *req)
{
    char text[160];
    snprintf(text, sizeof(text),
             "you are answering too fast: at most %d answers in %d seconds; try again in %.1f s",
             RATE_LIMIT_MAX, POLL_RATE_WINDOW_MS / 1000, (double)wait_ms / 1000.0);
    p->sig->counters.errors[MESSAGE_ERR_RATE_LIMITED]++;
    json_t *m = message_error_new(MESSAGE_ERR_RATE_LIMITED, text, "poll_answer", req);
    json_object_set_new(m, "retry_after_ms", json_integer((json_int_t)wait_ms));
    participant_send(p, m);
}

void poll_handle_answer(struct participant *p, json_t *msg, json_t *req)
{
    if (rights_is_staff(p)) {
        participant_send_error(p, MESSAGE_ERR_FORBIDDEN, "poll_answer", req,
                               "the teacher and assistants do not answer polls");
        return;
    }
    struct poll *poll = poll_field(p, msg, "poll_answer", req);
    if (!poll)
        return;
    if (poll->closed) {
        participant_send_error(p, MESSAGE_ERR_POLL_CLOSED, "poll_answer", req,
                               "poll %lld is closed: answers are no longer accepted", poll->id);
        return;
    }
    struct poll_vote v;
    memset(&v, 0, sizeof(v));
    if (check_answer(p, msg, poll, req, &v) != 0)
        return;
    attendance_identity(p, v.voter);
    if (!poll->anonymous)
        snprintf(v.name, sizeof(v.name), "%s", p->name);
    v.at_ms = p->sig->now_ms;
    struct rate_limit *rate = poll_rate_of(p->lesson->polls, v.voter);
    uint64_t wait = rate ? rate_limit_wait(rate, v.at_ms, POLL_RATE_WINDOW_MS) : 0;
    bool first = false;
    if (wait) {
        send_rate_limited(p, wait, req);
    } else if (!rate || poll_store_vote(p->sig->store, p->lesson->id, poll, &v, &first) != 0) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "poll_answer", req,
                               "the answer could not be stored");
    } else {
        rate_limit_record(rate, v.at_ms);
        json_t *ack = message_new("poll_answer_ack", req);
        json_object_set_new(ack, "poll", json_integer(poll->id));
        participant_send(p, ack);
        send_tally(p->lesson, poll);
        if (first)
            attendance_poll_answered(p->lesson, p);
        attendance_touch(p->lesson, v.at_ms);
    }
    free(v.text);
}

/* ---- poll_close, poll_publish ----------------------------------------- */

/* Closes poll (stored) and tells everyone; `with_req` gets req. 0 or -1. */
static int close_poll(struct participant *p, struct poll *poll, const char *ref,
                      struct participant *with_req, json_t *req)
{
    bool was = poll->closed;
    poll->closed = true;
    if (!was && poll_store_state(p->sig->store, poll, p->sig->now_ms) != 0) {
        poll->closed = false;
        participant_send_error(p, MESSAGE_ERR_INTERNAL, ref, req, "the poll could not be stored");
        return -1;
    }
    if (!was)
        signaling_log(p->sig, "poll %lld closed by %s", poll->id, p->id);
    json_t *m = poll_json(poll, NULL);
    deliver(p->lesson, false, m, with_req, req);
    recording_note(p->lesson, m);
    json_decref(m);
    return 0;
}

void poll_handle_close(struct participant *p, json_t *msg, json_t *req)
{
    if (!rights_allow(p, RIGHT_MANAGE_POLLS)) {
        rights_refuse(p, RIGHT_MANAGE_POLLS, "poll_close", req);
        return;
    }
    struct poll *poll = poll_field(p, msg, "poll_close", req);
    if (poll)
        close_poll(p, poll, "poll_close", p, req);
}

void poll_handle_publish(struct participant *p, json_t *msg, json_t *req)
{
    if (!rights_allow(p, RIGHT_MANAGE_POLLS)) {
        rights_refuse(p, RIGHT_MANAGE_POLLS, "poll_publish", req);
        return;
    }
    struct poll *poll = poll_field(p, msg, "poll_publish", req);
    if (!poll)
        return;
    if (!poll->closed && close_poll(p, poll, "poll_publish", NULL, NULL) != 0)
        return;
    bool was = poll->published;
    poll->published = true;
    if (!was && poll_store_state(p->sig->store, poll, p->sig->now_ms) != 0) {
        poll->published = false;
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "poll_publish", req,
                               "the poll could not be stored");
        return;
    }
    json_t *m = results_json(poll, NULL);
    deliver(p->lesson, false, m, p, req);
    recording_note(p->lesson, m);
    json_decref(m);
}

/* ---- late joiners ----------------------------------------------------- */

void poll_on_join(struct participant *p)
{
    struct poll_state *ps = state_of(p);
    if (!ps)
        return;
    bool staff = rights_is_staff(p);
    char me[ATTENDANCE_IDENTITY_LEN];
    attendance_identity(p, me);
    for (size_t i = 0; i < ps->n; i++) {
        struct poll *poll = &ps->polls[i];
        if (!staff && poll->closed && !poll->published)
            continue;
        json_t *m = poll_json(poll, NULL);
        const struct poll_vote *v = staff ? NULL : poll_vote_find(poll, me);
        if (v)
            json_object_set_new(m, "answer", answer_json(poll, v));
        participant_send(p, m);
        if (staff)
            participant_send(p, tally_json(poll));
        if (poll->published)
            participant_send(p, results_json(poll, NULL));
    }
}
