/* Polls (docs/protocol.md, "Polls"): single choice, multiple choice, yes/no
 * and short open answer; anonymous or named; one answer per person
 * (identity), changeable until the poll is closed; live tallies to staff;
 * results to everyone when published; the per-lesson CSV export. Polls and
 * answers are committed to the store before they are acknowledged. */
#ifndef SIGNALING_POLL_H
#define SIGNALING_POLL_H

#include <jansson.h>
#include <stddef.h>

struct lesson;
struct participant;
struct store;

#define POLL_MAX_OPTIONS 10
#define POLL_QUESTION_CHARS 300
#define POLL_OPTION_CHARS 200
#define POLL_TEXT_CHARS 500
#define POLL_RATE_WINDOW_MS 5000   /* RATE_LIMIT_MAX answers per person in this */

/* Handlers of poll_create, poll_answer, poll_close, poll_publish (joined only). */
void poll_handle_create(struct participant *p, json_t *msg, json_t *req);
void poll_handle_answer(struct participant *p, json_t *msg, json_t *req);
void poll_handle_close(struct participant *p, json_t *msg, json_t *req);
void poll_handle_publish(struct participant *p, json_t *msg, json_t *req);

/* Right after `joined` (after the chat history): the polls p may see. */
void poll_on_join(struct participant *p);

/* Frees l->polls. */
void poll_lesson_free(struct lesson *l);

/* Creates poll's tables (idempotent). 0 or -SQ_EIO. */
int poll_store_init(struct store *st);
/* Calls fn once per voter identity of the lesson with the number of polls
 * answered. 0 or -SQ_EIO. */
int poll_count_by_voter(struct store *st, const char *lesson_id,
                        void (*fn)(const char *identity, long long n, void *arg), void *arg);
/* The CSV export of every poll of the lesson (one row per answer; times at
 * tz_offset_min east of UTC). 0 with *out malloc'd, or -SQ_E... */
int poll_csv(struct store *st, const char *lesson_id, int tz_offset_min, char **out,
             size_t *len);

#endif
