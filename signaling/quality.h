/* Connection quality per participant (docs/protocol.md, "Connection
 * quality"): each page measures its own connection (getStats: loss and
 * round-trip time) and reports a level with `quality`; the teacher and
 * assistants get it as `participant_quality`, so they see who is on a weak
 * link. Only staff get it: relaying every student's report to 500 people
 * would cost more than the information is worth to the others. */
#ifndef SIGNALING_QUALITY_H
#define SIGNALING_QUALITY_H

#include <jansson.h>
#include <stdint.h>

struct participant;

enum quality_level {
    QUALITY_UNKNOWN = 0,   /* never reported */
    QUALITY_GOOD,
    QUALITY_FAIR,
    QUALITY_POOR,
};

/* A level relayed again at most this often (ms) when it does not change,
 * and never more often than QUALITY_MIN_GAP_MS per participant. */
#define QUALITY_REFRESH_MS 15000
#define QUALITY_MIN_GAP_MS 2000
#define QUALITY_RTT_MAX_MS 60000

/* "good", "fair", "poor"; NULL for QUALITY_UNKNOWN. */
const char *quality_level_name(enum quality_level q);
/* The level of a name, QUALITY_UNKNOWN when it is none of them. */
enum quality_level quality_level_parse(const char *name);

/* Whether a report of `level` at now_ms is relayed, given the last relay
 * (level and time; QUALITY_UNKNOWN / 0 before the first). */
int quality_should_relay(enum quality_level last, uint64_t last_ms, enum quality_level level,
                         uint64_t now_ms);

/* C->S {"type":"quality","level":..,"rtt_ms"?:..,"loss_pct"?:..}: checks it
 * (bad_message otherwise), keeps the level on p and relays it to the
 * lesson's staff when quality_should_relay says so. No reply. */
void quality_handle(struct participant *p, json_t *msg, json_t *req);

#endif
