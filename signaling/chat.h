/* Lesson chat (docs/protocol.md, "Chat"): public messages and private
 * messages to staff. A message is committed to the store before it is
 * acknowledged or broadcast, so nothing acknowledged is lost to a kill -9;
 * late joiners get the last CHAT_HISTORY messages they may see. Text is
 * strict UTF-8 of at most CHAT_MAX_CHARS code points; each person may send
 * CHAT_RATE_COUNT messages in CHAT_RATE_WINDOW_MS. Staff delete messages and
 * turn the chat off for students. */
#ifndef SIGNALING_CHAT_H
#define SIGNALING_CHAT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct lesson;
struct participant;
struct store;

#define CHAT_MAX_CHARS 2000
#define CHAT_HISTORY 200
#define CHAT_RATE_COUNT 5          /* = RATE_LIMIT_MAX */
#define CHAT_RATE_WINDOW_MS 5000

/* Whether students may chat in l (staff toggle chat_set_enabled; enabled by
 * default; stored with the lesson). Used by rights_allow for RIGHT_CHAT. */
bool chat_is_enabled(const struct lesson *l);

/* Handlers of chat_send, chat_delete, chat_set_enabled (joined only). */
void chat_handle_send(struct participant *p, json_t *msg, json_t *req);
void chat_handle_delete(struct participant *p, json_t *msg, json_t *req);
void chat_handle_set_enabled(struct participant *p, json_t *msg, json_t *req);

/* Right after `joined`: `chat_state` and `chat_history` to p. */
void chat_on_join(struct participant *p);

/* Frees l->chat. */
void chat_lesson_free(struct lesson *l);

/* Creates chat's tables (idempotent). 0 or -SQ_EIO. */
int chat_store_init(struct store *st);
/* Calls fn once per sender identity of the lesson with its message count
 * (deleted ones included: they were sent). 0 or -SQ_EIO. */
int chat_count_by_sender(struct store *st, const char *lesson_id,
                         void (*fn)(const char *identity, long long n, void *arg), void *arg);

#endif
