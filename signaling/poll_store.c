/* Polls in memory and in SQLite, and the polls CSV (see poll_store.h).
 * Options and chosen indexes are stored as JSON arrays so the rows read
 * well in the sqlite3 shell; a poll's voter identity is kept even when the
 * poll is anonymous (one answer per person needs it), but not the name. */
#include "poll_store.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "csv.h"
#include "store.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS poll("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " lesson_id TEXT NOT NULL,"
    " question TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " options TEXT NOT NULL,"        /* JSON array of strings */
    " anonymous INTEGER NOT NULL,"
    " closed INTEGER NOT NULL DEFAULT 0,"
    " published INTEGER NOT NULL DEFAULT 0,"
    " created_ms INTEGER NOT NULL,"
    " closed_ms INTEGER);"
    "CREATE INDEX IF NOT EXISTS poll_lesson ON poll(lesson_id, id);"
    "CREATE TABLE IF NOT EXISTS poll_vote("
    " poll_id INTEGER NOT NULL REFERENCES poll(id),"
    " lesson_id TEXT NOT NULL,"
    " voter TEXT NOT NULL,"
    " name TEXT,"                    /* NULL in an anonymous poll */
    " choices TEXT,"                 /* JSON array of option indexes, NULL for open */
    " text TEXT,"                    /* the open answer */
    " at_ms INTEGER NOT NULL,"
    " PRIMARY KEY(poll_id, voter));"
    "CREATE INDEX IF NOT EXISTS poll_vote_lesson ON poll_vote(lesson_id, voter);";

int poll_store_init(struct store *st)
{
    return store_schema(st, schema);
}

static const char *const kind_names[] = {"single", "multiple", "yesno", "open"};

const char *poll_kind_name(enum poll_kind k)
{
    return (unsigned)k < 4 ? kind_names[k] : "single";
}

int poll_kind_parse(const char *name, enum poll_kind *out)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (enum poll_kind)i;
            return 0;
        }
    return -1;
}

static int step_done(struct store *st, sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);
    if (rc != SQLITE_DONE)
        fprintf(stderr, "sabaq: poll: %s\n", sqlite3_errmsg(store_db(st)));
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

/* ---- the model -------------------------------------------------------- */

void poll_free(struct poll *p)
{
    free(p->question);
    for (size_t i = 0; i < p->n_options; i++)
        free(p->options[i]);
    for (size_t i = 0; i < p->n_votes; i++)
        free(p->votes[i].text);
    free(p->votes);
    memset(p, 0, sizeof(*p));
}

void poll_state_free(struct poll_state *ps)
{
    if (!ps)
        return;
    for (size_t i = 0; i < ps->n; i++)
        poll_free(&ps->polls[i]);
    free(ps->polls);
    free(ps->rates);
    free(ps);
}

struct poll *poll_find(struct poll_state *ps, long long id)
{
    for (size_t i = 0; i < ps->n; i++)
        if (ps->polls[i].id == id)
            return &ps->polls[i];
    return NULL;
}

struct poll_vote *poll_vote_find(struct poll *p, const char *voter)
{
    for (size_t i = 0; i < p->n_votes; i++)
        if (strcmp(p->votes[i].voter, voter) == 0)
            return &p->votes[i];
    return NULL;
}

static bool grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *a = realloc(*arr, ncap * elem);
    if (!a)
        return false;
    *arr = a;
    *cap = ncap;
    return true;
}

struct rate_limit *poll_rate_of(struct poll_state *ps, const char *voter)
{
    for (size_t i = 0; i < ps->n_rates; i++)
        if (strcmp(ps->rates[i].voter, voter) == 0)
            return &ps->rates[i].rate;
    if (!grow((void **)&ps->rates, &ps->cap_rates, ps->n_rates, sizeof(*ps->rates)))
        return NULL;
    struct poll_rate *r = &ps->rates[ps->n_rates++];
    memset(r, 0, sizeof(*r));
    snprintf(r->voter, sizeof(r->voter), "%s", voter);
    return &r->rate;
}

/* Copies v into p (replacing the voter's older answer). */
static int vote_set(struct poll *p, const struct poll_vote *v, bool *first)
{
    char *text = NULL;
    if (v->text && !(text = strdup(v->text)))
        return -SQ_ENOMEM;
    struct poll_vote *old = poll_vote_find(p, v->voter);
    *first = old == NULL;
    if (!old) {
        if (!grow((void **)&p->votes, &p->cap_votes, p->n_votes, sizeof(*p->votes))) {
            free(text);
            return -SQ_ENOMEM;
        }
        old = &p->votes[p->n_votes++];
    } else {
        free(old->text);
    }
    *old = *v;
    old->text = text;
    return 0;
}

/* ---- JSON columns ----------------------------------------------------- */

