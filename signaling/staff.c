/* The staff table and staff tokens (see staff.h). Statements are prepared
 * per call: these run a few times a day, not per packet. */
#include "staff.h"

#include <stdio.h>
#include <string.h>

#include "sabaq/error.h"
#include "store.h"
#include "text.h"

int staff_init(struct store *st)
{
    return store_schema(st, "CREATE TABLE IF NOT EXISTS staff ("
                            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                            " name TEXT NOT NULL,"
                            " role TEXT NOT NULL CHECK (role IN ('teacher','assistant')),"
                            " created_ms INTEGER NOT NULL,"
                            " revoked_ms INTEGER NOT NULL DEFAULT 0)");
}

static void read_row(sqlite3_stmt *q, struct staff *m)
{
    m->id = sqlite3_column_int64(q, 0);
    store_column_text(q, 1, m->name, sizeof(m->name));
    store_column_text(q, 2, m->role, sizeof(m->role));
    m->created_ms = sqlite3_column_int64(q, 3);
    m->revoked_ms = sqlite3_column_int64(q, 4);
}

int staff_add(struct store *st, const char *name, const char *role, int64_t now_ms,
              struct staff *out, char *err, size_t cap)
{
    if (!name || text_check(name, strlen(name), 64, false, NULL) != TEXT_OK) {
        snprintf(err, cap, "the name must be 1-64 characters of UTF-8 without control "
                           "characters");
        return -SQ_EINVAL;
    }
    if (!role || (strcmp(role, "teacher") && strcmp(role, "assistant"))) {
        snprintf(err, cap, "the role must be \"teacher\" or \"assistant\"");
        return -SQ_EINVAL;
    }
    sqlite3 *db = store_db(st);
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(db, "INSERT INTO staff (name, role, created_ms) VALUES (?,?,?)",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 2, role, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, now_ms);
        rc = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        snprintf(err, cap, "cannot store the staff member: %s", sqlite3_errmsg(db));
        return -SQ_EIO;
    }
    memset(out, 0, sizeof(*out));
    out->id = sqlite3_last_insert_rowid(db);
    snprintf(out->name, sizeof(out->name), "%s", name);
    snprintf(out->role, sizeof(out->role), "%s", role);
    out->created_ms = now_ms;
    return 0;
}

int staff_get(struct store *st, int64_t id, struct staff *out)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), "SELECT id, name, role, created_ms, revoked_ms FROM "
                                         "staff WHERE id = ?", -1, &q, NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        read_row(q, out);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -SQ_ENOTFOUND : -SQ_EIO;
}

int staff_list(struct store *st, void (*fn)(const struct staff *m, void *arg), void *arg)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), "SELECT id, name, role, created_ms, revoked_ms FROM "
                                         "staff ORDER BY id", -1, &q, NULL) != SQLITE_OK)
        return -SQ_EIO;
    int n = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct staff m;
        read_row(q, &m);
        fn(&m, arg);
        n++;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? n : -SQ_EIO;
}

int staff_revoke(struct store *st, int64_t id, int64_t now_ms)
{
    struct staff m;
    int rc = staff_get(st, id, &m);
    if (rc < 0)
        return rc;
    if (m.revoked_ms)
        return -SQ_ESTATE;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), "UPDATE staff SET revoked_ms = ? WHERE id = ?", -1, &q,
                           NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_int64(q, 1, now_ms);
    sqlite3_bind_int64(q, 2, id);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

int64_t staff_count(struct store *st)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), "SELECT COUNT(*) FROM staff", -1, &q, NULL) !=
        SQLITE_OK)
        return -SQ_EIO;
    int64_t n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -SQ_EIO;
    sqlite3_finalize(q);
    return n;
}

static char *token(const unsigned char *secret, const char *kind, int64_t id, int64_t now_ms,
                   int days)
{
    json_t *p = json_pack("{s:s, s:I, s:I}", "k", kind, "s", (json_int_t)id, "x",
                          (json_int_t)(now_ms / 1000 + (int64_t)days * 86400));
    char *t = p ? auth_token_make(secret, p) : NULL;
    json_decref(p);
    return t;
}

char *staff_signin_token(const unsigned char *secret, int64_t id, int64_t now_ms)
{
    return token(secret, "signin", id, now_ms, STAFF_SIGNIN_DAYS);
}

char *staff_session_token(const unsigned char *secret, int64_t id, int64_t now_ms)
{
    return token(secret, "session", id, now_ms, STAFF_SESSION_DAYS);
}

enum auth_result staff_verify(struct store *st, const unsigned char *secret, const char *token,
                              const char *kind, int64_t now_ms, struct staff *out)
{
    json_t *p = NULL;
    enum auth_result r = auth_token_verify(secret, token, now_ms, &p);
    if (r != AUTH_OK)
        return r;
    json_t *id = json_object_get(p, "s");
    bool ok = strcmp(json_string_value(json_object_get(p, "k")), kind) == 0 && json_is_integer(id);
    int64_t sid = ok ? (int64_t)json_integer_value(id) : 0;
    json_decref(p);
    if (!ok)
        return AUTH_BAD_TOKEN;
    int rc = staff_get(st, sid, out);
    if (rc == -SQ_ENOTFOUND)
        return AUTH_REVOKED;   /* a data directory started afresh with the same secret */
    if (rc < 0)
        return AUTH_INTERNAL;
    return out->revoked_ms ? AUTH_REVOKED : AUTH_OK;
}
