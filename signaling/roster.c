/* Class lists: the CSV parser (RFC 4180, hostile input: every length is
 * bounded, every field is checked as strict UTF-8 without control
 * characters) and the roster table (see roster.h). */
#include "roster.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "store.h"
#include "text.h"

struct parser {
    const char *s;
    size_t len, pos;
    unsigned line;          /* of the record being read, 1-based */
    char delim;
    char *err;
    size_t cap;
};

static const char *const column_names[3] = {"name", "class", "school"};
static const size_t column_chars[3] = {ROSTER_NAME_CHARS, ROSTER_CLASS_CHARS,
                                       ROSTER_SCHOOL_CHARS};

static int fail(struct parser *p, const char *what)
{
    snprintf(p->err, p->cap, "line %u: %s", p->line, what);
    return -1;
}

static bool at_eol(const struct parser *p)
{
    return p->pos >= p->len || p->s[p->pos] == '\n' || p->s[p->pos] == '\r';
}

/* Excel in Kazakh and Russian locales saves with ';': count both outside
 * quotes on the first line and take the more frequent one. */
static char detect_delimiter(const char *s, size_t len)
{
    size_t commas = 0, semis = 0;
    bool quoted = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            quoted = !quoted;
        else if (!quoted && (s[i] == '\n' || s[i] == '\r'))
            break;
        else if (!quoted && s[i] == ',')
            commas++;
        else if (!quoted && s[i] == ';')
            semis++;
    }
    return semis > commas ? ';' : ',';
}

static int put(struct parser *p, char *out, size_t cap, size_t *n, char c, int col)
{
    if (c == '\0')
        return fail(p, "the file has a NUL byte: is it really a CSV text file?");
    if (*n + 1 >= cap) {
        char msg[96];
        snprintf(msg, sizeof(msg), "the %s is longer than %zu characters", column_names[col],
                 column_chars[col]);
        return fail(p, msg);
    }
    out[(*n)++] = c;
    return 0;
}

static int quoted_field(struct parser *p, char *out, size_t cap, size_t *n, int col)
{
    unsigned start_line = p->line;
    p->pos++;   /* the opening quote */
    for (;;) {
        if (p->pos >= p->len) {
            p->line = start_line;
            return fail(p, "a quoted field is not closed (a \" is missing)");
        }
        char c = p->s[p->pos++];
        if (c == '"') {
            if (p->pos < p->len && p->s[p->pos] == '"') {
                p->pos++;
            } else {
                break;
            }
        } else if (c == '\n') {
            p->line++;
        }
        if (put(p, out, cap, n, c, col) < 0)
            return -1;
    }
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
        p->pos++;
    if (!at_eol(p) && p->s[p->pos] != p->delim)
        return fail(p, "text after a closing quote (write \"\" for a quote inside a field)");
    return 0;
}

static int plain_field(struct parser *p, char *out, size_t cap, size_t *n, int col)
{
    while (!at_eol(p) && p->s[p->pos] != p->delim) {
        char c = p->s[p->pos++];
        if (c == '"')
            return fail(p, "a quote inside a field that does not start with one (quote the "
                           "whole field)");
        if (put(p, out, cap, n, c, col) < 0)
            return -1;
    }
    while (*n && (out[*n - 1] == ' ' || out[*n - 1] == '\t'))
        (*n)--;
    return 0;
}

/* One field into out (NUL-terminated); col picks the limit and the words. */
static int field(struct parser *p, char *out, size_t cap, int col)
{
    size_t n = 0;
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
        p->pos++;
    int rc = p->pos < p->len && p->s[p->pos] == '"' ? quoted_field(p, out, cap, &n, col)
                                                     : plain_field(p, out, cap, &n, col);
    out[n] = '\0';
    if (rc < 0)
        return -1;
    size_t chars = 0;
    switch (text_check(out, n, column_chars[col], false, &chars)) {
    case TEXT_OK:
    case TEXT_EMPTY:
        return 0;
    case TEXT_TOO_LONG: {
        char msg[96];
        snprintf(msg, sizeof(msg), "the %s is longer than %zu characters", column_names[col],
                 column_chars[col]);
        return fail(p, msg);
    }
    case TEXT_INVALID:
        break;
    }
    char msg[128];
    snprintf(msg, sizeof(msg), "the %s is not valid UTF-8 text or has a control character "
                               "(save the file as CSV UTF-8)", column_names[col]);
    return fail(p, msg);
}

static void end_line(struct parser *p)
{
    if (p->pos < p->len && p->s[p->pos] == '\r')
        p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '\n')
        p->pos++;
    p->line++;
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return false;
    return true;
}

/* One record: 1 = a row, 0 = blank line, -1 = error. */
static int record(struct parser *p, struct roster_row *row)
{
    char *cols[3] = {row->name, row->klass, row->school};
    const size_t caps[3] = {sizeof(row->name), sizeof(row->klass), sizeof(row->school)};
    memset(row, 0, sizeof(*row));
    int n = 0;
    for (;;) {
        if (n == 3)
            return fail(p, "more than 3 columns (name, class, school)");
        if (field(p, cols[n], caps[n], n) < 0)
            return -1;
        n++;
        if (at_eol(p))
            break;
        p->pos++;   /* the delimiter */
    }
    if (n == 1 && blank(row->name))
        return 0;
    if (blank(row->name))
        return fail(p, "the name is empty");
    return 1;
}

