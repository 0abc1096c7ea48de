/* Tokens (auth.c), staff sign-in (staff.c) and lesson links (access.c):
 * forged, edited, expired, other-lesson, revoked and used links are refused
 * with the right verdict; the secret file is made once, private. */
#include "test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "signaling/access.h"
#include "signaling/auth.h"
#include "signaling/roster.h"
#include "signaling/schema.h"
#include "signaling/staff.h"
#include "signaling/store.h"

#define NOW 1756717200000LL   /* 2025-09-01 09:00 UTC */

static const unsigned char key[AUTH_SECRET_LEN] = "0123456789abcdef0123456789abcdef";

struct env {
    char dir[40];
    struct store *st;
    struct lesson_def d;
};

static int env_init(struct env *e)
{
    snprintf(e->dir, sizeof(e->dir), "/tmp/sabaq-auth-XXXXXX");
    char err[256];
    if (!mkdtemp(e->dir) || !(e->st = store_open(e->dir, err, sizeof(err))) ||
        schema_init(e->st) < 0)
        return -1;
    lesson_store_defaults(&e->d, NOW);
    snprintf(e->d.title, sizeof(e->d.title), "Algebra");
    e->d.owner = 1;
    return lesson_store_create(e->st, &e->d);
}

static void env_free(struct env *e)
{
    store_close(e->st);
    char cmd[80];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", e->dir);
}

static char *token_with(const char *kind, long long exp)
{
    json_t *p = json_pack("{s:s, s:I, s:s}", "k", kind, "x", (json_int_t)exp, "l", "abc");
    char *t = auth_token_make(key, p);
    json_decref(p);
    return t;
}

TEST(base64url_round_trips_and_refuses_other_alphabets)
{
    unsigned char in[7] = {0xfb, 0xff, 0x00, 0x3e, 0x3f, 0x80, 0x01}, out[8];
    char text[16];
    for (size_t n = 0; n <= sizeof(in); n++) {
        size_t len = auth_base64url_encode(in, n, text);
        ASSERT_EQ(n, auth_base64url_decode(text, len, out, sizeof(out)));
        ASSERT(memcmp(in, out, n) == 0);
        ASSERT(!strchr(text, '+') && !strchr(text, '/') && !strchr(text, '='));
    }
    ASSERT_EQ(-1, auth_base64url_decode("ab+/", 4, out, sizeof(out)));
    ASSERT_EQ(-1, auth_base64url_decode("abcde", 5, out, sizeof(out)));   /* impossible length */
    ASSERT_EQ(-1, auth_base64url_decode("AB", 2, out, 0));                /* no room */
    ASSERT_EQ(-1, auth_base64url_decode("AB", 2, out, sizeof(out)));      /* stray low bits */
}

TEST(token_verifies_and_carries_its_payload)
{
    char *t = token_with("lesson", NOW / 1000 + 60);
    json_t *p = NULL;
    ASSERT_EQ(AUTH_OK, auth_token_verify(key, t, NOW, &p));
    ASSERT_STR_EQ("abc", json_string_value(json_object_get(p, "l")));
    json_decref(p);
    free(t);
}

TEST(forged_edited_or_truncated_tokens_are_bad_tokens)
{
    char *t = token_with("lesson", NOW / 1000 + 60);
    json_t *p = NULL;
    unsigned char other[AUTH_SECRET_LEN];
    memcpy(other, key, sizeof(other));
    other[0] ^= 1;
    ASSERT_EQ(AUTH_BAD_TOKEN, auth_token_verify(other, t, NOW, &p));   /* another server's */
    ASSERT(p == NULL);
    char *dot = strchr(t, '.');
    dot[5] = dot[5] == 'A' ? 'B' : 'A';                                 /* signature edited */
    ASSERT_EQ(AUTH_BAD_TOKEN, auth_token_verify(key, t, NOW, &p));
    dot[5] = dot[5] == 'A' ? 'B' : 'A';
    t[2] = t[2] == 'a' ? 'b' : 'a';                                     /* payload edited */
    ASSERT_EQ(AUTH_BAD_TOKEN, auth_token_verify(key, t, NOW, &p));
    dot[-1] = '\0';
    ASSERT_EQ(AUTH_BAD_TOKEN, auth_token_verify(key, t, NOW, &p));      /* cut short */
    const char *junk[] = {"", ".", "abc", "abc.def", "..", "a.b.c", NULL};
    for (int i = 0; junk[i]; i++)
        ASSERT_EQ(AUTH_BAD_TOKEN, auth_token_verify(key, junk[i], NOW, &p));
    ASSERT_EQ(AUTH_BAD_TOKEN, auth_token_verify(key, NULL, NOW, &p));
    free(t);
}

