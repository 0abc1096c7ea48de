/* Lesson chat (see chat.h): validation, the rate limit, the store (table
 * chat_message, one row per message; chat_setting, the lesson's on/off),
 * delivery to the right people and the history replayed to late joiners. */
#include "chat.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "attendance.h"
#include "lesson.h"
#include "participant.h"
#include "rate_limit.h"
#include "recording.h"
#include "rights.h"
#include "store.h"
#include "text.h"

struct chat_sender {
    char identity[ATTENDANCE_IDENTITY_LEN];
    struct rate_limit rate;
};

struct chat_state {
    bool enabled;
    struct chat_sender *senders;   /* owned array: one per identity that has sent */
    size_t n_senders, cap_senders;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS chat_message("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " lesson_id TEXT NOT NULL,"
    " sender TEXT NOT NULL,"          /* attendance_identity() */
    " participant TEXT NOT NULL,"     /* the sender's participant id then */
    " name TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " to_staff INTEGER NOT NULL,"
    " text TEXT NOT NULL,"
    " at_ms INTEGER NOT NULL,"
    " deleted_ms INTEGER);"
    "CREATE INDEX IF NOT EXISTS chat_message_lesson ON chat_message(lesson_id, id);"
    "CREATE TABLE IF NOT EXISTS chat_setting("
    " lesson_id TEXT PRIMARY KEY,"
    " enabled INTEGER NOT NULL);";

int chat_store_init(struct store *st)
{
    return store_schema(st, schema);
}

static struct store *store_of(const struct lesson *l)
{
    return l->sig ? l->sig->store : NULL;
}

static int load_enabled(struct store *st, const char *lesson_id, bool *enabled)
{
    *enabled = true;
    if (!st || chat_store_init(st) != 0)
        return -SQ_EIO;
    sqlite3_stmt *q = store_prepare(st, "SELECT enabled FROM chat_setting WHERE lesson_id = ?");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, lesson_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *enabled = sqlite3_column_int(q, 0) != 0;
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

/* l->chat, loaded from the store at first use. NULL when out of memory. */
static struct chat_state *state_of(struct lesson *l, struct store *st)
{
    if (l->chat)
        return l->chat;
    struct chat_state *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    load_enabled(st, l->id, &c->enabled);
    l->chat = c;
    return c;
}

bool chat_is_enabled(const struct lesson *l)
{
    if (!l)
        return false;
    if (l->chat)
        return l->chat->enabled;
    bool enabled;
    load_enabled(store_of(l), l->id, &enabled);   /* not cached: l is const here */
    return enabled;
}

void chat_lesson_free(struct lesson *l)
{
    if (!l->chat)
        return;
    free(l->chat->senders);
    free(l->chat);
    l->chat = NULL;
}

static struct chat_sender *sender_of(struct chat_state *c, const char *identity)
{
    for (size_t i = 0; i < c->n_senders; i++)
        if (strcmp(c->senders[i].identity, identity) == 0)
            return &c->senders[i];
    if (c->n_senders == c->cap_senders) {
        size_t cap = c->cap_senders ? c->cap_senders * 2 : 16;
        struct chat_sender *a = realloc(c->senders, cap * sizeof(*a));
        if (!a)
            return NULL;
        c->senders = a;
        c->cap_senders = cap;
    }
    struct chat_sender *s = &c->senders[c->n_senders++];
    memset(s, 0, sizeof(*s));
    snprintf(s->identity, sizeof(s->identity), "%s", identity);
    return s;
}

/* Who sees a message: everyone for public ones; staff and the sender's
 * identity for private ones. */
static bool may_see(const struct participant *m, bool to_staff, const char *sender)
{
    if (!to_staff || rights_is_staff(m))
        return true;
    char id[ATTENDANCE_IDENTITY_LEN];
    attendance_identity(m, id);
    return strcmp(id, sender) == 0;
}

/* Sends msg (borrowed) to every member who may see it; `with_req` gets a
 * copy carrying req (the direct reply). */
static void deliver(struct lesson *l, bool to_staff, const char *sender, json_t *msg,
                    struct participant *with_req, json_t *req)
{
    for (struct participant *m = l->members; m; m = m->next_in_lesson) {
        if (m == with_req && req) {
            json_t *copy = json_copy(msg);
            json_object_set(copy, "req", req);
            participant_send(m, copy);
        } else if (may_see(m, to_staff, sender)) {
            participant_send(m, json_incref(msg));
        }
    }
}

static void send_text_error(struct participant *p, enum text_result r, size_t chars,
                            json_t *req)
{
    switch (r) {
    case TEXT_TOO_LONG:
        participant_send_error(p, MESSAGE_ERR_TOO_LONG, "chat_send", req,
                               "a chat message may have at most %d characters; this one has %zu",
                               CHAT_MAX_CHARS, chars);
        break;
    case TEXT_EMPTY:
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "chat_send", req,
                               "\"text\" is empty");
        break;
    default:
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "chat_send", req,
                               "\"text\" is not valid UTF-8 or holds control characters");
        break;
    }
}

static void send_rate_limited(struct participant *p, uint64_t wait_ms, json_t *req)
{
    char text[200];
    snprintf(text, sizeof(text),
             "you are sending messages too fast: at most %d in %d seconds; try again in "
             "%.1f s",
             CHAT_RATE_COUNT, CHAT_RATE_WINDOW_MS / 1000, (double)wait_ms / 1000.0);
    p->sig->counters.errors[MESSAGE_ERR_RATE_LIMITED]++;
    json_t *m = message_error_new(MESSAGE_ERR_RATE_LIMITED, text, "chat_send", req);
    json_object_set_new(m, "retry_after_ms", json_integer((json_int_t)wait_ms));
    participant_send(p, m);
}

struct chat_row {
    long long id;
    const char *sender, *participant, *name, *role, *text;
    bool to_staff;
    uint64_t at_ms;
};

static long long insert(struct store *st, const char *lesson_id, const struct chat_row *r)
{
    sqlite3_stmt *q = store_prepare(st, "INSERT INTO chat_message(lesson_id, sender, participant, "
                                  "name, role, to_staff, text, at_ms) VALUES (?,?,?,?,?,?,?,?)");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, lesson_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, r->sender, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, r->participant, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, r->role, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 6, r->to_staff);
    sqlite3_bind_text(q, 7, r->text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 8, (sqlite3_int64)r->at_ms);
    /* Autocommit with synchronous=FULL: when step returns, the row is on disk. */
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return -SQ_EIO;
    return (long long)sqlite3_last_insert_rowid(store_db(st));
}

