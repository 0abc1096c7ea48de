/* Hands, the floor and mutes (docs/protocol.md, "Hands, floor and mutes"):
 * students raise and lower their hands (an ordered queue for staff), staff
 * give and take the floor, mute one person, mute everyone, stop someone's
 * video; and what the server forwards follows: a producer whose owner may not
 * send that kind now, or was muted, is paused in the media plane
 * (media_ops.producer_set_paused) so its media stops at the server. */
#ifndef SIGNALING_FLOOR_H
#define SIGNALING_FLOOR_H

#include <jansson.h>
#include <stdbool.h>

#include "sabaq/sdp.h"

struct lesson;
struct participant;

void floor_handle_hand_raise(struct participant *p, json_t *msg, json_t *req);
void floor_handle_hand_lower(struct participant *p, json_t *msg, json_t *req);
void floor_handle_give(struct participant *p, json_t *msg, json_t *req);
void floor_handle_take(struct participant *p, json_t *msg, json_t *req);
void floor_handle_mute(struct participant *p, json_t *msg, json_t *req);
void floor_handle_mute_all(struct participant *p, json_t *msg, json_t *req);
void floor_handle_stop_video(struct participant *p, json_t *msg, json_t *req);
void floor_handle_unmute(struct participant *p, json_t *msg, json_t *req);

/* `hands` {queue:[{participant, name, since}]} in raising order, to `to` or
 * (NULL) to every staff member present. */
void floor_send_hands(struct lesson *l, struct participant *to);

/* Whether p may send this kind now (staff always; a student with the floor
 * audio, and video too if the lesson allows; every kind when the lesson lets
 * students publish). */
bool floor_may_send(const struct participant *p, enum sdp_media_kind kind);

/* Pauses or resumes each of p's producers to match floor_may_send and the
 * mutes. */
void floor_apply(struct participant *p);

#endif
