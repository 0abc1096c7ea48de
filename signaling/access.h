/* Lesson links and what a `join` token grants. A lesson token's payload:
 *   {"k":"lesson", "l":<lesson id>, "r":"teacher"|"assistant"|"student",
 *    "x":<expiry, s>, "e":<roster entry id, optional>, "n":<nonce, optional>}
 * The three shared links (teacher, assistant, student) carry neither "e" nor
 * "n"; a roster link carries "e" (one student, revocable); a single-use link
 * carries "n". A personal link (roster or nonce) has a link id, "r12" or
 * "n<nonce>", under which the links table records that it was used (for
 * single-use) or that its holder was removed, so both survive a restart. */
#ifndef SIGNALING_ACCESS_H
#define SIGNALING_ACCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "lesson_store.h"

struct store;

#define ACCESS_NONCE_LEN 16
#define ACCESS_LINK_LEN 40

struct access_grant {
    struct lesson_def def;          /* the lesson, from the store */
    char role[16];
    char link[ACCESS_LINK_LEN];     /* "r<entry>", "n<nonce>", "" for a shared link */
    int64_t entry;                  /* roster entry id, 0 when none */
    char name[257];                 /* the roster's name, "" when none */
    bool single_use;                /* the link works for one person's first join only */
    bool used;                      /* ... and has been used */
    bool removed;                   /* its holder was removed and not re-admitted */
};

/* Creates the links table. 0 or -SQ_EIO. */
int access_init(struct store *st);

/* A lesson token, expiring with lesson_store_links_expire_ms(d) (malloc'd).
 * entry 0 and nonce NULL for the shared links. */
char *access_lesson_token(const unsigned char *secret, const struct lesson_def *d,
                          const char *role, int64_t entry, const char *nonce);

/* Checks a join token: signature, expiry, kind, the lesson in the store
 * (AUTH_WRONG_LESSON when missing, AUTH_ENDED when ended), the roster entry
 * (AUTH_WRONG_LESSON when of another lesson, AUTH_REVOKED when revoked).
 * Whether the link was used or its holder removed is only reported in *out:
 * a participant coming back within 60 s may still use it (lesson.c). */
enum auth_result access_check(struct store *st, const unsigned char *secret, const char *token,
                              int64_t now_ms, struct access_grant *out);

/* Records that a personal link was used / its holder removed (removed false:
 * re-admitted). 0 or -SQ_EIO. No-op for link "". */
int access_mark_used(struct store *st, const char *lesson, const char *link, int64_t now_ms);
int access_set_removed(struct store *st, const char *lesson, const char *link, bool removed,
                       int64_t now_ms);
/* Reads both flags of a link (false when never recorded). 0 or -SQ_EIO. */
int access_link_state(struct store *st, const char *lesson, const char *link, bool *used,
                      bool *removed);

#endif
