/* Synthetic media and WebM read-back (see synth.h). */
#include "record/synth.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <math.h>
#include <opus/opus.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#define VIDEO_MTU 1000

struct synth_video {
    uint32_t producer_id;
    vpx_codec_ctx_t codec;
    vpx_image_t img;
    int width, height;
    bool force_key;
    uint64_t ext_seq;            /* the producer's extended seq (RFC 3550 A.1) */
    uint16_t picture_id;
};

struct synth_video *synth_video_new(uint32_t producer_id, int width, int height)
{
    struct synth_video *v = calloc(1, sizeof(*v));
    vpx_codec_enc_cfg_t cfg;
    if (!v || vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) {
        free(v);
        return NULL;
    }
    cfg.g_w = (unsigned)width;
    cfg.g_h = (unsigned)height;
    cfg.g_timebase.num = 1;
    cfg.g_timebase.den = 30;
    cfg.rc_target_bitrate = 300;
    cfg.g_lag_in_frames = 0;
    cfg.kf_max_dist = 100000;    /* keyframes only when asked (as with WebRTC) */
    cfg.g_error_resilient = 1;
    if (vpx_codec_enc_init(&v->codec, vpx_codec_vp8_cx(), &cfg, 0) != VPX_CODEC_OK) {
        free(v);
        return NULL;
    }
    vpx_codec_control(&v->codec, VP8E_SET_CPUUSED, 16);
    if (!vpx_img_alloc(&v->img, VPX_IMG_FMT_I420, (unsigned)width, (unsigned)height, 16)) {
        vpx_codec_destroy(&v->codec);
        free(v);
        return NULL;
    }
    v->producer_id = producer_id;
    v->width = width;
    v->height = height;
    v->ext_seq = 0x10000u + 65000; /* the 16-bit seq wraps early in the test */
    v->picture_id = 100;
    return v;
}

void synth_video_free(struct synth_video *v)
{
    if (!v)
        return;
    vpx_img_free(&v->img);
    vpx_codec_destroy(&v->codec);
    free(v);
}

void synth_video_request_keyframe(struct synth_video *v)
{
    v->force_key = true;
}

/* A diagonal gradient moving by 4 pixels a frame, a square bouncing across. */
static void draw(struct synth_video *v, int index)
{
    for (int y = 0; y < v->height; y++) {
        uint8_t *row = v->img.planes[0] + y * v->img.stride[0];
        for (int x = 0; x < v->width; x++) {
            int sq = (x - index * 3) % v->width;
            bool in_square = sq >= 0 && sq < 40 && y > 60 && y < 100;
            row[x] = in_square ? 235 : (uint8_t)((x + y + index * 4) & 0xff);
        }
    }
    for (int p = 1; p < 3; p++)
        for (int y = 0; y < v->height / 2; y++)
            memset(v->img.planes[p] + y * v->img.stride[p], p == 1 ? 90 + index % 60 : 160,
                   (size_t)v->width / 2);
}

static int packetize(struct synth_video *v, const uint8_t *frame, size_t len, int index,
                     struct record_packet *out, int cap)
{
    int n = 0;
    size_t off = 0;
    bool is_key = !(frame[0] & 1);
    while (off < len && n < cap) {
        size_t chunk = len - off > VIDEO_MTU ? VIDEO_MTU : len - off;
        struct record_packet *p = &out[n];
        memset(p, 0, offsetof(struct record_packet, payload));
        p->producer_id = v->producer_id;
        p->ext_seq = v->ext_seq++;
        p->rtp_timestamp = 1234567u + (uint32_t)index * 3000u;
        p->payload[0] = (uint8_t)(0x80 | (off == 0 ? 0x10 : 0)); /* X, S, PID 0 */
        p->payload[1] = 0x80;    /* I: PictureID follows */
        p->payload[2] = (uint8_t)(0x80 | (v->picture_id >> 8));
        p->payload[3] = (uint8_t)v->picture_id;
        memcpy(p->payload + 4, frame + off, chunk);
        p->payload_len = (uint16_t)(chunk + 4);
        p->marker = off + chunk == len;
        p->is_keyframe = is_key && off == 0;
        off += chunk;
        n++;
    }
    v->picture_id = (uint16_t)((v->picture_id + 1) & 0x7fff);
    return n;
}

int synth_video_frame(struct synth_video *v, int index, struct record_packet *out, int cap)
{
    draw(v, index);
    vpx_enc_frame_flags_t flags = v->force_key ? VPX_EFLAG_FORCE_KF : 0;
    v->force_key = false;
    if (vpx_codec_encode(&v->codec, &v->img, index, 1, flags, VPX_DL_REALTIME) != VPX_CODEC_OK)
        return -1;
    const vpx_codec_cx_pkt_t *pkt;
    vpx_codec_iter_t iter = NULL;
    int n = 0;
    while ((pkt = vpx_codec_get_cx_data(&v->codec, &iter)))
        if (pkt->kind == VPX_CODEC_CX_FRAME_PKT && n == 0)
            n = packetize(v, pkt->data.frame.buf, pkt->data.frame.sz, index, out, cap);
    return n;
}

struct synth_audio {
    uint32_t producer_id;
    OpusEncoder *enc;
    double tone_hz, amplitude;
    uint16_t seq;
};

struct synth_audio *synth_audio_new(uint32_t producer_id, double tone_hz, double amplitude)
{
    int err;
    struct synth_audio *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
    if (!a->enc) {
        free(a);
        return NULL;
    }
    /* In-band FEC, as browsers send it. */
    opus_encoder_ctl(a->enc, OPUS_SET_INBAND_FEC(1));
    opus_encoder_ctl(a->enc, OPUS_SET_PACKET_LOSS_PERC(10));
    a->producer_id = producer_id;
    a->tone_hz = tone_hz;
    a->amplitude = amplitude;
    a->seq = (uint16_t)(producer_id * 1000);
    return a;
}