static json_t *chat_json(const struct chat_row *r)
{
    json_t *m = message_new("chat", NULL);
    json_object_set_new(m, "id", json_integer(r->id));
    json_object_set_new(m, "from", json_string(r->participant));
    json_object_set_new(m, "name", json_string(r->name));
    json_object_set_new(m, "role", json_string(r->role));
    json_object_set_new(m, "to", json_string(r->to_staff ? "staff" : "all"));
    json_object_set_new(m, "text", json_string(r->text));
    json_object_set_new(m, "at", json_integer((json_int_t)r->at_ms));
    return m;
}

/* 0 with *text and *to_staff set, or an error was sent. */
static int check_send(struct participant *p, json_t *msg, json_t *req, const char **text,
                      bool *to_staff)
{
    json_t *t = json_object_get(msg, "text");
    if (!json_is_string(t)) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "chat_send", req,
                               "\"text\" must be a string");
        return -1;
    }
    size_t len = json_string_length(t), chars = 0;
    *text = json_string_value(t);
    /* jansson has checked UTF-8 when parsing; this also catches a NUL from
     * "\u0000", control characters, and strings built by other paths. */
    enum text_result r = text_check(*text, len, CHAT_MAX_CHARS, true, &chars);
    if (r != TEXT_OK) {
        send_text_error(p, r, chars, req);
        return -1;
    }
    json_t *to = json_object_get(msg, "to");
    const char *tv = to ? (json_is_string(to) ? json_string_value(to) : "") : "all";
    if (strcmp(tv, "all") != 0 && strcmp(tv, "staff") != 0) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "chat_send", req,
                               "\"to\" must be \"all\" or \"staff\"");
        return -1;
    }
    *to_staff = strcmp(tv, "staff") == 0;
    return 0;
}

