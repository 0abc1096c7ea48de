/* bench/load: what publishers send. The media source of a process encodes
 * ONCE per layer (libvpx VP8, realtime, speed 16) and once per Opus frame,
 * and the process's publishers packetize it: VP8 per RFC 7741 with a 15-bit
 * PictureID, RTP header extensions mid / rid (RFC 8852) and audio level
 * (RFC 6464). Each packet's send time goes into the shared latency map under
 * a hash of the bytes the SFU forwards unchanged (load_shm.h). Publishers
 * answer NACK with RTX (RFC 4588) from a short history, PLI/FIR with a
 * keyframe, and send sender reports. */
#include <math.h>
#include <stdio.h>
#include <opus/opus.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include "bot.h"
#include "sabaq/clock.h"
#include "sabaq/rtcp.h"
#include "sabaq/rtp.h"
#include "sabaq/srtp_session.h"

#define HIST 512                  /* packets kept per stream for RTX */
#define MAX_PAYLOAD 1100          /* VP8 bytes per packet, so datagrams stay under 1200 */
#define VP8_DESC_LEN 4            /* X, then I with a 15-bit PictureID */
#define AUDIO_FRAME_US 20000u
#define AUDIO_SAMPLES 960         /* 20 ms at 48 kHz */
#define KEY_MIN_GAP_US 200000u    /* a keyframe per stream at most this often on request */
#define SOURCES (LOAD_LAYERS + 1) /* camera layers, then the screen share */
#define PKT_CAP (RTP_MAX_PACKET + SRTP_MAX_TRAILER)

struct tx_history {
    uint16_t seq[HIST];
    uint16_t len[HIST];          /* 0: empty */
    uint8_t pkt[HIST][RTP_MAX_PACKET];
};

struct bot_source {
    const struct bot_config *cfg;/* borrowed */
    vpx_codec_ctx_t enc[SOURCES];
    vpx_image_t img[SOURCES];
    bool enc_ok[SOURCES];
    bool force_key[SOURCES];
    OpusEncoder *opus;           /* owned */
    int16_t pcm[AUDIO_SAMPLES];
    uint64_t t0_us, next_cam_us, next_screen_us, next_audio_us;
    uint32_t cam_frames, screen_frames;
    double phase;                /* of the tone */
    uint8_t xramp[SOURCES][2048];/* the gradient's x part per source, made once */
};

static int encoder_init(struct bot_source *s, int i, const struct bot_layer *l, unsigned fps)
{
    vpx_codec_enc_cfg_t c;
    if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &c, 0) != VPX_CODEC_OK)
        return -1;
    c.g_w = l->width;
    c.g_h = l->height;
    c.rc_target_bitrate = l->kbps;
    c.g_timebase.num = 1;
    c.g_timebase.den = (int)fps;
    c.rc_end_usage = VPX_CBR;
    c.g_lag_in_frames = 0;
    c.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    c.kf_mode = VPX_KF_DISABLED; /* like a browser: the first frame, then on PLI/FIR */
    c.g_threads = 1;
    c.rc_min_quantizer = 2;
    c.rc_max_quantizer = 56;
    c.rc_buf_sz = 1000;
    c.rc_buf_initial_sz = 500;
    c.rc_buf_optimal_sz = 600;
    if (vpx_codec_enc_init(&s->enc[i], vpx_codec_vp8_cx(), &c, 0) != VPX_CODEC_OK)
        return -1;
    s->enc_ok[i] = true;
    for (unsigned x = 0; x < l->width && x < sizeof(s->xramp[i]); x++)
        s->xramp[i][x] = (uint8_t)(x * 256u / (l->width + l->height));
    vpx_codec_control(&s->enc[i], VP8E_SET_CPUUSED, 16);
    vpx_codec_control(&s->enc[i], VP8E_SET_NOISE_SENSITIVITY, 0);
    vpx_codec_control(&s->enc[i], VP8E_SET_STATIC_THRESHOLD, 1);
    vpx_codec_control(&s->enc[i], VP8E_SET_MAX_INTRA_BITRATE_PCT, 300);
    return vpx_img_alloc(&s->img[i], VPX_IMG_FMT_I420, l->width, l->height, 16) ? 0 : -1;
}

