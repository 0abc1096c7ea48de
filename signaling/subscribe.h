/* The subscribe connection of a participant (docs/protocol.md,
 * "Subscribing"): Sabaq offers a fixed set of slots, the client answers.
 * In m-line order (the index is the mid):
 *   0..2   audio: the loudest speakers (SLOTS_AUDIO)
 *   3      stage: the lesson's stage video (a screen share or a camera)
 *   4..    speaker videos: last-N, N = the lesson's last_n
 * Which producer feeds each slot is decided by subscribe_slots.c and
 * switched on the consumer (media_ops consumer_set_producer), so joins,
 * leaves and speaker changes cause no renegotiation: only a change of N
 * does. The client learns who is in each slot from `slots` messages.
 * At most one offer is outstanding; changes in between mark the participant
 * dirty and the next offer follows the answer. */
#ifndef SIGNALING_SUBSCRIBE_H
#define SIGNALING_SUBSCRIBE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "participant.h"
#include "slots.h"

struct lesson;

#define SUB_STAGE_SLOT SLOTS_AUDIO             /* mid "3" */
#define SUB_FIRST_SPEAKER (SLOTS_AUDIO + 1)     /* mid "4" */
#define SUB_MAX_SLOTS (SUB_FIRST_SPEAKER + SLOTS_MAX_SPEAKERS)

/* ---- one connection (subscribe.c) ------------------------------------- */

/* Forgets every slot and chooses new ICE credentials and session id: the
 * state of a subscribe connection not made yet (no media-plane calls). */
void subscribe_reset(struct participant *p);

/* p joined: its slots (for the lesson's last_n), their first assignment and
 * the first offer. */
void subscribe_on_join(struct participant *p);

/* Uses 3 + 1 + n_speakers slots: more m-lines are added (renegotiation),
 * fewer leave the rest idle and inactive in the next offer. */
void subscribe_set_used(struct participant *p, size_t n_speakers);

/* Gives slot i the producer (0 = idle) of `publisher`, switching its
 * consumer without renegotiation; the client is told at the next flush. */
void subscribe_slot_set(struct participant *p, size_t i, uint32_t producer_id,
                        const char *publisher, enum track_source source);

/* Sends the next subscribe_offer when dirty and no offer is outstanding,
 * else a `slots` message when assignments changed since the client was told. */
void subscribe_flush(struct participant *p);

/* The `subscribe_answer` message. */
void subscribe_handle_answer(struct participant *p, json_t *msg, json_t *req);

/* The `video_size` message: where the client shows the video of a slot. */
void subscribe_handle_video_size(struct participant *p, json_t *msg, json_t *req);

/* The `receive_mode` message: auto, low or audio_only. */
void subscribe_handle_receive_mode(struct participant *p, json_t *msg, json_t *req);

/* The `subscribe_restart` message: ICE restart of the subscribe connection
 * (an offer with new credentials follows the reply). */
void subscribe_handle_restart(struct participant *p, json_t *msg, json_t *req);

/* Closes p's consumers and subscribe transport. */
void subscribe_release(struct participant *p);

/* The media plane reports the subscribe transport gone: release it and offer
 * everything again on a new connection. */
void subscribe_transport_closed(struct participant *p);

/* ---- the lesson's slot choice (subscribe_slots.c) ---------------------- */

/* Producers, pauses, the stage or the members changed: choose again at the
 * next subscribe_lesson_flush. */
void subscribe_lesson_changed(struct lesson *l);

/* Chooses again if something changed, then flushes every member. */
void subscribe_lesson_flush(struct lesson *l);

/* A producer is about to close: every slot showing it goes idle first. */
void subscribe_producer_closing(struct lesson *l, uint32_t producer_id);

/* p left the members: out of the speaker order. */
void subscribe_member_left(struct lesson *l, const struct participant *p);

/* Changes the lesson's N (0..SLOTS_MAX_SPEAKERS) for every member. */
void subscribe_set_last_n(struct lesson *l, size_t n);

/* The media plane's SPEAKING_CHANGED and AUDIO_LEVEL events. */
void subscribe_speaking(struct signaling *s, uint32_t producer_id, bool is_speaking);
void subscribe_audio_level(struct signaling *s, uint32_t producer_id, uint8_t loudness);

/* Frees the lesson's slot state (lesson.c, when the lesson goes). */
void subscribe_lesson_free(struct lesson *l);

#endif
