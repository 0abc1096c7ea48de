/* The classroom test fixture (classroom_fixture.h). */
#include "classroom_fixture.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signaling/access.h"

bool fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/sabaq-classroom-XXXXXX");
    if (!mkdtemp(f->dir))
        return false;
    char err[256];
    f->st = store_open(f->dir, err, sizeof(err));
    if (!f->st)
        return false;
    harness_init(&f->h);
    f->h.sig->store = f->st;
    f->h.sig->now_ms = FIXTURE_T0;
    for (size_t i = 0; i < sizeof(f->h.sig->secret); i++)
        f->h.sig->secret[i] = (unsigned char)(i * 7 + 1);
    snprintf(f->def.title, sizeof(f->def.title), "Algebra 7B");
    snprintf(f->def.language, sizeof(f->def.language), "kk");
    f->def.start_ms = (int64_t)FIXTURE_T0;
    f->def.duration_min = 45;
    f->def.max_participants = 500;
    f->def.owner = 1;
    f->def.created_ms = (int64_t)FIXTURE_T0;
    return lesson_store_init(f->st) == 0 && access_init(f->st) == 0 &&
           lesson_store_create(f->st, &f->def) == 0;
}

void fixture_free(struct fixture *f)
{
    harness_free(&f->h);
    store_close(f->st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
}

static struct fake_conn *join_with(struct fixture *f, char *token, const char *name)
{
    if (!token)
        return NULL;
    json_t *m = json_pack("{s:s, s:s}", "type", "join", "token", token);
    if (name)
        json_object_set_new(m, "name", json_string(name));
    char *text = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    free(token);
    struct fake_conn *c = harness_connect(&f->h);
    harness_send(&f->h, c, text);
    free(text);
    json_t *j = harness_next_of(c, "joined");
    bool ok = j != NULL;
    json_decref(j);
    return ok ? c : NULL;
}

struct fake_conn *fixture_join(struct fixture *f, const char *role, const char *name)
{
    return join_with(f, access_lesson_token(f->h.sig->secret, &f->def, role, 0, NULL), name);
}

struct fake_conn *fixture_join_roster(struct fixture *f, int64_t entry)
{
    return join_with(f, access_lesson_token(f->h.sig->secret, &f->def, "student", entry, NULL),
                     NULL);
}

void fixture_send(struct fixture *f, struct fake_conn *c, const char *fmt, ...)
{
    char buf[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    harness_send(&f->h, c, buf);
}

void fixture_drain(struct fake_conn *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->msgs[i]);
    c->n = c->read = 0;
}

size_t fixture_count(const struct fake_conn *c, const char *type)
{
    size_t n = 0;
    for (size_t i = c->read; i < c->n; i++) {
        json_t *m = json_loads(c->msgs[i], 0, NULL);
        const char *t = json_string_value(json_object_get(m, "type"));
        n += t && strcmp(t, type) == 0;
        json_decref(m);
    }
    return n;
}

json_t *fixture_error(struct fake_conn *c)
{
    return harness_next_of(c, "error");
}

long long fixture_rows(struct fixture *f, const char *sql)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(store_db(f->st), sql, -1, &q, NULL) != SQLITE_OK)
        return -1;
    long long n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    return n;
}
