/* WebM writer over libavformat (see webm_writer.h). Written against
 * FFmpeg 5.1 (Debian 12): the matroska muxer's cluster_time_limit and the
 * format context's flush_packets. Not `live`: in live mode the trailer
 * writes no cues and no duration, and the file would not seek; without it
 * the segment size is still written as unknown until the trailer, which is
 * what keeps a file cut short readable. */
#include "record/webm_writer.h"

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sabaq/error.h"

#define OPUS_HEAD_LEN 19

struct webm_writer {
    AVFormatContext *fmt;        /* owned, with its AVIOContext */
    AVPacket *pkt;               /* owned: reused for every packet (data borrowed) */
    AVStream *video, *audio;     /* owned by fmt */
    bool has_begun;
    int error;                   /* the first AVERROR, 0 while none */
    int64_t last_video_ms, last_audio_ms;
    int64_t good_bytes;          /* the file's length after the last write that worked */
    char *path;                  /* owned */
};

static int fail(struct webm_writer *w, int averr)
{
    if (!w->error)
        w->error = averr ? averr : AVERROR(EIO);
    return -SQ_EIO;
}

static void free_writer(struct webm_writer *w)
{
    if (w->fmt) {
        if (w->fmt->pb)
            avio_closep(&w->fmt->pb);
        avformat_free_context(w->fmt);
    }
    av_packet_free(&w->pkt);
    free(w->path);
    free(w);
}

/* After a failed write the file may end in part of a cluster: cut it back
 * to the last one written whole, so it still plays to its end cleanly (and
 * a full disk gets those bytes back). Best effort. */
static void cut_back(struct webm_writer *w)
{
    if (w->good_bytes > 0 && truncate(w->path, w->good_bytes) != 0)
        fprintf(stderr, "sabaq: recorder: cannot cut %s back to its last whole cluster\n",
                w->path);
}

/* Every packet is flushed and the muxer hands over only whole clusters, so
 * after a write that worked the file ends at a cluster's end. */
static void mark_good(struct webm_writer *w)
{
    w->good_bytes = avio_tell(w->fmt->pb);
}

int webm_writer_open(struct webm_writer **out, const char *path, int *errno_out)
{
    *errno_out = 0;
    struct webm_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return -SQ_ENOMEM;
    w->last_video_ms = w->last_audio_ms = -1;
    w->pkt = av_packet_alloc();
    if (!w->pkt || avformat_alloc_output_context2(&w->fmt, NULL, "webm", path) < 0 || !w->fmt) {
        free_writer(w);
        return -SQ_ENOMEM;
    }
    /* "file:" so that a colon in the path never names another protocol. */
    size_t n = strlen(path) + sizeof("file:");
    char *url = malloc(n);
    if (!url) {
        free_writer(w);
        return -SQ_ENOMEM;
    }
    snprintf(url, n, "file:%s", path);
    int rc = avio_open(&w->fmt->pb, url, AVIO_FLAG_WRITE);
    free(url);
    if (rc < 0) {
        *errno_out = AVUNERROR(rc) > 0 && AVUNERROR(rc) < 4096 ? AVUNERROR(rc) : 0;
        free_writer(w);
        return -SQ_EIO;
    }
    w->path = strdup(path);
    if (!w->path) {
        free_writer(w);
        return -SQ_ENOMEM;
    }
    *out = w;
    return 0;
}

static void opus_head(uint8_t *h, int preskip)
{
    /* RFC 7845 sec. 5.1: mono, mapping family 0. */
    memcpy(h, "OpusHead", 8);
    h[8] = 1;                    /* version */
    h[9] = 1;                    /* channels */
    h[10] = (uint8_t)preskip;
    h[11] = (uint8_t)(preskip >> 8);
    uint32_t rate = 48000;
    for (int i = 0; i < 4; i++)
        h[12 + i] = (uint8_t)(rate >> (8 * i));
    h[16] = h[17] = 0;           /* output gain */
    h[18] = 0;                   /* mapping family */
}

static int add_streams(struct webm_writer *w, uint16_t width, uint16_t height, int preskip)
{
    w->video = avformat_new_stream(w->fmt, NULL);
    w->audio = avformat_new_stream(w->fmt, NULL);
    if (!w->video || !w->audio)
        return AVERROR(ENOMEM);
    AVCodecParameters *v = w->video->codecpar;
    v->codec_type = AVMEDIA_TYPE_VIDEO;
    v->codec_id = AV_CODEC_ID_VP8;
    v->width = width;
    v->height = height;
    w->video->time_base = (AVRational){1, 1000};
    /* WebRTC video has a variable frame rate (capture jitter, encoder
     * drops). Declared here as the finest timing it may have: the muxer
     * writes it as DefaultDuration, and a reader that puts the frames on a
     * fixed grid (ffmpeg's r_frame_rate) gets one fine enough that two real
     * frames never share a slot. The frames' own timestamps stay exact. */
    w->video->avg_frame_rate = (AVRational){WEBM_VIDEO_GRID_FPS, 1};

    AVCodecParameters *a = w->audio->codecpar;
    a->codec_type = AVMEDIA_TYPE_AUDIO;
    a->codec_id = AV_CODEC_ID_OPUS;
    a->sample_rate = 48000;
    av_channel_layout_default(&a->ch_layout, 1);
    a->initial_padding = preskip; /* the muxer writes it as CodecDelay */
    a->extradata = av_mallocz(OPUS_HEAD_LEN + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!a->extradata)
        return AVERROR(ENOMEM);
    a->extradata_size = OPUS_HEAD_LEN;
    opus_head(a->extradata, preskip);
    w->audio->time_base = (AVRational){1, 1000};
    return 0;
}

