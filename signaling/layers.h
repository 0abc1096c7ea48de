/* Pausing simulcast layers nobody watches at their source: the media plane
 * reports which layers of a producer some consumer wants
 * (SFU_EVENT_LAYERS_CHANGED) and the publisher is told with a `layers`
 * message (docs/protocol.md), so the browser stops encoding and sending the
 * others (RTCRtpSender.setParameters, encodings[i].active). */
#ifndef SIGNALING_LAYERS_H
#define SIGNALING_LAYERS_H

#include <stdint.h>

struct signaling;

/* Producer `producer_id` is wanted in the layers of `mask` (bit i = the
 * track's rids[i]): sends {"type":"layers","mid":..,"active":[rids]} to its
 * publisher. Unknown producers and tracks without rids are ignored. */
void layers_changed(struct signaling *s, uint32_t producer_id, uint32_t mask);

#endif
