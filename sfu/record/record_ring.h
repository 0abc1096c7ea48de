/* The hand-over of recorded packets from a media worker to the recorder
 * thread: a lock-free single-producer single-consumer ring of fixed slots
 * (one ring per worker, DESIGN "Threads"). The worker copies a decrypted
 * packet into the next free slot and publishes it with one release store;
 * the recorder reads slots in order and frees them with another. Nothing
 * here allocates after record_ring_new or takes a lock, so the worker's cost
 * per recorded packet is one memcpy. A full ring drops the packet (counted):
 * forwarding never waits for the recorder. */
#ifndef SABAQ_RECORD_RING_H
#define SABAQ_RECORD_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Larger than any RTP payload of a datagram the worker accepts (1500-byte
 * path MTU minus IP/UDP/RTP headers); longer payloads are dropped, counted. */
#define RECORD_PAYLOAD_MAX 1472
/* 2048 slots (3 MB per worker): ~3 s of a lesson's recorded packets (a
 * 1.5 Mbit/s stage at ~150 pps plus ten speakers at 50 pps), so a disk that
 * stalls the recorder for a moment costs nothing. */
#define RECORD_RING_SLOTS 2048

/* One recorded RTP packet, as the producer parsed it. */
struct record_packet {
    uint32_t producer_id;
    uint32_t rtp_timestamp;
    uint64_t ext_seq;            /* the producer's extended sequence number (per layer) */
    uint64_t arrival_us;         /* the worker's loop-turn time */
    uint16_t payload_len;
    uint8_t layer;               /* simulcast layer (0 without simulcast) */
    bool marker;
    bool is_keyframe;            /* first packet of a VP8 key frame */
    uint8_t payload[RECORD_PAYLOAD_MAX];
};

struct record_ring {
    struct record_packet *slots; /* owned: `mask + 1` of them */
    size_t mask;
    /* Producer side. */
    _Alignas(64) atomic_size_t head; /* next slot to fill; written by the worker only */
    size_t tail_seen;            /* the worker's last look at tail */
    atomic_uint_fast64_t dropped_full;
    /* Consumer side. */
    _Alignas(64) atomic_size_t tail; /* next slot to read; written by the recorder only */
};

/* `slots` must be a power of two. 0 or -SQ_EINVAL / -SQ_ENOMEM. */
int record_ring_init(struct record_ring *r, size_t slots);
void record_ring_destroy(struct record_ring *r);

/* Producer: the slot to fill, or NULL when the ring is full (counted). The
 * slot is only seen by the consumer after record_ring_commit. */
struct record_packet *record_ring_reserve(struct record_ring *r);
void record_ring_commit(struct record_ring *r);

/* Consumer: the oldest committed packet, or NULL when empty; it stays valid
 * until record_ring_release. */
const struct record_packet *record_ring_peek(struct record_ring *r);
void record_ring_release(struct record_ring *r);
bool record_ring_is_empty(struct record_ring *r);

#endif