TEST(signed_payload_without_kind_or_expiry_is_a_bad_token)
{
    json_t *p = json_pack("{s:s}", "k", "lesson"), *out = NULL;
    char *t = auth_token_make(key, p);
    ASSERT_EQ(AUTH_BAD_TOKEN, auth_token_verify(key, t, NOW, &out));
    free(t);
    json_decref(p);
    p = json_pack("[i]", 1);
    t = auth_token_make(key, p);
    ASSERT_EQ(AUTH_BAD_TOKEN, auth_token_verify(key, t, NOW, &out));
    free(t);
    json_decref(p);
}

TEST(expired_token_is_token_expired)
{
    char *t = token_with("lesson", NOW / 1000);
    json_t *p = NULL;
    ASSERT_EQ(AUTH_EXPIRED, auth_token_verify(key, t, NOW, &p));
    ASSERT_EQ(AUTH_OK, auth_token_verify(key, t, NOW - 1000, &p));
    json_decref(p);
    ASSERT_STR_EQ("token_expired", auth_result_code(AUTH_EXPIRED));
    free(t);
}

TEST(secret_is_made_once_private_and_read_back)
{
    char dir[] = "/tmp/sabaq-secret-XXXXXX";
    ASSERT(mkdtemp(dir));
    unsigned char a[AUTH_SECRET_LEN], b[AUTH_SECRET_LEN];
    char err[256], path[64];
    ASSERT_EQ(0, auth_load_secret(dir, a, err, sizeof(err)));
    ASSERT_EQ(0, auth_load_secret(dir, b, err, sizeof(err)));
    ASSERT(memcmp(a, b, sizeof(a)) == 0);
    snprintf(path, sizeof(path), "%s/secret", dir);
    struct stat st;
    ASSERT_EQ(0, stat(path, &st));
    ASSERT_EQ(0600, st.st_mode & 0777);
    ASSERT_EQ(AUTH_SECRET_LEN, st.st_size);
    ASSERT_EQ(0, truncate(path, 5));
    ASSERT_EQ(-1, auth_load_secret(dir, b, err, sizeof(err)));   /* damaged: refused */
    unlink(path);
    rmdir(dir);
}

TEST(staff_signin_and_session_are_refused_once_revoked)
{
    struct env e;
    ASSERT_EQ(0, env_init(&e));
    struct staff m, got;
    char err[128];
    ASSERT_EQ(0, staff_add(e.st, "Aigerim", "teacher", NOW, &m, err, sizeof(err)));
    ASSERT(staff_add(e.st, "", "teacher", NOW, &got, err, sizeof(err)) < 0);
    ASSERT(staff_add(e.st, "Bolat", "admin", NOW, &got, err, sizeof(err)) < 0);
    char *signin = staff_signin_token(key, m.id, NOW);
    char *session = staff_session_token(key, m.id, NOW);
    ASSERT_EQ(AUTH_OK, staff_verify(e.st, key, signin, "signin", NOW, &got));
    ASSERT_STR_EQ("Aigerim", got.name);
    /* A sign-in link is not a session and the other way round. */
    ASSERT_EQ(AUTH_BAD_TOKEN, staff_verify(e.st, key, signin, "session", NOW, &got));
    ASSERT_EQ(AUTH_OK, staff_verify(e.st, key, session, "session", NOW, &got));
    ASSERT_EQ(AUTH_EXPIRED, staff_verify(e.st, key, session, "session",
                                         NOW + (STAFF_SESSION_DAYS + 1) * 86400000LL, &got));
    ASSERT_EQ(0, staff_revoke(e.st, m.id, NOW));
    ASSERT(staff_revoke(e.st, m.id, NOW) < 0);
    ASSERT_EQ(AUTH_REVOKED, staff_verify(e.st, key, signin, "signin", NOW, &got));
    ASSERT_EQ(AUTH_REVOKED, staff_verify(e.st, key, session, "session", NOW, &got));
    free(signin);
    free(session);
    env_free(&e);
}

