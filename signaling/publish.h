/* The publish connection of a participant: the client offers its tracks,
 * Sabaq answers (sdp_answer_publish) and keeps one producer per accepted
 * m-line in step with every re-offer. */
#ifndef SIGNALING_PUBLISH_H
#define SIGNALING_PUBLISH_H

#include <jansson.h>

#include "participant.h"

/* The `publish` message: replies publish_answer (or an error) and
 * renegotiates the other members' subscribe connections. */
void publish_handle(struct participant *p, json_t *msg, json_t *req);

/* Closes p's producers (taking them out of the others' offers, without
 * sending those yet) and its publish transport. */
void publish_release(struct participant *p);

/* The media plane reports the publish transport gone: release it, choose new
 * ICE credentials for the next publish, renegotiate the others. */
void publish_transport_closed(struct participant *p);

#endif