void chat_handle_send(struct participant *p, json_t *msg, json_t *req)
{
    struct lesson *l = p->lesson;
    struct store *st = p->sig->store;
    if (!rights_allow(p, RIGHT_CHAT)) {
        rights_refuse(p, RIGHT_CHAT, "chat_send", req);
        return;
    }
    struct chat_row r = {0};
    if (check_send(p, msg, req, &r.text, &r.to_staff) != 0)
        return;
    char identity[ATTENDANCE_IDENTITY_LEN];
    attendance_identity(p, identity);
    struct chat_state *c = state_of(l, st);
    struct chat_sender *s = c ? sender_of(c, identity) : NULL;
    if (!s) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "chat_send", req, "out of memory");
        return;
    }
    uint64_t now = p->sig->now_ms;
    uint64_t wait = rate_limit_wait(&s->rate, now, CHAT_RATE_WINDOW_MS);
    if (wait) {
        send_rate_limited(p, wait, req);
        return;
    }
    r.sender = identity;
    r.participant = p->id;
    r.name = p->name;
    r.role = p->role;
    r.at_ms = now;
    r.id = st ? insert(st, l->id, &r) : -SQ_EIO;
    if (r.id < 0) {
        signaling_log(p->sig, "chat: cannot store a message of %s in lesson %s", p->id, l->id);
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "chat_send", req,
                               "the message could not be stored; it was not sent");
        return;
    }
    rate_limit_record(&s->rate, now);
    json_t *ack = message_new("chat_ack", req);
    json_object_set_new(ack, "id", json_integer(r.id));
    participant_send(p, ack);
    json_t *m = chat_json(&r);
    deliver(l, r.to_staff, identity, m, NULL, NULL);
    recording_note(l, m);   /* public messages only: timeline_event_of checks "to" */
    json_decref(m);
    attendance_chat_sent(l, p);
    attendance_touch(l, now);
}

/* ---- moderation ------------------------------------------------------- */

static json_t *integer_field(struct participant *p, json_t *msg, const char *key,
                             const char *ref, json_t *req)
{
    json_t *v = json_object_get(msg, key);
    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, ref, req,
                               "\"%s\" must be a positive integer", key);
        return NULL;
    }
    return v;
}

/* 1 found (with *to_staff, *sender malloc'd, *deleted), 0 not found, <0 error. */
static int find_message(struct store *st, const char *lesson_id, long long id, bool *to_staff,
                        char **sender, bool *deleted)
{
    sqlite3_stmt *q = store_prepare(st, "SELECT to_staff, sender, deleted_ms IS NOT NULL "
                                  "FROM chat_message WHERE id = ? AND lesson_id = ?");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_text(q, 2, lesson_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q), found = 0;
    if (rc == SQLITE_ROW) {
        *to_staff = sqlite3_column_int(q, 0) != 0;
        *sender = strdup((const char *)sqlite3_column_text(q, 1));
        *deleted = sqlite3_column_int(q, 2) != 0;
        found = *sender ? 1 : -SQ_ENOMEM;
    } else if (rc != SQLITE_DONE) {
        found = -SQ_EIO;
    }
    sqlite3_finalize(q);
    return found;
}

static int mark_deleted(struct store *st, long long id, uint64_t now_ms)
{
    sqlite3_stmt *q = store_prepare(st, "UPDATE chat_message SET deleted_ms = ? "
                                  "WHERE id = ? AND deleted_ms IS NULL");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)now_ms);
    sqlite3_bind_int64(q, 2, id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

void chat_handle_delete(struct participant *p, json_t *msg, json_t *req)
{
    struct store *st = p->sig->store;
    if (!rights_allow(p, RIGHT_MODERATE_CHAT)) {
        rights_refuse(p, RIGHT_MODERATE_CHAT, "chat_delete", req);
        return;
    }
    json_t *v = integer_field(p, msg, "id", "chat_delete", req);
    if (!v)
        return;
    state_of(p->lesson, st);   /* makes the tables after a restart */
    long long id = (long long)json_integer_value(v);
    bool to_staff = false, deleted = false;
    char *sender = NULL;
    int found = st ? find_message(st, p->lesson->id, id, &to_staff, &sender, &deleted) : -SQ_EIO;
    if (found == 0) {
        participant_send_error(p, MESSAGE_ERR_NOT_FOUND, "chat_delete", req,
                               "there is no chat message %lld in this lesson", id);
        return;
    }
    if (found < 0 || (!deleted && mark_deleted(st, id, p->sig->now_ms) != 0)) {
        free(sender);
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "chat_delete", req,
                               "the message could not be deleted");
        return;
    }
    signaling_log(p->sig, "chat: %s deleted message %lld in lesson %s", p->id, id,
                  p->lesson->id);
    json_t *m = message_new("chat_deleted", NULL);
    json_object_set_new(m, "id", json_integer(id));
    deliver(p->lesson, to_staff, sender, m, p, req);
    if (!to_staff)
        recording_note(p->lesson, m);
    json_decref(m);
    free(sender);
}

