/* One recording: the stage's video passed through and every speaker mixed
 * into one Opus track, written to <dir>/recording.webm as it goes. Driven by
 * the recorder thread with packets and the time (its own clock reading);
 * nothing here reads a clock or touches the media workers.
 *
 * Timeline: 0 is when the recording started. Audio is one 20 ms block after
 * another with no gap (silence when nobody speaks), mixed
 * RECORDING_MIX_DELAY_US behind real time so that late and reordered
 * packets still make it. Video frames keep their RTP timing (90 kHz mapped
 * to ms), anchored where the source's first frame arrived; a switch of the
 * source (or of its simulcast layer) starts at a keyframe and continues the
 * same VP8 track. Frames are written interleaved with the audio in
 * timestamp order.
 *
 * The header (and so the video track's size) waits for the first keyframe,
 * at most RECORDING_HEADER_WAIT_US; a recording without any video gets a
 * video track of the default size with no frames.
 *
 * Memory: ~3.5 MB per recording (the video jitter buffer 1.5 MB, two VP8
 * frame buffers 2 MB) plus ~170 KB per speaker; queued video frames are
 * allocated one by one on the recorder thread (never on a worker). */
#ifndef SABAQ_RECORD_RECORDING_H
#define SABAQ_RECORD_RECORDING_H

#include <stdbool.h>
#include <stdint.h>

#include "record/audio_mix.h"
#include "record/audio_source.h"
#include "record/jitter_buffer.h"
#include "record/record_ring.h"
#include "record/vp8_frame.h"
#include "record/webm_writer.h"

#define RECORDING_FILE_NAME "recording.webm"
#define RECORDING_MAX_AUDIO 32
#define RECORDING_MIX_DELAY_US 200000
#define RECORDING_HEADER_WAIT_US 3000000
#define RECORDING_DEFAULT_WIDTH 1280
#define RECORDING_DEFAULT_HEIGHT 720
#define RECORDING_KEYFRAME_RETRY_US 1000000
/* Frames waiting for the audio to catch up (the mix delay): ~8 s at 30 fps. */
#define RECORDING_VIDEO_QUEUE 256
/* Mixed blocks waiting for the header: the header wait plus slack. */
#define RECORDING_AUDIO_QUEUE 256
/* A frame this far (ms) from where its arrival puts it re-anchors the source. */
#define RECORDING_VIDEO_REANCHOR_MS 1000

struct recording_ops {
    /* Ask the publisher of `producer_id` for a keyframe (a PLI). */
    void (*request_keyframe)(void *arg, uint32_t producer_id);
    void *arg;
};

struct recording_stats {
    uint64_t video_frames, video_dropped, keyframe_requests;
    uint64_t audio_blocks, audio_blocks_with_speech;
    uint64_t ignored_audio;      /* add_audio beyond RECORDING_MAX_AUDIO */
};

struct queued_frame {
    int64_t pts_ms;
    bool is_keyframe;
    size_t len;
    uint8_t data[];
};

struct queued_audio {
    int64_t pts_ms;
    uint16_t len;
    uint8_t data[AUDIO_MIX_PACKET_MAX];
};

struct recording {
    uint32_t id;
    uint64_t start_us;
    struct recording_ops ops;
    struct webm_writer *writer;  /* owned; NULL once closed */
    bool has_failed;
    const char *fail_reason;     /* static string */

    struct audio_mix mix;
    struct audio_source *audio[RECORDING_MAX_AUDIO]; /* owned; NULL = free */
    int64_t next_block;          /* the next 20 ms block to mix */
    struct queued_audio *aq;     /* owned: RECORDING_AUDIO_QUEUE */
    size_t aq_head, aq_n;

    uint32_t video_producer;     /* 0 = none */
    bool has_video_layer;
    uint8_t video_layer;
    struct jitter_buffer video_jb;
    struct vp8_frame_assembler vp8;
    bool is_video_anchored;
    int64_t video_anchor_ms;
    uint32_t video_anchor_ts;
    int64_t last_video_ms;       /* -1 before the first frame */
    uint64_t last_keyframe_request_us;
    uint16_t width, height;      /* of the first keyframe; 0 before */
    struct queued_frame *vq[RECORDING_VIDEO_QUEUE]; /* owned */
    size_t vq_head, vq_n;

    struct recording_stats stats;
};

/* Creates `dir_path` (one level) if missing and RECORDING_FILE_NAME in it.
 * 0, -SQ_ENOMEM, or -SQ_EIO with *reason ("disk_full" / "write_error"). */
int recording_new(struct recording **out, uint32_t id, const char *dir_path, uint64_t now_us,
                  const struct recording_ops *ops, const char **reason);

/* Source changes. set_video(0) stops the video (the track goes on later).
 * add_audio returns -SQ_ELIMIT beyond RECORDING_MAX_AUDIO speakers. */
void recording_set_video(struct recording *r, uint32_t producer_id, uint64_t now_us);
int recording_add_audio(struct recording *r, uint32_t producer_id);
void recording_remove_audio(struct recording *r, uint32_t producer_id);
/* True when the recording takes this producer (video or audio). */
bool recording_uses(const struct recording *r, uint32_t producer_id);

/* A recorded packet; packets of producers it does not take are ignored. */
void recording_on_packet(struct recording *r, const struct record_packet *pkt, uint64_t now_us);

/* Mixes and writes what is due. 0 or -SQ_EIO (then see fail_reason: the
 * recording is dead and only recording_free remains). */
int recording_poll(struct recording *r, uint64_t now_us);
uint64_t recording_next_deadline_us(const struct recording *r);

/* Mixes up to `now_us` without waiting for late packets, writes everything
 * and the trailer, closes the file. 0 or -SQ_EIO (fail_reason set). */
int recording_finish(struct recording *r, uint64_t now_us);

/* Frees (closing the file without a trailer if still open). */
void recording_free(struct recording *r);

#endif
