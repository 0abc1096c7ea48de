/* Staff: the teachers and assistants the school's admin adds from the
 * command line (`sabaq staff add|list|revoke|link`, cli.c). Each has a
 * personal sign-in link ({"k":"signin","s":id}) that the browser trades at
 * GET /signin for a session cookie ({"k":"session","s":id}); revoking a
 * member refuses both at once. */
#ifndef SIGNALING_STAFF_H
#define SIGNALING_STAFF_H

#include <stdint.h>

#include "auth.h"

struct store;

#define STAFF_SIGNIN_DAYS 30
#define STAFF_SESSION_DAYS 30

struct staff {
    int64_t id;
    char name[257];            /* 1-64 characters */
    char role[16];             /* "teacher" or "assistant" */
    int64_t created_ms;
    int64_t revoked_ms;        /* 0 while active */
};

/* Creates the table. 0 or -SQ_EIO. */
int staff_init(struct store *st);
/* 0 with *out filled, -SQ_EINVAL (bad name or role; the sentence in err) or -SQ_EIO. */
int staff_add(struct store *st, const char *name, const char *role, int64_t now_ms,
              struct staff *out, char *err, size_t cap);
/* 0, -SQ_ENOTFOUND or -SQ_EIO. */
int staff_get(struct store *st, int64_t id, struct staff *out);
/* Every member, revoked ones too, by id. The count, or -SQ_EIO. */
int staff_list(struct store *st, void (*fn)(const struct staff *m, void *arg), void *arg);
/* 0, -SQ_ENOTFOUND, -SQ_ESTATE (already revoked) or -SQ_EIO. */
int staff_revoke(struct store *st, int64_t id, int64_t now_ms);
/* How many members there are, revoked or not (-SQ_EIO). */
int64_t staff_count(struct store *st);

/* malloc'd tokens. */
char *staff_signin_token(const unsigned char *secret, int64_t id, int64_t now_ms);
char *staff_session_token(const unsigned char *secret, int64_t id, int64_t now_ms);

/* Checks a token of `kind` ("signin" or "session") and that its member is
 * still active; fills *out on AUTH_OK. */
enum auth_result staff_verify(struct store *st, const unsigned char *secret, const char *token,
                              const char *kind, int64_t now_ms, struct staff *out);

#endif
