/* The subscribe connection of a participant: Sabaq offers one m-line (slot)
 * per track of the other members, the client answers. At most one offer is
 * outstanding; changes in between mark the participant dirty and the next
 * offer follows the answer. */
#ifndef SIGNALING_SUBSCRIBE_H
#define SIGNALING_SUBSCRIBE_H

#include <jansson.h>
#include <stdint.h>

#include "participant.h"

/* Forgets every slot and chooses new ICE credentials and session id: the
 * state of a subscribe connection not made yet (no media-plane calls). */
void subscribe_reset(struct participant *p);

/* Gives p a slot for every producer of the other members, then flushes. */
void subscribe_on_join(struct participant *p);

/* A producer of `pub` appeared: give `sub` a slot for it (marks it dirty). */
void subscribe_producer_added(struct participant *sub, const struct participant *pub,
                              const struct producer_ref *r);
/* A producer is gone: its slot in `sub` turns inactive, its consumer closes. */
void subscribe_producer_removed(struct participant *sub, uint32_t producer_id);

/* Sends the next subscribe_offer when dirty and no offer is outstanding. */
void subscribe_flush(struct participant *p);

/* The `subscribe_answer` message. */
void subscribe_handle_answer(struct participant *p, json_t *msg, json_t *req);

/* The `video_size` message: where the client shows the video of a slot. */
void subscribe_handle_video_size(struct participant *p, json_t *msg, json_t *req);

/* Closes p's consumers and subscribe transport. */
void subscribe_release(struct participant *p);

/* The media plane reports the subscribe transport gone: release it and offer
 * everything again on a new connection. */
void subscribe_transport_closed(struct participant *p);

#endif
