/* The media plane as the signaling logic calls it: a small table of function
 * pointers, so the logic stays sans-IO and unit tests can pass a fake that
 * records calls. media_sfu_ops (media.c) forwards to include/sabaq/sfu.h with
 * `arg` being the struct sfu. Every call returns 0 or a negative -SQ_E code. */
#ifndef SIGNALING_MEDIA_H
#define SIGNALING_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/sdp.h"

struct media_ops {
    const char *(*fingerprint)(void *arg);
    size_t (*candidates)(void *arg, struct sdp_candidate *out, size_t cap);
    int (*transport_create)(void *arg, uint32_t transport_id, const char *local_ufrag,
                            const char *local_pwd, const char *remote_fingerprint_alg,
                            const char *remote_fingerprint);
    int (*transport_close)(void *arg, uint32_t transport_id);
    /* ICE restart: new local credentials for a transport (sfu.h). */
    int (*transport_restart_ice)(void *arg, uint32_t transport_id, const char *local_ufrag,
                                 const char *local_pwd);
    int (*producer_create)(void *arg, uint32_t producer_id, uint32_t transport_id,
                           const struct sdp_track *track);
    int (*producer_close)(void *arg, uint32_t producer_id);
    int (*consumer_create)(void *arg, uint32_t consumer_id, uint32_t transport_id,
                           uint32_t producer_id, const struct sdp_outgoing *out);
    int (*consumer_close)(void *arg, uint32_t consumer_id);
    /* Switches a consumer to another producer of its kind (0 = none) without
     * renegotiation; consumer_create takes producer 0 too (an idle slot). */
    int (*consumer_set_producer)(void *arg, uint32_t consumer_id, uint32_t producer_id);
    /* Stops (paused) or resumes forwarding a producer's media at the server:
     * mute, stop video, floor taken (the classroom). */
    int (*producer_set_paused)(void *arg, uint32_t producer_id, bool paused);
    /* The size (device pixels) at which the subscriber shows a video
     * consumer, 0x0 when not shown: picks its simulcast layer. May be NULL
     * (a media plane without layers): the size is then only remembered. */
    int (*consumer_set_preferred_size)(void *arg, uint32_t consumer_id, uint16_t width,
                                       uint16_t height);
    /* Recording (sfu.h sfu_recording_*). */
    int (*recording_start)(void *arg, uint32_t recording_id, const char *dir_path);
    int (*recording_stop)(void *arg, uint32_t recording_id);
    int (*recording_set_video)(void *arg, uint32_t recording_id, uint32_t producer_id);
    int (*recording_add_audio)(void *arg, uint32_t recording_id, uint32_t producer_id);
    int (*recording_remove_audio)(void *arg, uint32_t recording_id, uint32_t producer_id);
};

/* Wraps sfu.h; pass the struct sfu * as arg. */
extern const struct media_ops media_sfu_ops;

#endif