void synth_audio_free(struct synth_audio *a)
{
    if (!a)
        return;
    opus_encoder_destroy(a->enc);
    free(a);
}

int synth_audio_frame(struct synth_audio *a, int index, struct record_packet *out)
{
    int16_t pcm[960];
    for (int i = 0; i < 960; i++) {
        double t = (index * 960 + i) / 48000.0;
        pcm[i] = (int16_t)(a->amplitude * sin(2 * M_PI * a->tone_hz * t));
    }
    memset(out, 0, offsetof(struct record_packet, payload));
    int n = opus_encode(a->enc, pcm, 960, out->payload, 400);
    if (n <= 0)
        return -1;
    out->producer_id = a->producer_id;
    out->ext_seq = 0x10000u + a->seq++;
    out->rtp_timestamp = 777u + (uint32_t)index * 960u;
    out->payload_len = (uint16_t)n;
    return 0;
}

/* --- read-back --------------------------------------------------------------- */

static int log_errors;

static void count_log(void *avcl, int level, const char *fmt, va_list vl)
{
    (void)avcl, (void)fmt, (void)vl;
    if (level <= AV_LOG_ERROR)
        log_errors++;
}

static AVCodecContext *open_decoder(const AVStream *st)
{
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    AVCodecContext *c = codec ? avcodec_alloc_context3(codec) : NULL;
    if (!c)
        return NULL;
    if (avcodec_parameters_to_context(c, st->codecpar) < 0 || avcodec_open2(c, codec, NULL) < 0)
        avcodec_free_context(&c);
    return c;
}

struct decode_state {
    double energy;
    long energy_samples;
};

static void decode(AVCodecContext *c, const AVPacket *pkt, AVFrame *frame,
                   struct webm_readback *out, struct decode_state *ds, bool is_video,
                   int64_t pts_ms)
{
    if (avcodec_send_packet(c, pkt) < 0) {
        out->decode_errors++;
        return;
    }
    int rc;
    while ((rc = avcodec_receive_frame(c, frame)) == 0) {
        if (is_video) {
            out->video_frames_decoded++;
            out->width = frame->width;
            out->height = frame->height;
        } else {
            out->audio_samples_decoded += frame->nb_samples;
            if (pts_ms >= 1000 && frame->format == AV_SAMPLE_FMT_FLTP)
                for (int i = 0; i < frame->nb_samples; i++) {
                    float s = ((const float *)frame->data[0])[i] * 32767.0f;
                    ds->energy += (double)s * s;
                    ds->energy_samples++;
                }
        }
        av_frame_unref(frame);
    }
    if (rc != AVERROR(EAGAIN) && rc != AVERROR_EOF)
        out->decode_errors++;
}

int synth_read_webm(const char *path, struct webm_readback *out)
{
    AVFormatContext *fmt = NULL;
    memset(out, 0, sizeof(*out));
    out->duration_ms = -1;
    out->first_video_ms = -1;
    out->pts_monotonic = true;
    log_errors = 0;
    av_log_set_callback(count_log);
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0) {
        av_log_set_callback(av_log_default_callback);
        return -1;
    }
    avformat_find_stream_info(fmt, NULL);
    out->n_streams = (int)fmt->nb_streams;
    if (fmt->duration != AV_NOPTS_VALUE)
        out->duration_ms = fmt->duration / 1000;
    AVCodecContext *dec[8] = {0};
    for (unsigned i = 0; i < fmt->nb_streams && i < 8; i++) {
        enum AVCodecID id = fmt->streams[i]->codecpar->codec_id;
        out->has_vp8 |= id == AV_CODEC_ID_VP8;
        out->has_opus |= id == AV_CODEC_ID_OPUS;
        dec[i] = open_decoder(fmt->streams[i]);
    }
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    struct decode_state ds = {0};
    int64_t last_pts[8];
    for (int i = 0; i < 8; i++)
        last_pts[i] = INT64_MIN;
    while (av_read_frame(fmt, pkt) >= 0) {
        int si = pkt->stream_index;
        AVStream *st = fmt->streams[si];
        int64_t ms = av_rescale_q(pkt->pts, st->time_base, (AVRational){1, 1000});
        bool is_video = st->codecpar->codec_id == AV_CODEC_ID_VP8;
        if (si < 8 && pkt->pts <= last_pts[si])
            out->pts_monotonic = false;
        if (si < 8)
            last_pts[si] = pkt->pts;
        if (is_video) {
            if (out->video_packets == 0)
                out->first_video_is_key = pkt->flags & AV_PKT_FLAG_KEY;
            out->video_packets++;
            out->video_keyframes += (pkt->flags & AV_PKT_FLAG_KEY) != 0;
            if (out->first_video_ms < 0)
                out->first_video_ms = ms;
            out->last_video_ms = ms;
        } else {
            out->audio_packets++;
            out->last_audio_ms = ms;
        }
        if (si < 8 && dec[si])
            decode(dec[si], pkt, frame, out, &ds, is_video, ms);
        av_packet_unref(pkt);
    }
    for (unsigned i = 0; i < 8; i++)
        avcodec_free_context(&dec[i]);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avformat_close_input(&fmt);
    av_log_set_callback(av_log_default_callback);
    out->decode_errors += log_errors;
    out->audio_rms_after_1s = ds.energy_samples ? sqrt(ds.energy / ds.energy_samples) : 0;
    return 0;
}