struct bot_source *bot_source_new(const struct bot_config *cfg)
{
    struct bot_source *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->cfg = cfg;
    int err = 0;
    for (int i = 0; i < LOAD_LAYERS; i++)
        err |= encoder_init(s, i, &cfg->layers[i], cfg->fps);
    err |= encoder_init(s, LOAD_LAYERS, &cfg->screen, cfg->screen_fps);
    s->opus = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
    if (err || !s->opus) {
        bot_source_free(s);
        return NULL;
    }
    opus_encoder_ctl(s->opus, OPUS_SET_BITRATE(32000));
    opus_encoder_ctl(s->opus, OPUS_SET_COMPLEXITY(0));
    s->t0_us = sq_now_us();
    return s;
}

void bot_source_free(struct bot_source *s)
{
    if (!s)
        return;
    for (int i = 0; i < SOURCES; i++) {
        if (s->enc_ok[i])
            vpx_codec_destroy(&s->enc[i]);
        vpx_img_free(&s->img[i]);
    }
    if (s->opus)
        opus_encoder_destroy(s->opus);
    free(s);
}

void bot_tx_init(struct bot *b)
{
    const struct bot_config *c = b->proc->cfg;
    b->n_tx = b->role == BOT_TEACHER ? SOURCES : b->role == BOT_SPEAKER ? 1 : 0;
    for (uint8_t i = 0; i < b->n_tx; i++) {
        struct tx_stream *st = &b->tx[i];
        memset(st, 0, sizeof(*st));
        st->ssrc = (uint32_t)random() | 1;
        st->ts_base = i > 0 && i < LOAD_LAYERS ? b->tx[0].ts_base : (uint32_t)random();
        st->seq = (uint16_t)random();
        st->picture_id = (uint16_t)(random() & 0x7fff);
        if (b->role == BOT_SPEAKER) {
            st->pt = BOT_PT_OPUS;
            st->mid = BOT_MID_MIC;
            st->source = -1;
            continue;
        }
        st->pt = BOT_PT_VP8;
        st->rtx_ssrc = (uint32_t)random() | 1;
        st->rtx_seq = (uint16_t)random();
        st->source = i;
        st->mid = i < LOAD_LAYERS ? BOT_MID_CAMERA : BOT_MID_SCREEN;
        st->rid = i < LOAD_LAYERS ? c->layers[i].rid : NULL;
        st->hist = calloc(1, sizeof(*st->hist));
        if (getenv("LOAD_TRACE"))
            fprintf(stderr, "TX layer %u ssrc %08x first seq %u ts base %u\n", i, st->ssrc,
                    st->seq, st->ts_base);
    }
}

void bot_tx_free(struct bot *b)
{
    for (uint8_t i = 0; i < b->n_tx; i++) {
        free(b->tx[i].hist);
        b->tx[i].hist = NULL;
    }
}

/* A moving test pattern: a diagonal gradient sliding right and a white box
 * crossing the picture; the screen share is a still "slide" with a moving
 * cursor and a new slide every 10 s. */
static void draw(struct bot_source *s, int i, uint32_t frame)
{
    vpx_image_t *im = &s->img[i];
    unsigned w = im->d_w, h = im->d_h;
    bool screen = i == LOAD_LAYERS;
    uint8_t slide = (uint8_t)(frame / (10 * s->cfg->screen_fps) * 37);
    for (unsigned y = 0; y < h; y++) {
        uint8_t *row = im->planes[0] + (size_t)y * (size_t)im->stride[0];
        uint8_t base = (uint8_t)(y * 256u / (w + h) + frame * 2);
        for (unsigned x = 0; x < w && !screen; x++)
            row[x] = (uint8_t)(s->xramp[i][x] + base);
        for (unsigned x = 0; x < w && screen; x++)
            row[x] = ((y / 24) % 3 == 0 && x % 200 < 150) ? slide : 235;
    }
    unsigned bw = w / 8, bx = (frame * 4 * w / 320) % (w - bw), by = h / 3;
    for (unsigned y = by; y < by + h / 4 && y < h; y++)
        memset(im->planes[0] + (size_t)y * (size_t)im->stride[0] + bx, screen ? 16 : 255,
               screen ? bw / 4 : bw);
    for (int p = 1; p < 3; p++)
        for (unsigned y = 0; y < (h + 1) / 2; y++)
            memset(im->planes[p] + (size_t)y * (size_t)im->stride[p],
                   screen ? 128 : (uint8_t)(96 + p * 32 + (y * 64) / h + frame), (w + 1) / 2);
}

static uint32_t media_ts(const struct bot_source *s, const struct tx_stream *st, uint64_t at_us,
                         uint32_t rate)
{
    return st->ts_base + (uint32_t)((at_us - s->t0_us) * rate / 1000000u);
}

