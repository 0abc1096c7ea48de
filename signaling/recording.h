/* Recording a lesson: the control side (docs/protocol.md, "Recording").
 * Staff (right "record") send recording_start / recording_stop; everyone gets
 * {"type":"recording","active","recording","since_ms","reason"} and `joined`
 * carries the same object as "recording". While a recording runs, the media
 * plane (media_ops.recording_*) writes <data-dir>/recordings/<lesson>/<id>/
 * recording.webm: its video follows the lesson's stage (stage_listen), its
 * audio mixes every audio producer of the lesson (kept in step by
 * recording_sync), and timeline.jsonl beside it gets the lesson's public
 * events (recording_note). A lesson with auto_record starts recording when a
 * teacher or assistant first publishes (not at the lesson's start time: an
 * empty room is not worth a file), once per lesson session: after staff stop
 * it, it stays stopped until someone starts it again.
 * The recording stops with staff's recording_stop, when the lesson closes
 * (everyone gone, lesson_end, server stop), or when the media plane reports
 * SFU_EVENT_RECORDING_STOPPED with an error (disk full, write error): the
 * lesson goes on and the `recording` broadcast carries the reason. */
#ifndef SIGNALING_RECORDING_H
#define SIGNALING_RECORDING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/sfu.h"

struct lesson;
struct participant;
struct signaling;
struct store;

#define RECORDING_FILE "recording.webm"

/* Handlers of recording_start and recording_stop (joined only). */
void recording_handle_start(struct participant *p, json_t *msg, json_t *req);
void recording_handle_stop(struct participant *p, json_t *msg, json_t *req);

/* {"active","recording","since_ms","reason"}: the lesson's recording now,
 * for `joined` (a new reference). */
json_t *recording_status(const struct lesson *l);

/* The lesson's producers changed (publish, leave, transport closed): the
 * recording's audio follows, and auto_record may start it. */
void recording_sync(struct lesson *l);

/* A message the lesson sent (borrowed): its timeline event, if it has one
 * (timeline_event_of), goes into the running recording's timeline. */
void recording_note(struct lesson *l, const json_t *msg);

/* SFU_EVENT_RECORDING_STOPPED from the media plane. */
void recording_media_stopped(struct signaling *s, const struct sfu_event *ev);

/* The lesson closes: a running recording is stopped and l->recording freed. */
void recording_lesson_free(struct lesson *l);

/* At server start-up, before anything records: rows still "recording" were
 * cut by a crash; they become "crashed" with the size and time of what was
 * written, and stay listed and playable. Returns how many, or -SQ_EIO. */
int recording_recover(struct store *st);

/* <data-dir>/<row path> into out: false when it does not fit. */
struct recording_row;
bool recording_dir(struct store *st, const struct recording_row *r, char *out, size_t cap);

#endif