static int store_enabled(struct store *st, const char *lesson_id, bool enabled)
{
    sqlite3_stmt *q = store_prepare(st, "INSERT INTO chat_setting(lesson_id, enabled) VALUES (?, ?) "
                                  "ON CONFLICT(lesson_id) DO UPDATE SET enabled = excluded.enabled");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, lesson_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, enabled);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

static json_t *state_json(bool enabled)
{
    json_t *m = message_new("chat_state", NULL);
    json_object_set_new(m, "enabled", json_boolean(enabled));
    return m;
}

void chat_handle_set_enabled(struct participant *p, json_t *msg, json_t *req)
{
    struct store *st = p->sig->store;
    if (!rights_allow(p, RIGHT_MODERATE_CHAT)) {
        rights_refuse(p, RIGHT_MODERATE_CHAT, "chat_set_enabled", req);
        return;
    }
    json_t *v = json_object_get(msg, "enabled");
    if (!json_is_boolean(v)) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "chat_set_enabled", req,
                               "\"enabled\" must be true or false");
        return;
    }
    struct chat_state *c = state_of(p->lesson, st);
    if (!c || !st || store_enabled(st, p->lesson->id, json_is_true(v)) != 0) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "chat_set_enabled", req,
                               "the setting could not be stored");
        return;
    }
    c->enabled = json_is_true(v);
    signaling_log(p->sig, "chat: %s turned the chat %s in lesson %s", p->id,
                  c->enabled ? "on" : "off", p->lesson->id);
    json_t *m = state_json(c->enabled);
    deliver(p->lesson, false, "", m, p, req);
    json_decref(m);
}

/* ---- history ---------------------------------------------------------- */

/* The last CHAT_HISTORY messages p may see, oldest first. */
static json_t *history(struct store *st, const char *lesson_id, const char *identity,
                       bool staff)
{
    json_t *list = json_array();
    sqlite3_stmt *q = store_prepare(
        st, "SELECT id, participant, name, role, to_staff, text, at_ms, sender = ?2 "
            "FROM chat_message WHERE lesson_id = ?1 AND deleted_ms IS NULL "
            "AND (to_staff = 0 OR ?3 OR sender = ?2) ORDER BY id DESC LIMIT ?4");
    if (!q)
        return list;
    sqlite3_bind_text(q, 1, lesson_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, identity, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, staff);
    sqlite3_bind_int(q, 4, CHAT_HISTORY);
    while (sqlite3_step(q) == SQLITE_ROW) {
        struct chat_row r = {
            .id = sqlite3_column_int64(q, 0),
            .participant = (const char *)sqlite3_column_text(q, 1),
            .name = (const char *)sqlite3_column_text(q, 2),
            .role = (const char *)sqlite3_column_text(q, 3),
            .to_staff = sqlite3_column_int(q, 4) != 0,
            .text = (const char *)sqlite3_column_text(q, 5),
            .at_ms = (uint64_t)sqlite3_column_int64(q, 6),
        };
        json_t *m = chat_json(&r);
        json_object_del(m, "type");
        if (sqlite3_column_int(q, 7))
            json_object_set_new(m, "mine", json_true());
        json_array_insert_new(list, 0, m);
    }
    sqlite3_finalize(q);
    return list;
}

void chat_on_join(struct participant *p)
{
    struct store *st = p->sig->store;
    struct chat_state *c = state_of(p->lesson, st);
    participant_send(p, state_json(c ? c->enabled : true));
    if (!st)
        return;
    char identity[ATTENDANCE_IDENTITY_LEN];
    attendance_identity(p, identity);
    json_t *m = message_new("chat_history", NULL);
    json_object_set_new(m, "messages", history(st, p->lesson->id, identity, rights_is_staff(p)));
    participant_send(p, m);
}

int chat_count_by_sender(struct store *st, const char *lesson_id,
                         void (*fn)(const char *identity, long long n, void *arg), void *arg)
{
    if (chat_store_init(st) != 0)
        return -SQ_EIO;
    return store_count_by(st, "SELECT sender, count(*) FROM chat_message "
                              "WHERE lesson_id = ? GROUP BY sender", lesson_id, fn, arg);
}