static void remember(struct tx_stream *st, const uint8_t *pkt, size_t len)
{
    if (!st->hist)
        return;
    unsigned i = st->seq % HIST;
    st->hist->seq[i] = st->seq;
    st->hist->len[i] = (uint16_t)len;
    memcpy(st->hist->pkt[i], pkt, len);
}

/* Writes the RTP header with this stream's extensions; returns its length. */
static int write_header(const struct tx_stream *st, uint8_t *pkt, bool marker, uint32_t ts,
                        const uint8_t *level)
{
    struct rtp_ext_element ext[2];
    size_t n = 0;
    ext[n++] = (struct rtp_ext_element){BOT_EXT_MID, (uint8_t)strlen(st->mid),
                                        (const uint8_t *)st->mid};
    if (st->rid)
        ext[n++] = (struct rtp_ext_element){BOT_EXT_RID, (uint8_t)strlen(st->rid),
                                            (const uint8_t *)st->rid};
    else if (level)
        ext[n++] = (struct rtp_ext_element){BOT_EXT_AUDIO_LEVEL, 1, level};
    struct rtp_header h = {marker, st->pt, st->seq, ts, st->ssrc};
    return rtp_header_write(pkt, PKT_CAP, &h, ext, n);
}

static void sent_one(struct bot *b, struct tx_stream *st, size_t len)
{
    st->packets++;
    st->octets += len;
    if (++st->seq == 0)
        st->roc++;
    if (load_measuring(b->proc->shm)) {
        b->proc->ctr->tx_packets++;
        b->proc->ctr->tx_bytes += len;
    }
}

/* RFC 7741: one frame split evenly into packets, S bit on the first,
 * marker on the last. */
static void send_frame(struct bot *b, struct tx_stream *st, const uint8_t *frame, size_t len,
                       uint32_t ts)
{
    uint8_t pkt[PKT_CAP];
    size_t n_pkts = (len + MAX_PAYLOAD - 1) / MAX_PAYLOAD, per = (len + n_pkts - 1) / n_pkts;
    for (size_t off = 0; off < len && off / per < 256; off += per) {
        size_t chunk = len - off < per ? len - off : per;
        int hl = write_header(st, pkt, off + chunk == len, ts, NULL);
        if (hl < 0)
            return;
        uint8_t *d = pkt + hl;
        d[0] = (uint8_t)(0x80 | (off == 0 ? 0x10 : 0)); /* X, S, partition 0 */
        d[1] = 0x80;                                     /* I */
        d[2] = (uint8_t)(0x80 | (st->picture_id >> 8));  /* M: 15-bit PictureID */
        d[3] = (uint8_t)st->picture_id;
        memcpy(d + VP8_DESC_LEN, frame + off, chunk);
        size_t plen = (size_t)hl + VP8_DESC_LEN + chunk;
        /* Per packet: a keyframe's tail leaves later than its head. */
        load_latmap_put(b->proc->shm, load_payload_key(frame + off, chunk), sq_now_us(),
                        (uint8_t)st->source);
        remember(st, pkt, plen);
        bot_transport_send_rtp(&b->pub, pkt, plen, sizeof(pkt), st->roc);
        sent_one(b, st, plen);
    }
    st->picture_id = (uint16_t)((st->picture_id + 1) & 0x7fff);
    st->last_ts = ts;
}

/* CPU time, not wall time: other processes share the cores. */
static uint64_t thread_cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Encodes source i once; every teacher of the process sends the result. */
static void encode_and_send(struct bot_proc *p, int i, uint32_t frame, uint64_t now_us)
{
    struct bot_source *s = p->src;
    draw(s, i, frame);
    uint64_t t = thread_cpu_us();
    vpx_enc_frame_flags_t flags = s->force_key[i] ? VPX_EFLAG_FORCE_KF : 0;
    s->force_key[i] = false;
    if (vpx_codec_encode(&s->enc[i], &s->img[i], frame, 1, flags, VPX_DL_REALTIME) !=
        VPX_CODEC_OK) {
        bot_note(p, "vp8 encode failed: %s", vpx_codec_error(&s->enc[i]));
        return;
    }
    p->ctr->encode_us += thread_cpu_us() - t;
    p->ctr->encode_frames++;
    vpx_codec_iter_t it = NULL;
    const vpx_codec_cx_pkt_t *pk;
    while ((pk = vpx_codec_get_cx_data(&s->enc[i], &it))) {
        if (pk->kind != VPX_CODEC_CX_FRAME_PKT)
            continue;
        if (pk->data.frame.flags & VPX_FRAME_IS_KEY)
            p->ctr->keyframes_forced += flags ? 1 : 0;
        for (unsigned k = 0; k < p->n_bots; k++) {
            struct bot *b = &p->bots[k];
            if (b->role != BOT_TEACHER || b->pub.state != TR_UP)
                continue;
            struct tx_stream *st = &b->tx[i];
            send_frame(b, st, pk->data.frame.buf, pk->data.frame.sz,
                       media_ts(s, st, now_us, 90000));
        }
    }
}

