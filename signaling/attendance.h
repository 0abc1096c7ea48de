/* Attendance and statistics per participant identity (docs/protocol.md,
 * "Attendance"): every join/leave interval, speaking time, chat messages,
 * poll answers and hands raised, stored as they happen; the live panel for
 * staff (`attendance`, `attendance_update`) and the per-lesson CSV report,
 * which lists roster entries that never came too. */
#ifndef SIGNALING_ATTENDANCE_H
#define SIGNALING_ATTENDANCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lesson;
struct participant;
struct signaling;
struct store;

/* "r12" (roster entry), "s3" (staff), "n<nonce>" (single-use link): the
 * token's subject; for a shared lesson link "@<role>:<name>". */
#define ATTENDANCE_IDENTITY_LEN 300
void attendance_identity(const struct participant *p, char out[ATTENDANCE_IDENTITY_LEN]);

/* p has joined l (opens an interval unless the same identity is already
 * present on another connection), at now_ms (ms since the Unix epoch).
 * Staff get the whole panel, the others of staff an update. */
void attendance_joined(struct lesson *l, struct participant *p, uint64_t now_ms);
/* p has left l (closes the interval when its identity's last connection goes). */
void attendance_left(struct lesson *l, struct participant *p, uint64_t now_ms);
/* p raised a hand (counted). */
void attendance_hand_raised(struct lesson *l, struct participant *p);
/* Counted by chat.c and poll.c after the row is stored (poll: only the first
 * answer to a poll counts). */
void attendance_chat_sent(struct lesson *l, struct participant *p);
void attendance_poll_answered(struct lesson *l, struct participant *p);

/* SFU_EVENT_SPEAKING_CHANGED for audio producer producer_id. */
void attendance_speaking(struct signaling *s, uint32_t producer_id, bool speaking,
                         uint64_t now_ms);
/* Remembers that l was alive at now_ms (stored at most every 15 s): after a
 * crash, open intervals are closed at the last such time. */
void attendance_touch(struct lesson *l, uint64_t now_ms);

/* Right after `joined` (after chat and polls): the panel, to staff only. */
void attendance_on_join(struct participant *p);
/* `attendance_get` (staff): replies `attendance`. */
void attendance_handle_get(struct participant *p, json_t *msg, json_t *req);

/* Creates attendance's tables (and chat's and poll's, which it counts).
 * 0 or -SQ_EIO. */
int attendance_store_init(struct store *st);

/* Frees l->attendance (every interval must be closed already). */
void attendance_lesson_free(struct lesson *l);

/* The CSV report of a lesson (csv.h), from the store; when l (may be NULL)
 * is the live lesson, open intervals and speaking run to now_ms. Times use
 * tz_offset_min east of UTC. 0 with *out malloc'd, or -SQ_E... */
int attendance_csv(struct store *st, struct lesson *l, const char *lesson_id, uint64_t now_ms,
                   int tz_offset_min, char **out, size_t *len);

#endif
