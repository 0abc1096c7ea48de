/* One speaker of a recording: its jitter buffer, its Opus decoder, and the
 * decoded samples placed on the recording's timeline, waiting for the mixer.
 *
 * Timeline: sample n of the recording is n / 48 kHz after its start. The
 * first packet of a speaker is placed where it arrived (its arrival time on
 * the timeline); later packets follow by RTP timestamp (Opus always ticks at
 * 48 kHz), so network jitter does not move them. A packet that lands too far
 * from where it arrives (the sender's clock drifted, or its timestamps
 * jumped) is placed by its arrival again.
 *
 * Losses: the jitter buffer reports packets given up; up to
 * AUDIO_SOURCE_CONCEAL_MAX frames before a packet are rebuilt, the last one
 * from the packet's in-band FEC (when the sender put some there), the others
 * by the decoder's loss concealment. Longer gaps (a muted mic, DTX) stay
 * silent. Memory: ~170 KB per speaker (jitter buffer 94 KB, samples 61 KB),
 * allocated when it is added. */
#ifndef SABAQ_RECORD_AUDIO_SOURCE_H
#define SABAQ_RECORD_AUDIO_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "record/audio_mix.h"
#include "record/jitter_buffer.h"
#include "record/record_ring.h"

/* Blocks of the timeline a speaker can hold ahead of the mixer (640 ms). */
#define AUDIO_SOURCE_BLOCKS 32
#define AUDIO_SOURCE_CONCEAL_MAX 5
/* A packet arriving this far (in samples) from its RTP-timed place is re-placed. */
#define AUDIO_SOURCE_REANCHOR 24000
/* Opus packets hold at most 120 ms. */
#define AUDIO_SOURCE_FRAME_MAX 5760

struct OpusDecoder;

struct audio_source_stats {
    uint64_t packets, decoded, concealed, fec, late, reanchored, decode_errors;
};

struct audio_source {
    uint32_t producer_id;
    struct jitter_buffer jb;
    struct OpusDecoder *dec;     /* owned */
    bool is_anchored;
    int64_t anchor_pos;          /* timeline sample of anchor_ts */
    uint32_t anchor_ts;
    int64_t end_pos;             /* timeline sample after the last decoded packet */
    int64_t base_block;          /* the oldest block held: the mixer's next block */
    int16_t pcm[AUDIO_SOURCE_BLOCKS][AUDIO_BLOCK];
    bool filled[AUDIO_SOURCE_BLOCKS];
    int16_t scratch[AUDIO_SOURCE_FRAME_MAX]; /* one decoded packet */
    struct audio_source_stats stats;
};

/* 0 or -SQ_ENOMEM / -SQ_EINVAL. `first_block` is the mixer's next block. */
int audio_source_init(struct audio_source *s, uint32_t producer_id, int64_t first_block);
void audio_source_destroy(struct audio_source *s);

/* One recorded packet of this speaker, into the jitter buffer. */
void audio_source_push(struct audio_source *s, const struct record_packet *pkt);

/* Decodes what the jitter buffer gives out by now and places it on the
 * timeline. `start_us` is the recording's start (the worker's clock). */
void audio_source_drain(struct audio_source *s, uint64_t now_us, uint64_t start_us);

/* Block `block` (the mixer's next) for the mix: true with *out set when the
 * speaker has samples there. Either way the block leaves the speaker. */
bool audio_source_take(struct audio_source *s, int64_t block, const int16_t **out);
/* Call after the block taken is mixed: frees its place. */
void audio_source_advance(struct audio_source *s, int64_t block);

uint64_t audio_source_next_deadline_us(const struct audio_source *s);

#endif
