/* See lesson_helpers.h. */
#include "lesson_helpers.h"

#include <stdlib.h>

#include "signaling/access.h"
#include "signaling/participant.h"
#include "signaling/schema.h"

bool lh_lesson(struct fixture *f, bool lobby, uint32_t max, bool students_publish,
               bool students_video)
{
    if (schema_init(f->st) < 0)
        return false;
    f->def.lobby = lobby;
    f->def.max_participants = max;
    f->def.students_publish = students_publish;
    f->def.students_video = students_video;
    return lesson_store_create(f->st, &f->def) == 0;
}

char *lh_token(struct fixture *f, const char *role, int64_t entry, const char *nonce)
{
    return access_lesson_token(f->h.sig->secret, &f->def, role, entry, nonce);
}

struct fake_conn *lh_join(struct fixture *f, const char *token, const char *name,
                          const char *resume)
{
    json_t *m = json_pack("{s:s, s:s}", "type", "join", "token", token);
    if (name)
        json_object_set_new(m, "name", json_string(name));
    if (resume)
        json_object_set_new(m, "resume", json_string(resume));
    char *text = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    struct fake_conn *c = harness_connect(&f->h);
    harness_send(&f->h, c, text);
    free(text);
    return c;
}

struct fake_conn *lh_joined(struct fixture *f, const char *role, const char *name)
{
    char *t = lh_token(f, role, 0, NULL);
    struct fake_conn *c = lh_join(f, t, name, NULL);
    free(t);
    json_t *j = harness_next_of(c, "joined");
    json_decref(j);
    return j ? c : NULL;
}

static const char *field(struct fake_conn *c, const char *type, const char *key)
{
    static char out[512];
    json_t *m = harness_next_of(c, type);
    snprintf(out, sizeof(out), "%s", m && js(m, key) ? js(m, key) : "");
    json_decref(m);
    return out;
}

const char *lh_error(struct fake_conn *c) { return field(c, "error", "code"); }

const char *lh_field(struct fake_conn *c, const char *type, const char *key)
{
    return field(c, type, key);
}

bool lh_has(struct fake_conn *c, const char *type)
{
    return fixture_count(c, type) > 0;
}

const char *lh_id(struct fake_conn *c) { return c->p->id; }
