/* Lesson tokens and the links table (see access.h). */
#include "access.h"

#include <stdio.h>
#include <string.h>

#include "sabaq/error.h"
#include "message.h"
#include "roster.h"
#include "store.h"

int access_init(struct store *st)
{
    return store_schema(st, "CREATE TABLE IF NOT EXISTS lesson_links ("
                            " lesson TEXT NOT NULL,"
                            " link TEXT NOT NULL,"
                            " used_ms INTEGER NOT NULL DEFAULT 0,"
                            " removed_ms INTEGER NOT NULL DEFAULT 0,"
                            " PRIMARY KEY (lesson, link))");
}

char *access_lesson_token(const unsigned char *secret, const struct lesson_def *d,
                          const char *role, int64_t entry, const char *nonce)
{
    json_t *p = json_pack("{s:s, s:s, s:s, s:I}", "k", "lesson", "l", d->id, "r", role, "x",
                          (json_int_t)(lesson_store_links_expire_ms(d) / 1000));
    if (!p)
        return NULL;
    if (entry)
        json_object_set_new(p, "e", json_integer((json_int_t)entry));
    if (nonce)
        json_object_set_new(p, "n", json_string(nonce));
    char *t = auth_token_make(secret, p);
    json_decref(p);
    return t;
}

static bool is_role(const char *r)
{
    return r && (!strcmp(r, "teacher") || !strcmp(r, "assistant") || !strcmp(r, "student"));
}

static bool is_nonce(const char *n)
{
    size_t len = n ? strlen(n) : 0;
    if (len < 1 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((n[i] >= 'A' && n[i] <= 'Z') || (n[i] >= 'a' && n[i] <= 'z') ||
              (n[i] >= '0' && n[i] <= '9')))
            return false;
    return true;
}

/* The payload's fields into out; AUTH_BAD_TOKEN when any is malformed. */
static enum auth_result read_payload(const json_t *p, struct access_grant *out,
                                     const char **lesson)
{
    const char *role = message_string(p, "r");
    json_t *e = json_object_get(p, "e"), *n = json_object_get(p, "n");
    *lesson = message_string(p, "l");
    if (strcmp(message_string(p, "k"), "lesson") != 0 || !*lesson ||
        !message_is_lesson_id(*lesson) || !is_role(role))
        return AUTH_BAD_TOKEN;
    if ((e && (!json_is_integer(e) || json_integer_value(e) <= 0)) ||
        (n && !is_nonce(json_string_value(n))))
        return AUTH_BAD_TOKEN;
    snprintf(out->role, sizeof(out->role), "%s", role);
    if (e) {
        out->entry = (int64_t)json_integer_value(e);
        snprintf(out->link, sizeof(out->link), "r%lld", (long long)out->entry);
    } else if (n) {
        snprintf(out->link, sizeof(out->link), "n%s", json_string_value(n));
        out->single_use = true;
    }
    return AUTH_OK;
}

static enum auth_result check_entry(struct store *st, struct access_grant *out)
{
    struct roster_entry r;
    int rc = roster_get(st, out->entry, &r);
    if (rc == -SQ_ENOTFOUND || (rc == 0 && strcmp(r.lesson, out->def.id) != 0))
        return AUTH_WRONG_LESSON;
    if (rc < 0)
        return AUTH_INTERNAL;
    if (r.revoked_ms)
        return AUTH_REVOKED;
    snprintf(out->name, sizeof(out->name), "%s", r.row.name);
    out->single_use = out->def.single_use;
    return AUTH_OK;
}

enum auth_result access_check(struct store *st, const unsigned char *secret, const char *token,
                              int64_t now_ms, struct access_grant *out)
{
    memset(out, 0, sizeof(*out));
    json_t *p = NULL;
    enum auth_result r = auth_token_verify(secret, token, now_ms, &p);
    if (r != AUTH_OK)
        return r;
    const char *lesson = NULL;
    r = read_payload(p, out, &lesson);
    int rc = r == AUTH_OK ? lesson_store_get(st, lesson, &out->def) : 0;
    json_decref(p);
    if (r != AUTH_OK)
        return r;
    if (rc == -SQ_ENOTFOUND)
        return AUTH_WRONG_LESSON;
    if (rc < 0)
        return AUTH_INTERNAL;
    if (out->def.ended_ms)
        return AUTH_ENDED;
    if (out->entry && (r = check_entry(st, out)) != AUTH_OK)
        return r;
    if (out->link[0] &&
        access_link_state(st, out->def.id, out->link, &out->used, &out->removed) < 0)
        return AUTH_INTERNAL;
    return AUTH_OK;
}

static int upsert(struct store *st, const char *sql, const char *lesson, const char *link,
                  int64_t value)
{
    if (!link[0])
        return 0;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, lesson, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, link, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, value);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

int access_mark_used(struct store *st, const char *lesson, const char *link, int64_t now_ms)
{
    return upsert(st, "INSERT INTO lesson_links (lesson, link, used_ms) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT (lesson, link) DO UPDATE SET used_ms = ?3 WHERE used_ms = 0",
                  lesson, link, now_ms);
}

int access_set_removed(struct store *st, const char *lesson, const char *link, bool removed,
                       int64_t now_ms)
{
    return upsert(st, "INSERT INTO lesson_links (lesson, link, removed_ms) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT (lesson, link) DO UPDATE SET removed_ms = ?3",
                  lesson, link, removed ? (now_ms ? now_ms : 1) : 0);
}

int access_link_state(struct store *st, const char *lesson, const char *link, bool *used,
                      bool *removed)
{
    *used = *removed = false;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), "SELECT used_ms, removed_ms FROM lesson_links WHERE "
                                         "lesson = ? AND link = ?", -1, &q, NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, lesson, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, link, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *used = sqlite3_column_int64(q, 0) != 0;
        *removed = sqlite3_column_int64(q, 1) != 0;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -SQ_EIO;
}