static char *choices_json(uint16_t mask)
{
    json_t *a = json_array();
    for (int i = 0; i < POLL_MAX_OPTIONS; i++)
        if (mask & (1u << i))
            json_array_append_new(a, json_integer(i));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

static uint16_t choices_parse(const char *s, size_t n_options)
{
    uint16_t mask = 0;
    json_t *a = s ? json_loads(s, 0, NULL) : NULL;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        json_int_t x = json_integer_value(v);
        if (json_is_integer(v) && x >= 0 && (size_t)x < n_options)
            mask |= (uint16_t)(1u << x);
    }
    json_decref(a);
    return mask;
}

static int options_parse(struct poll *p, const char *s)
{
    json_t *a = s ? json_loads(s, 0, NULL) : NULL;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        if (p->n_options == POLL_MAX_OPTIONS || !json_is_string(v))
            break;
        if (!(p->options[p->n_options] = strdup(json_string_value(v))))
            break;
        p->n_options++;
    }
    json_decref(a);
    return 0;
}

/* ---- loading ---------------------------------------------------------- */

static int load_polls(struct store *st, const char *lesson_id, struct poll_state *ps)
{
    sqlite3_stmt *q = store_prepare(st, "SELECT id, question, kind, options, anonymous, closed, "
                                  "published FROM poll WHERE lesson_id = ? ORDER BY id");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, lesson_id, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (!grow((void **)&ps->polls, &ps->cap, ps->n, sizeof(*ps->polls)))
            break;
        struct poll *p = &ps->polls[ps->n++];
        memset(p, 0, sizeof(*p));
        p->id = sqlite3_column_int64(q, 0);
        p->question = strdup((const char *)sqlite3_column_text(q, 1));
        if (poll_kind_parse((const char *)sqlite3_column_text(q, 2), &p->kind) != 0)
            p->kind = POLL_SINGLE;
        options_parse(p, (const char *)sqlite3_column_text(q, 3));
        p->anonymous = sqlite3_column_int(q, 4) != 0;
        p->closed = sqlite3_column_int(q, 5) != 0;
        p->published = sqlite3_column_int(q, 6) != 0;
        if (!p->question)
            break;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

static int load_votes(struct store *st, const char *lesson_id, struct poll_state *ps)
{
    sqlite3_stmt *q = store_prepare(st, "SELECT poll_id, voter, coalesce(name, ''), choices, text, "
                                  "at_ms FROM poll_vote WHERE lesson_id = ? ORDER BY at_ms");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_text(q, 1, lesson_id, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct poll *p = poll_find(ps, sqlite3_column_int64(q, 0));
        if (!p)
            continue;
        struct poll_vote v;
        memset(&v, 0, sizeof(v));
        snprintf(v.voter, sizeof(v.voter), "%s", (const char *)sqlite3_column_text(q, 1));
        snprintf(v.name, sizeof(v.name), "%s", (const char *)sqlite3_column_text(q, 2));
        v.choices = choices_parse((const char *)sqlite3_column_text(q, 3), p->n_options);
        v.text = (char *)sqlite3_column_text(q, 4);   /* copied by vote_set */
        v.at_ms = (uint64_t)sqlite3_column_int64(q, 5);
        bool first;
        if (vote_set(p, &v, &first) != 0)
            break;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -SQ_EIO;
}

int poll_store_load(struct store *st, const char *lesson_id, struct poll_state *ps)
{
    if (poll_store_init(st) != 0)
        return -SQ_EIO;
    if (load_polls(st, lesson_id, ps) != 0 || load_votes(st, lesson_id, ps) != 0)
        return -SQ_EIO;
    return 0;
}

/* ---- writing ---------------------------------------------------------- */

int poll_store_create(struct store *st, const char *lesson_id, struct poll_state *ps,
                      struct poll *p, uint64_t now_ms)
{
    if (!grow((void **)&ps->polls, &ps->cap, ps->n, sizeof(*ps->polls)))
        return -SQ_ENOMEM;
    json_t *opts = json_array();
    for (size_t i = 0; i < p->n_options; i++)
        json_array_append_new(opts, json_string(p->options[i]));
    char *options = json_dumps(opts, JSON_COMPACT);
    json_decref(opts);
    sqlite3_stmt *q = options ? store_prepare(st, "INSERT INTO poll(lesson_id, question, kind, "
                                            "options, anonymous, created_ms) "
                                            "VALUES (?,?,?,?,?,?)")
                              : NULL;
    if (!q) {
        free(options);
        return -SQ_EIO;
    }
    sqlite3_bind_text(q, 1, lesson_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, p->question, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, poll_kind_name(p->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, options, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 5, p->anonymous);
    sqlite3_bind_int64(q, 6, (sqlite3_int64)now_ms);
    int rc = step_done(st, q);
    free(options);
    if (rc != 0)
        return rc;
    p->id = (long long)sqlite3_last_insert_rowid(store_db(st));
    ps->polls[ps->n++] = *p;
    memset(p, 0, sizeof(*p));
    return 0;
}

int poll_store_vote(struct store *st, const char *lesson_id, struct poll *p,
                    const struct poll_vote *v, bool *first)
{
    char *choices = p->kind == POLL_OPEN ? NULL : choices_json(v->choices);
    sqlite3_stmt *q = store_prepare(st, "INSERT INTO poll_vote(poll_id, lesson_id, voter, name, "
                                  "choices, text, at_ms) VALUES (?,?,?,?,?,?,?) "
                                  "ON CONFLICT(poll_id, voter) DO UPDATE SET "
                                  "name = excluded.name, choices = excluded.choices, "
                                  "text = excluded.text, at_ms = excluded.at_ms");
    if (!q) {
        free(choices);
        return -SQ_EIO;
    }
    sqlite3_bind_int64(q, 1, p->id);
    sqlite3_bind_text(q, 2, lesson_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, v->voter, -1, SQLITE_STATIC);
    if (!p->anonymous)
        sqlite3_bind_text(q, 4, v->name, -1, SQLITE_STATIC);
    if (choices)
        sqlite3_bind_text(q, 5, choices, -1, SQLITE_STATIC);
    if (v->text)
        sqlite3_bind_text(q, 6, v->text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 7, (sqlite3_int64)v->at_ms);
    int rc = step_done(st, q);
    free(choices);
    if (rc != 0)
        return rc;
    return vote_set(p, v, first);
}

int poll_store_state(struct store *st, const struct poll *p, uint64_t now_ms)
{
    sqlite3_stmt *q = store_prepare(st, "UPDATE poll SET closed = ?, published = ?, "
                                  "closed_ms = coalesce(closed_ms, ?) WHERE id = ?");
    if (!q)
        return -SQ_EIO;
    sqlite3_bind_int(q, 1, p->closed);
    sqlite3_bind_int(q, 2, p->published);
    if (p->closed)
        sqlite3_bind_int64(q, 3, (sqlite3_int64)now_ms);
    sqlite3_bind_int64(q, 4, p->id);
    return step_done(st, q);
}

int poll_count_by_voter(struct store *st, const char *lesson_id,
                        void (*fn)(const char *identity, long long n, void *arg), void *arg)
{
    if (poll_store_init(st) != 0)
        return -SQ_EIO;
    return store_count_by(st, "SELECT voter, count(*) FROM poll_vote WHERE lesson_id = ? "
                              "GROUP BY voter", lesson_id, fn, arg);
}

/* ---- CSV -------------------------------------------------------------- */

static void answer_cell(struct csv *c, const struct poll *p, const struct poll_vote *v)
{
    if (p->kind == POLL_OPEN) {
        csv_text(c, v->text);
        return;
    }
    size_t cap = 1, len = 0;
    for (size_t i = 0; i < p->n_options; i++)
        cap += strlen(p->options[i]) + 2;
    char *s = malloc(cap);
    if (!s) {
        csv_text(c, "");
        return;
    }
    s[0] = '\0';
    for (size_t i = 0; i < p->n_options; i++)
        if (v->choices & (1u << i))
            len += (size_t)snprintf(s + len, cap - len, "%s%s", len ? "; " : "", p->options[i]);
    csv_text(c, s);
    free(s);
}

int poll_csv(struct store *st, const char *lesson_id, int tz_offset_min, char **out,
             size_t *len)
{
    static const char *const header[] = {"poll id", "question", "kind", "participant",
                                         "answer", "time"};
    *out = NULL;
    struct poll_state *ps = calloc(1, sizeof(*ps));
    if (!ps)
        return -SQ_ENOMEM;
    if (poll_store_load(st, lesson_id, ps) != 0) {
        poll_state_free(ps);
        return -SQ_EIO;
    }
    struct csv c;
    csv_init(&c);
    for (size_t i = 0; i < sizeof(header) / sizeof(header[0]); i++)
        csv_text(&c, header[i]);
    csv_end_row(&c);
    for (size_t i = 0; i < ps->n; i++) {
        const struct poll *p = &ps->polls[i];
        for (size_t k = 0; k < p->n_votes; k++) {
            const struct poll_vote *v = &p->votes[k];
            csv_int(&c, p->id);
            csv_text(&c, p->question);
            csv_text(&c, poll_kind_name(p->kind));
            csv_text(&c, p->anonymous || !v->name[0] ? "anonymous" : v->name);
            answer_cell(&c, p, v);
            csv_time(&c, v->at_ms, tz_offset_min);
            csv_end_row(&c);
        }
    }
    poll_state_free(ps);
    *out = csv_finish(&c, len);
    return *out ? 0 : -SQ_ENOMEM;
}
