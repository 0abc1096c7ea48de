/* Helpers for the lesson-control tests (join, lobby, hands, floor): a lesson
 * with chosen options in the classroom fixture's store, raw joins with any
 * token, and reading what a connection got. */
#ifndef SABAQ_TEST_LESSON_HELPERS_H
#define SABAQ_TEST_LESSON_HELPERS_H

#include "classroom_fixture.h"

/* Replaces f->def by a new stored lesson with these options (and every
 * module's tables). false on a store error. */
bool lh_lesson(struct fixture *f, bool lobby, uint32_t max, bool students_publish,
               bool students_video);
/* A token of f->def for role (entry > 0: roster entry; nonce: single-use). malloc'd. */
char *lh_token(struct fixture *f, const char *role, int64_t entry, const char *nonce);
/* Connects and sends join {token, name?, resume?}; nothing consumed. */
struct fake_conn *lh_join(struct fixture *f, const char *token, const char *name,
                          const char *resume);
/* lh_join with a fresh token of role, then consumes up to `joined`: NULL when refused. */
struct fake_conn *lh_joined(struct fixture *f, const char *role, const char *name);
/* Skips to the next error and returns its code (static copy), or "" when none. */
const char *lh_error(struct fake_conn *c);
/* Skips to the next frame of type; its string field key (static copy), or "". */
const char *lh_field(struct fake_conn *c, const char *type, const char *key);
/* Whether a frame of this type is pending (not consumed). */
bool lh_has(struct fake_conn *c, const char *type);
/* The participant id of a joined connection. */
const char *lh_id(struct fake_conn *c);

#endif