static void send_audio(struct bot_proc *p, uint64_t now_us)
{
    struct bot_source *s = p->src;
    unsigned turn = (unsigned)((now_us - p->shm->ctl.t0_us) / 1000u / p->cfg->speak_turn_ms) %
                    (p->cfg->n_speakers ? p->cfg->n_speakers : 1);
    struct bot *speaker = NULL;
    for (unsigned k = 0; k < p->n_bots && !speaker; k++)
        if (p->bots[k].role == BOT_SPEAKER && p->bots[k].speaker_no == turn &&
            p->bots[k].pub.state == TR_UP)
            speaker = &p->bots[k];
    if (!speaker)
        return; /* the others are muted while one speaks */
    for (int i = 0; i < AUDIO_SAMPLES; i++) {
        s->pcm[i] = (int16_t)(8000.0 * sin(s->phase));
        s->phase += 2 * 3.14159265358979 * (330.0 + 110.0 * turn) / 48000.0;
    }
    uint8_t pkt[PKT_CAP];
    struct tx_stream *st = &speaker->tx[0];
    uint8_t level = 0x80 | 30; /* voice activity, -30 dBov */
    int hl = write_header(st, pkt, false, media_ts(s, st, now_us, 48000), &level);
    int n = hl < 0 ? -1 : opus_encode(s->opus, s->pcm, AUDIO_SAMPLES, pkt + hl, 400);
    if (n <= 0)
        return;
    load_latmap_put(p->shm, load_payload_key(pkt + hl, (size_t)n), sq_now_us(), 0xfe);
    bot_transport_send_rtp(&speaker->pub, pkt, (size_t)hl + (size_t)n, sizeof(pkt), st->roc);
    sent_one(speaker, st, (size_t)hl + (size_t)n);
}

static bool teacher_up(const struct bot_proc *p)
{
    for (unsigned k = 0; k < p->n_bots; k++)
        if (p->bots[k].role == BOT_TEACHER && p->bots[k].pub.state == TR_UP)
            return true;
    return false;
}

/* Late by more than a frame: skip ahead instead of bursting to catch up. */
static uint64_t next_after(uint64_t due, uint64_t period, uint64_t now_us)
{
    due += period;
    return due + period < now_us ? now_us + period : due;
}

uint64_t bot_source_tick(struct bot_proc *p, uint64_t now_us)
{
    struct bot_source *s = p->src;
    const struct bot_config *c = p->cfg;
    if (!s)
        return SQ_NEVER;
    if (teacher_up(p)) {
        if (now_us >= s->next_cam_us) {
            for (int i = 0; i < LOAD_LAYERS; i++)
                encode_and_send(p, i, s->cam_frames, now_us);
            s->cam_frames++;
            s->next_cam_us = next_after(s->next_cam_us, 1000000u / c->fps, now_us);
        }
        if (now_us >= s->next_screen_us) {
            encode_and_send(p, LOAD_LAYERS, s->screen_frames++, now_us);
            s->next_screen_us = next_after(s->next_screen_us, 1000000u / c->screen_fps, now_us);
        }
    } else {
        s->next_cam_us = s->next_screen_us = now_us + 1000000u / c->fps; /* not before */
    }
    if (now_us >= s->next_audio_us) {
        send_audio(p, now_us);
        s->next_audio_us = next_after(s->next_audio_us, AUDIO_FRAME_US, now_us);
    }
    uint64_t next = s->next_audio_us;
    if (s->next_cam_us < next)
        next = s->next_cam_us;
    return s->next_screen_us < next ? s->next_screen_us : next;
}

static struct tx_stream *stream_of(struct bot *b, uint32_t ssrc)
{
    for (uint8_t i = 0; i < b->n_tx; i++)
        if (b->tx[i].ssrc == ssrc)
            return &b->tx[i];
    return NULL;
}

