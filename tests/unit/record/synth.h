/* Synthetic media for the recording tests and their read-back: a moving
 * pattern encoded with libvpx and packetized as VP8 RTP (RFC 7741), a tone
 * encoded with libopus, both as struct record_packet the way the worker's
 * tap hands them over; and a reader that decodes a WebM file with
 * libavformat/libavcodec and counts what it finds. */
#ifndef SABAQ_TEST_RECORD_SYNTH_H
#define SABAQ_TEST_RECORD_SYNTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record/record_ring.h"

#define SYNTH_MAX_PACKETS 64     /* per video frame */

struct synth_video;
/* width x height at 30 fps. NULL on failure. */
struct synth_video *synth_video_new(uint32_t producer_id, int width, int height);
void synth_video_free(struct synth_video *v);
/* The next encoder frame forced to be a keyframe (what a PLI does). */
void synth_video_request_keyframe(struct synth_video *v);
/* Encodes frame `index` and packetizes it into out[] (arrival_us unset).
 * Returns the packet count (0 when the encoder dropped the frame). */
int synth_video_frame(struct synth_video *v, int index, struct record_packet *out, int cap);

struct synth_audio;
struct synth_audio *synth_audio_new(uint32_t producer_id, double tone_hz, double amplitude);
void synth_audio_free(struct synth_audio *a);
/* Encodes 20 ms block `index` into *out (arrival_us unset). 0 or -1. */
int synth_audio_frame(struct synth_audio *a, int index, struct record_packet *out);

struct webm_readback {
    int n_streams;
    bool has_vp8, has_opus;
    int64_t duration_ms;         /* the container's, -1 when unknown */
    int video_packets, video_keyframes, video_frames_decoded;
    int audio_packets, audio_samples_decoded;
    int decode_errors;           /* failed sends/receives plus error log lines */
    int width, height;
    int64_t first_video_ms, last_video_ms, last_audio_ms;
    double audio_rms_after_1s;   /* of the decoded audio past the first second */
    bool first_video_is_key;
    bool pts_monotonic;
};
/* 0 or -1 (cannot open). */
int synth_read_webm(const char *path, struct webm_readback *out);

#endif
