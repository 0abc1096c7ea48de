/* A receive jitter buffer for one recorded RTP stream, sans-IO: packets go in
 * in arrival order with the time they arrived, and come out in sequence
 * order. A missing packet is waited for at most `max_wait_us` after the
 * first packet behind it arrived; then it is given up and the next packet
 * out says how many were lost just before it (VP8 then waits for a keyframe,
 * Opus conceals). Late packets (after their place was given up) and
 * duplicates are dropped and counted. Ordering uses the producer's extended
 * sequence numbers, so wrap-around of the 16-bit seq needs no care here.
 *
 * Memory: `capacity` slots of `max_payload` bytes, allocated once by
 * jitter_buffer_init; nothing is allocated per packet. */
#ifndef SABAQ_RECORD_JITTER_BUFFER_H
#define SABAQ_RECORD_JITTER_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jitter_buffer_config {
    uint32_t capacity;           /* packets held at most; a power of two */
    uint32_t max_payload;        /* bytes per packet; longer ones are refused */
    uint32_t max_wait_us;        /* how long a gap is waited for */
};

/* A packet going in, or coming out (then a view valid until the next call). */
struct jitter_packet {
    uint64_t ext_seq;
    uint32_t rtp_timestamp;
    uint64_t arrival_us;
    bool marker;
    bool is_keyframe;
    uint32_t lost_before;        /* out: packets given up just before this one */
    const uint8_t *payload;
    size_t payload_len;
};

struct jitter_buffer_stats {
    uint64_t pushed;             /* stored */
    uint64_t duplicates;         /* already held */
    uint64_t late;               /* arrived after their place was released or given up */
    uint64_t lost;               /* given up */
    uint64_t refused;            /* too large, or too far ahead to hold */
    uint64_t restarts;           /* the stream jumped: the buffer started again */
};

struct jitter_slot {
    bool is_used;
    bool marker, is_keyframe;
    uint32_t rtp_timestamp;
    uint64_t ext_seq;
    uint64_t arrival_us;
    size_t len;
};

struct jitter_buffer {
    struct jitter_buffer_config cfg;
    struct jitter_slot *slots;   /* owned: capacity */
    uint8_t *data;               /* owned: capacity * max_payload */
    bool is_started;
    bool has_popped;
    uint64_t next_seq;           /* the next one to give out */
    uint64_t highest_seq;
    uint32_t pending_loss;       /* from a restart: reported on the next packet out */
    struct jitter_buffer_stats stats;
};

/* 0 or -SQ_EINVAL / -SQ_ENOMEM. */
int jitter_buffer_init(struct jitter_buffer *jb, const struct jitter_buffer_config *cfg);
void jitter_buffer_destroy(struct jitter_buffer *jb);
/* Forgets every packet: the next one pushed starts a new stream. */
void jitter_buffer_reset(struct jitter_buffer *jb);

/* Copies the packet in (lost_before is ignored). 0 stored, or -SQ_EEXIST
 * (duplicate), -SQ_ESTATE (late), -SQ_ELIMIT (too large). A packet more than
 * `capacity` ahead of the oldest one waited for restarts the stream at it
 * (the gap is reported as lost). */
int jitter_buffer_push(struct jitter_buffer *jb, const struct jitter_packet *in);

/* The next packet in sequence order: 1 with *out set, 0 when the next one is
 * not here yet (and not yet given up). */
int jitter_buffer_pop(struct jitter_buffer *jb, uint64_t now_us, struct jitter_packet *out);

/* When the gap at the head will be given up (SQ_NEVER when there is none):
 * call jitter_buffer_pop then. */
uint64_t jitter_buffer_next_deadline_us(const struct jitter_buffer *jb);

#endif
