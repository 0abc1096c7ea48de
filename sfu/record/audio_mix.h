/* The recording's one audio track: every speaker's decoded 20 ms block is
 * summed, the sum goes through a soft limiter, and libopus encodes it. A
 * step with nobody speaking is encoded as silence, so the track has no gap.
 *
 * Clipping protection is a soft knee, not a hard clip: samples below
 * AUDIO_MIX_KNEE (-2.5 dBFS) pass unchanged, louder ones are bent with tanh
 * towards full scale, which they never reach. It has no state (no attack or
 * release), so it cannot pump; two loud voices at once are compressed near
 * the top instead of wrapping or clipping into square waves. */
#ifndef SABAQ_RECORD_AUDIO_MIX_H
#define SABAQ_RECORD_AUDIO_MIX_H

#include <stddef.h>
#include <stdint.h>

#define AUDIO_RATE 48000
#define AUDIO_BLOCK 960          /* samples per 20 ms step, mono */
#define AUDIO_BLOCK_MS 20
#define AUDIO_MIX_KNEE 24576.0f  /* 0.75 of full scale */
/* Mono speech: 32 kbit/s is transparent for voices in Opus. */
#define AUDIO_MIX_BITRATE 32000
/* An encoded 20 ms block is ~80 bytes at that rate; the cap only bounds it. */
#define AUDIO_MIX_PACKET_MAX 400

struct OpusEncoder;

struct audio_mix {
    float acc[AUDIO_BLOCK];
    unsigned n_inputs;
    struct OpusEncoder *enc;     /* owned */
    int preskip;                 /* the encoder's lookahead, samples at 48 kHz */
};

/* 0 or -SQ_ENOMEM / -SQ_EINVAL (libopus refused). */
int audio_mix_init(struct audio_mix *m);
void audio_mix_destroy(struct audio_mix *m);

/* One step: begin, add each speaker's block, finish. */
void audio_mix_begin(struct audio_mix *m);
void audio_mix_add(struct audio_mix *m, const int16_t *block);
/* Limits the sum into pcm_out (may be NULL) and encodes it into out:
 * returns the packet length, or -SQ_EINVAL when libopus fails. */
int audio_mix_finish(struct audio_mix *m, int16_t *pcm_out, uint8_t *out, size_t cap);

/* The limiter alone, for one sample of the sum. */
int16_t audio_mix_limit(float x);

#endif
