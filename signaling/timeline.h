/* A recording's sidecar timeline: what happened in the lesson while it was
 * recorded (public chat, polls and their published results, hands, joins and
 * leaves, stage switches), each with "t", ms since the recording started.
 * Written as JSON Lines (timeline.jsonl next to recording.webm), one write()
 * per event, so a crash loses at most the line being written; served as one
 * JSON array (timeline_read_array), skipping a line a crash cut short. */
#ifndef SIGNALING_TIMELINE_H
#define SIGNALING_TIMELINE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define TIMELINE_FILE "timeline.jsonl"
#define TIMELINE_MAX_BYTES (64u * 1024 * 1024)   /* served at most; more is cut */

struct timeline;

/* Opens <dir>/timeline.jsonl for appending (made when missing); t0_ms is the
 * recording's start (wall clock, ms). NULL when the file cannot be opened. */
struct timeline *timeline_open(const char *dir, uint64_t t0_ms);
/* Flushes to disk (fdatasync) and frees. NULL is fine. */
void timeline_close(struct timeline *t);

/* The timeline event for a message the lesson sent (borrowed), or NULL when
 * it does not belong in a replay (private chat, staff-only tallies, ...):
 *   chat (public)      {type:"chat", id, from, name, role, text}
 *   chat_deleted       {type:"chat_deleted", id}
 *   poll               {type:"poll", id, question, kind, options, state, published}
 *   poll_results       {type:"poll_results", poll, counts, total, texts?}
 *   hand               {type:"hand", participant, raised}
 *   participant_joined {type:"join", id, name, role}
 *   participant_left   {type:"leave", id}     participant_away {type:"away", id}
 *   stage              {type:"stage", participant, mid, source}
 * A new reference. */
json_t *timeline_event_of(const json_t *msg);

/* Appends {"t": now_ms - t0, ...event} as one line. event is borrowed and
 * must be an object without "t". 0 or -SQ_EIO (the caller logs it once). */
int timeline_append(struct timeline *t, uint64_t now_ms, const json_t *event);

/* The file at path as a JSON array: "[" line "," line ... "]", every line
 * that is a JSON object, at most TIMELINE_MAX_BYTES of it. 0 with *out
 * malloc'd (*len bytes, NUL-terminated), -SQ_ENOTFOUND, -SQ_EIO or -SQ_ENOMEM. */
int timeline_read_array(const char *path, char **out, size_t *len);

#endif