int webm_writer_begin(struct webm_writer *w, uint16_t width, uint16_t height, int opus_preskip)
{
    if (w->error)
        return -SQ_EIO;
    if (w->has_begun)
        return 0;
    int rc = add_streams(w, width, height, opus_preskip);
    if (rc < 0)
        return fail(w, rc);
    AVDictionary *opts = NULL;
    char ms[16];
    snprintf(ms, sizeof(ms), "%d", WEBM_CLUSTER_MS);
    av_dict_set(&opts, "cluster_time_limit", ms, 0);
    /* Clusters are handed to the file whole; each is written out at once. */
    w->fmt->flush_packets = 1;
    rc = avformat_write_header(w->fmt, &opts);
    av_dict_free(&opts);
    if (rc < 0)
        return fail(w, rc);
    avio_flush(w->fmt->pb);
    if (w->fmt->pb->error < 0)
        return fail(w, w->fmt->pb->error);
    mark_good(w);
    w->has_begun = true;
    return 0;
}

bool webm_writer_has_begun(const struct webm_writer *w)
{
    return w->has_begun;
}

static int write_packet(struct webm_writer *w, AVStream *st, const uint8_t *data, size_t len,
                        int64_t pts_ms, bool is_key, int64_t duration_ms)
{
    if (w->error || !w->has_begun)
        return -SQ_EIO;
    if (len == 0 || len > INT32_MAX)
        return 0;
    AVPacket *p = w->pkt;
    av_packet_unref(p);
    p->data = (uint8_t *)data;   /* not referenced after av_write_frame returns */
    p->size = (int)len;
    p->stream_index = st->index;
    p->pts = p->dts = av_rescale_q(pts_ms, (AVRational){1, 1000}, st->time_base);
    p->duration = av_rescale_q(duration_ms, (AVRational){1, 1000}, st->time_base);
    p->flags = is_key ? AV_PKT_FLAG_KEY : 0;
    int rc = av_write_frame(w->fmt, p);
    p->data = NULL;
    p->size = 0;
    if (rc < 0)
        return fail(w, rc);
    if (w->fmt->pb->error < 0)
        return fail(w, w->fmt->pb->error);
    mark_good(w);
    return 0;
}

int webm_writer_video(struct webm_writer *w, const uint8_t *data, size_t len, int64_t pts_ms,
                      bool is_keyframe)
{
    /* The muxer refuses a timestamp going backwards within a track, and
     * frames closer than the declared grid would share a slot. */
    if (w->last_video_ms >= 0 && pts_ms < w->last_video_ms + WEBM_VIDEO_MIN_GAP_MS)
        pts_ms = w->last_video_ms + WEBM_VIDEO_MIN_GAP_MS;
    w->last_video_ms = pts_ms;
    return write_packet(w, w->video, data, len, pts_ms, is_keyframe, 0);
}

int webm_writer_audio(struct webm_writer *w, const uint8_t *data, size_t len, int64_t pts_ms)
{
    if (pts_ms <= w->last_audio_ms)
        return 0;
    w->last_audio_ms = pts_ms;
    return write_packet(w, w->audio, data, len, pts_ms, true, 20);
}

int webm_writer_close(struct webm_writer *w, const char **reason)
{
    if (!w)
        return 0;
    int rc = 0;
    if (w->has_begun && !w->error) {
        rc = av_write_trailer(w->fmt);
        if (rc < 0)
            fail(w, rc);
    }
    if (w->fmt && w->fmt->pb) {
        int c = avio_closep(&w->fmt->pb);
        if (c < 0 && !w->error)
            fail(w, c);
    }
    rc = w->error ? -SQ_EIO : 0;
    if (rc < 0 && reason)
        *reason = webm_writer_error_reason(w);
    if (rc < 0)
        cut_back(w);
    free_writer(w);
    return rc;
}

const char *webm_writer_error_reason(const struct webm_writer *w)
{
    int e = AVUNERROR(w->error);
    return e == ENOSPC || e == EDQUOT ? "disk_full" : "write_error";
}

uint64_t webm_writer_bytes(const struct webm_writer *w)
{
    return w->fmt && w->fmt->pb ? (uint64_t)avio_tell(w->fmt->pb) : 0;
}