static bool is_header(const struct roster_row *r)
{
    static const char *const words[] = {"name", "имя", "Имя", "ИМЯ", "фио", "ФИО", "Фио",
                                        "аты", "Аты", "АТЫ", "аты-жөні", "Аты-жөні", "student",
                                        "ученик", "Ученик", "оқушы", "Оқушы"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasecmp(r->name, words[i]) == 0)
            return true;
    return false;
}

int roster_parse(const char *csv, size_t len, struct roster_row **rows, char *err, size_t cap)
{
    *rows = NULL;
    if (len > ROSTER_MAX_BYTES) {
        snprintf(err, cap, "the file is larger than %d KiB", ROSTER_MAX_BYTES / 1024);
        return -1;
    }
    struct parser p = {csv, len, 0, 1, ',', err, cap};
    if (len >= 3 && memcmp(csv, "\xEF\xBB\xBF", 3) == 0)
        p.pos = 3;
    p.delim = detect_delimiter(csv + p.pos, len - p.pos);
    struct roster_row *out = NULL, row;
    int n = 0;
    bool first = true;
    while (p.pos < p.len) {
        int rc = record(&p, &row);
        if (rc < 0) {
            free(out);
            return -1;
        }
        end_line(&p);
        if (rc == 0)
            continue;
        if (first && is_header(&row)) {
            first = false;
            continue;
        }
        first = false;
        if (n == ROSTER_MAX_ROWS) {
            snprintf(err, cap, "more than %d students", ROSTER_MAX_ROWS);
            free(out);
            return -1;
        }
        if (!out && !(out = malloc(ROSTER_MAX_ROWS * sizeof(*out)))) {
            snprintf(err, cap, "out of memory");
            return -1;
        }
        out[n++] = row;
    }
    if (!n)
        snprintf(err, cap, "the file has no students (one name per line)");
    *rows = out;
    return n ? n : -1;
}

/* ---- the table ------------------------------------------------------------ */

#define COLUMNS "id, lesson, name, class, school, created_ms, revoked_ms"

int roster_init(struct store *st)
{
    return store_schema(st, "CREATE TABLE IF NOT EXISTS roster ("
                            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
                            " lesson TEXT NOT NULL,"
                            " name TEXT NOT NULL,"
                            " class TEXT NOT NULL DEFAULT '',"
                            " school TEXT NOT NULL DEFAULT '',"
                            " created_ms INTEGER NOT NULL,"
                            " revoked_ms INTEGER NOT NULL DEFAULT 0);"
                            "CREATE INDEX IF NOT EXISTS roster_lesson ON roster (lesson, id);");
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -SQ_EIO;
}

int roster_add(struct store *st, const char *lesson, const struct roster_row *rows, size_t n,
               int64_t now_ms, int64_t *ids)
{
    sqlite3 *db = store_db(st);
    sqlite3_stmt *q = NULL;
    if (exec(db, "BEGIN IMMEDIATE") < 0)
        return -SQ_EIO;
    int rc = sqlite3_prepare_v2(db, "INSERT INTO roster (lesson, name, class, school, "
                                    "created_ms) VALUES (?,?,?,?,?)", -1, &q, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
        sqlite3_reset(q);
        sqlite3_bind_text(q, 1, lesson, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, rows[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, rows[i].klass, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, rows[i].school, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, now_ms);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = SQLITE_ERROR;
        else if (ids)
            ids[i] = sqlite3_last_insert_rowid(db);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_OK || exec(db, "COMMIT") < 0) {
        exec(db, "ROLLBACK");
        return -SQ_EIO;
    }
    return 0;
}

static void read_row(sqlite3_stmt *q, struct roster_entry *e)
{
    memset(e, 0, sizeof(*e));
    e->id = sqlite3_column_int64(q, 0);
    store_column_text(q, 1, e->lesson, sizeof(e->lesson));
    store_column_text(q, 2, e->row.name, sizeof(e->row.name));
    store_column_text(q, 3, e->row.klass, sizeof(e->row.klass));
    store_column_text(q, 4, e->row.school, sizeof(e->row.school));
    e->created_ms = sqlite3_column_int64(q, 5);
    e->revoked_ms = sqlite3_column_int64(q, 6);
}

int roster_get(struct store *st, int64_t id, struct roster_entry *out)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), "SELECT " COLUMNS " FROM roster WHERE id = ?", -1, &q,
                           NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_int64(q, 1, id);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        read_row(q, out);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -SQ_ENOTFOUND : -SQ_EIO;
}

int roster_list(struct store *st, const char *lesson,
                void (*fn)(const struct roster_entry *e, void *arg), void *arg)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), "SELECT " COLUMNS " FROM roster WHERE lesson = ? "
                                         "ORDER BY id", -1, &q, NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, lesson, -1, SQLITE_STATIC);
    int rc, n = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct roster_entry e;
        read_row(q, &e);
        fn(&e, arg);
        n++;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? n : -SQ_EIO;
}

static int update(struct store *st, const char *sql, int64_t id, int64_t now_ms)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(st), sql, -1, &q, NULL) != SQLITE_OK)
        return -SQ_EIO;
    sqlite3_bind_int64(q, 1, now_ms);
    sqlite3_bind_int64(q, 2, id);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

int roster_revoke(struct store *st, const char *lesson, int64_t id, int64_t now_ms)
{
    struct roster_entry e;
    int rc = roster_get(st, id, &e);
    if (rc < 0)
        return rc;
    if (strcmp(e.lesson, lesson) != 0)
        return -SQ_ENOTFOUND;
    if (e.revoked_ms)
        return -SQ_ESTATE;
    return update(st, "UPDATE roster SET revoked_ms = ? WHERE id = ?", id, now_ms);
}
