/* A WebM file written in real time with libavformat's Matroska muxer: one
 * VP8 track (frames passed through as received, never re-encoded) and one
 * Opus track (the mix), timestamps in milliseconds from the recording's
 * start. The file is playable while it is written and after a crash up to
 * its last cluster: clusters close every WEBM_CLUSTER_MS (or at a
 * keyframe), the segment size stays "unknown" until the trailer, and every
 * packet is flushed to the kernel as soon as the muxer hands it over.
 * webm_writer_close then writes the cues (seeking) and the duration.
 *
 * Packets must come in timestamp order across both tracks (the caller
 * interleaves). A failed write (disk full, I/O error) fails that call and
 * every later one; the reason is kept for SFU_EVENT_RECORDING_STOPPED. */
#ifndef SABAQ_RECORD_WEBM_WRITER_H
#define SABAQ_RECORD_WEBM_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this much of the file is lost when the process is killed. */
#define WEBM_CLUSTER_MS 1000
/* The video track's declared frame-rate grid (webm_writer.c says why);
 * frames must be at least 1000 / WEBM_VIDEO_GRID_FPS ms apart. */
#define WEBM_VIDEO_GRID_FPS 120
#define WEBM_VIDEO_MIN_GAP_MS 9

struct webm_writer;

/* Creates (truncates) the file. 0 or -SQ_EIO / -SQ_ENOMEM; on -SQ_EIO the
 * reason is in *errno_out (0 when not from the system). */
int webm_writer_open(struct webm_writer **out, const char *path, int *errno_out);

/* Writes the header: the video track's size (from the first keyframe, or a
 * default) and the Opus encoder's pre-skip. 0 or -SQ_EIO. */
int webm_writer_begin(struct webm_writer *w, uint16_t width, uint16_t height, int opus_preskip);
bool webm_writer_has_begun(const struct webm_writer *w);

/* One whole VP8 frame / one Opus packet. 0 or -SQ_EIO. */
int webm_writer_video(struct webm_writer *w, const uint8_t *data, size_t len, int64_t pts_ms,
                      bool is_keyframe);
int webm_writer_audio(struct webm_writer *w, const uint8_t *data, size_t len, int64_t pts_ms);

/* Writes the trailer (when begun and nothing failed), closes and frees.
 * 0, or -SQ_EIO with *reason (may be NULL) set as webm_writer_error_reason. */
int webm_writer_close(struct webm_writer *w, const char **reason);

/* "disk_full" (ENOSPC, EDQUOT) or "write_error": why the last call failed. */
const char *webm_writer_error_reason(const struct webm_writer *w);
/* Bytes handed to the file so far. */
uint64_t webm_writer_bytes(const struct webm_writer *w);

#endif