TEST(lesson_token_grants_its_lesson_and_role)
{
    struct env e;
    ASSERT_EQ(0, env_init(&e));
    struct access_grant g;
    char *t = access_lesson_token(key, &e.d, "assistant", 0, NULL);
    ASSERT_EQ(AUTH_OK, access_check(e.st, key, t, NOW, &g));
    ASSERT_STR_EQ(e.d.id, g.def.id);
    ASSERT_STR_EQ("assistant", g.role);
    ASSERT_STR_EQ("", g.link);
    /* Links work until 12 h after the planned end. */
    ASSERT_EQ(AUTH_EXPIRED, access_check(e.st, key, t, NOW + (45 * 60 + 12 * 3600) * 1000LL, &g));
    free(t);
    env_free(&e);
}

TEST(token_of_a_lesson_not_in_the_store_is_wrong_lesson)
{
    struct env e;
    ASSERT_EQ(0, env_init(&e));
    struct lesson_def other = e.d;
    snprintf(other.id, sizeof(other.id), "NoSuchLesson");
    struct access_grant g;
    char *t = access_lesson_token(key, &other, "student", 0, NULL);
    ASSERT_EQ(AUTH_WRONG_LESSON, access_check(e.st, key, t, NOW, &g));
    free(t);
    /* A staff sign-in token is no lesson token. */
    t = staff_signin_token(key, 1, NOW);
    ASSERT_EQ(AUTH_BAD_TOKEN, access_check(e.st, key, t, NOW, &g));
    free(t);
    env_free(&e);
}

TEST(ended_lesson_refuses_its_links)
{
    struct env e;
    ASSERT_EQ(0, env_init(&e));
    struct access_grant g;
    char *t = access_lesson_token(key, &e.d, "teacher", 0, NULL);
    ASSERT_EQ(0, lesson_store_end(e.st, e.d.id, NOW));
    ASSERT_EQ(AUTH_ENDED, access_check(e.st, key, t, NOW, &g));
    free(t);
    env_free(&e);
}

TEST(roster_link_names_the_student_and_is_revocable)
{
    struct env e;
    ASSERT_EQ(0, env_init(&e));
    struct roster_row row = {.name = "Дана", .klass = "7Б"};
    int64_t id;
    ASSERT_EQ(0, roster_add(e.st, e.d.id, &row, 1, NOW, &id));
    struct access_grant g;
    char *t = access_lesson_token(key, &e.d, "student", id, NULL);
    ASSERT_EQ(AUTH_OK, access_check(e.st, key, t, NOW, &g));
    ASSERT_STR_EQ("Дана", g.name);
    ASSERT_EQ(id, g.entry);
    ASSERT(!g.single_use);
    ASSERT_EQ(0, roster_revoke(e.st, e.d.id, id, NOW));
    ASSERT_EQ(AUTH_REVOKED, access_check(e.st, key, t, NOW, &g));
    free(t);
    /* An entry of another lesson in this lesson's token. */
    struct lesson_def d2 = e.d;
    ASSERT_EQ(0, lesson_store_create(e.st, &d2));
    ASSERT_EQ(0, roster_add(e.st, d2.id, &row, 1, NOW, &id));
    t = access_lesson_token(key, &e.d, "student", id, NULL);
    ASSERT_EQ(AUTH_WRONG_LESSON, access_check(e.st, key, t, NOW, &g));
    free(t);
    env_free(&e);
}

TEST(single_use_and_removed_links_are_reported_and_survive_reopen)
{
    struct env e;
    ASSERT_EQ(0, env_init(&e));
    struct access_grant g;
    char *t = access_lesson_token(key, &e.d, "student", 0, "Nonce123");
    ASSERT_EQ(AUTH_OK, access_check(e.st, key, t, NOW, &g));
    ASSERT_STR_EQ("nNonce123", g.link);
    ASSERT(g.single_use && !g.used && !g.removed);
    ASSERT_EQ(0, access_mark_used(e.st, e.d.id, g.link, NOW));
    ASSERT_EQ(0, access_set_removed(e.st, e.d.id, g.link, true, NOW));
    store_close(e.st);
    char err[128];
    e.st = store_open(e.dir, err, sizeof(err));
    ASSERT(e.st);
    ASSERT_EQ(AUTH_OK, access_check(e.st, key, t, NOW, &g));
    ASSERT(g.used && g.removed);
    ASSERT_EQ(0, access_set_removed(e.st, e.d.id, g.link, false, NOW));
    ASSERT_EQ(AUTH_OK, access_check(e.st, key, t, NOW, &g));
    ASSERT(g.used && !g.removed);
    free(t);
    env_free(&e);
}