/* RFC 4588: the RTX packet carries the original seq, then the original payload. */
static void retransmit(struct bot *b, struct tx_stream *st, uint16_t seq)
{
    unsigned i = seq % HIST;
    struct rtp_packet orig;
    if (!st->hist || !st->hist->len[i] || st->hist->seq[i] != seq ||
        rtp_packet_parse(&orig, st->hist->pkt[i], st->hist->len[i]) != 0)
        return;
    uint8_t pkt[PKT_CAP];
    struct rtp_ext_element ext[2] = {
        {BOT_EXT_MID, (uint8_t)strlen(st->mid), (const uint8_t *)st->mid},
        {BOT_EXT_RRID, st->rid ? (uint8_t)strlen(st->rid) : 0, (const uint8_t *)st->rid},
    };
    struct rtp_header h = {orig.marker, BOT_PT_RTX, st->rtx_seq, orig.timestamp, st->rtx_ssrc};
    int hl = rtp_header_write(pkt, sizeof(pkt), &h, ext, st->rid ? 2 : 1);
    if (hl < 0 || (size_t)hl + 2 + orig.payload_len > RTP_MAX_PACKET)
        return;
    pkt[hl] = (uint8_t)(seq >> 8);
    pkt[hl + 1] = (uint8_t)seq;
    memcpy(pkt + hl + 2, orig.payload, orig.payload_len);
    bot_transport_send_rtp(&b->pub, pkt, (size_t)hl + 2 + orig.payload_len, sizeof(pkt),
                           st->rtx_roc);
    if (++st->rtx_seq == 0)
        st->rtx_roc++;
    b->proc->ctr->rtx_sent++;
}

static void want_keyframe(struct bot *b, uint32_t ssrc, uint64_t now_us)
{
    struct tx_stream *st = stream_of(b, ssrc);
    b->proc->ctr->plis_received++;
    if (!st || st->source < 0 || !b->proc->src || now_us - st->last_key_us < KEY_MIN_GAP_US)
        return;
    st->last_key_us = now_us;
    b->proc->src->force_key[st->source] = true;
}

void bot_tx_rtcp(struct bot *b, const uint8_t *pkt, size_t len, uint64_t now_us)
{
    struct rtcp_iter it;
    struct rtcp_packet p;
    struct rtcp_feedback fb;
    rtcp_iter_init(&it, pkt, len);
    for (int guard = 0; guard < 64 && rtcp_iter_next(&it, &p) == 1; guard++) {
        if (p.type == RTCP_RTPFB && p.count == RTCP_RTPFB_NACK) {
            uint16_t seqs[64];
            int n = rtcp_nack_parse(&p, &fb, seqs, 64);
            struct tx_stream *st = n > 0 ? stream_of(b, fb.media_ssrc) : NULL;
            b->proc->ctr->nacks_received++;
            for (int i = 0; st && i < n; i++)
                retransmit(b, st, seqs[i]);
        } else if (p.type == RTCP_PSFB && p.count == RTCP_PSFB_PLI &&
                   rtcp_feedback_parse(&p, &fb) == 0) {
            want_keyframe(b, fb.media_ssrc, now_us);
        } else if (p.type == RTCP_PSFB && p.count == RTCP_PSFB_FIR) {
            uint32_t ssrcs[8];
            int n = rtcp_fir_parse(&p, &fb, ssrcs, 8);
            for (int i = 0; i < n; i++)
                want_keyframe(b, ssrcs[i], now_us);
        }
    }
}

/* One sender report per stream (RFC 3550 6.4.1), each its own compound. */
void bot_tx_reports(struct bot *b, uint64_t now_us)
{
    if (b->pub.state != TR_UP || !b->proc->src)
        return;
    uint64_t wall = sq_wallclock_us();
    for (uint8_t i = 0; i < b->n_tx; i++) {
        struct tx_stream *st = &b->tx[i];
        if (!st->packets)
            continue;
        struct rtcp_sender_report sr;
        memset(&sr, 0, sizeof(sr));
        sr.ssrc = st->ssrc;
        sr.ntp_time = rtcp_ntp_from_unix_us(wall);
        sr.rtp_time = media_ts(b->proc->src, st, now_us, st->source < 0 ? 48000 : 90000);
        sr.packet_count = (uint32_t)st->packets;
        sr.octet_count = (uint32_t)st->octets;
        uint8_t pkt[256];
        int n = rtcp_sender_report_write(pkt, sizeof(pkt) - SRTP_MAX_TRAILER, &sr);
        if (n > 0)
            bot_transport_send_rtcp(&b->pub, pkt, (size_t)n, sizeof(pkt));
    }
}
