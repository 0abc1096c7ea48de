/* bench/load: what a bot does with the media it receives. Every bot checks
 * every packet: SRTP (bot_transport.c), the RTP header, per-stream sequence
 * continuity (RFC 3550 A.1 extension) for loss, the VP8 payload descriptor
 * (RFC 7741) and that each frame arrives whole (S bit .. marker, no gap).
 * A sample of bots (decode_sample per process) also decodes everything with
 * libvpx and libopus: decoding 500 streams would need more CPU than this
 * machine has. Latency is read from the shared map (load_shm.h). Receivers
 * send receiver reports and REMB each second, and PLI when a decoding bot
 * loses a frame. */
#include <opus/opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include "bot.h"
#include "sabaq/rtcp.h"
#include "sabaq/rtp.h"
#include "sabaq/srtp_session.h"
#include "sabaq/vp8.h"

#define FRAME_MAX (1 << 20)
#define PLI_GAP_US 300000u
#define PCM_MAX 5760              /* 120 ms at 48 kHz */
#define SEQ_JUMP 3000             /* RFC 3550 A.1 MAX_DROPOUT: farther is a renumbering */

#define TRACE_OFF (-3)

/* LOAD_TRACE (see bench/load.c --help): a bot index, -1 for all; TRACE_OFF unset. */
static int trace_bot(void)
{
    static int trace = -2;
    if (trace == -2)
        trace = getenv("LOAD_TRACE") ? atoi(getenv("LOAD_TRACE")) : TRACE_OFF;
    return trace;
}

struct rx_decoder {
    vpx_codec_ctx_t vpx;
    bool vpx_ok;
    OpusDecoder *opus;           /* owned */
    uint8_t *frame;              /* owned: the frame being assembled */
    size_t len, cap;
    bool frame_is_key, have_key;
    int16_t pcm[PCM_MAX];
};

static struct rx_decoder *decoder_new(enum rx_kind kind)
{
    struct rx_decoder *d = calloc(1, sizeof(*d));
    int err = 0;
    if (!d)
        return NULL;
    if (kind == RX_AUDIO) {
        d->opus = opus_decoder_create(48000, 2, &err);
    } else {
        d->vpx_ok = vpx_codec_dec_init(&d->vpx, vpx_codec_vp8_dx(), NULL, 0) == VPX_CODEC_OK;
        d->frame = malloc(FRAME_MAX);
        d->cap = FRAME_MAX;
    }
    if ((kind == RX_AUDIO && !d->opus) || (kind != RX_AUDIO && (!d->vpx_ok || !d->frame))) {
        free(d->frame);
        if (d->vpx_ok)
            vpx_codec_destroy(&d->vpx);
        if (d->opus)
            opus_decoder_destroy(d->opus);
        free(d);
        return NULL;
    }
    return d;
}

static void decoder_free(struct rx_decoder *d)
{
    if (!d)
        return;
    if (d->vpx_ok)
        vpx_codec_destroy(&d->vpx);
    if (d->opus)
        opus_decoder_destroy(d->opus);
    free(d->frame);
    free(d);
}

/* Sabaq's subscribe slots are "slot-3 stage-3", "slot-4 speaker-4": the stage
 * slot carries the newest screen share, which in this scenario the teacher
 * always sends, and the speaker slots the cameras. Per-track offers (other
 * servers) are "p1 p1-0": the publisher's mid after the last '-'. */
static enum rx_kind kind_of(const struct sdp_media *m)
{
    if (m->kind == SDP_KIND_AUDIO)
        return RX_AUDIO;
    const char *msid = m->msid[0] || !m->n_ssrcs ? m->msid : m->ssrcs[0].msid;
    const char *track = strchr(msid, ' ');
    track = track ? track + 1 : msid;
    if (strncmp(track, "stage-", 6) == 0)
        return RX_SCREEN;
    if (strncmp(track, "speaker-", 8) == 0)
        return RX_CAMERA;
    const char *dash = strrchr(msid, '-');
    return dash && strcmp(dash + 1, BOT_MID_SCREEN) == 0 ? RX_SCREEN : RX_CAMERA;
}

static bool is_repair(const struct sdp_media *m, uint32_t ssrc)
{
    for (uint8_t g = 0; g < m->n_ssrc_groups && g < SDP_MAX_SSRC_GROUPS; g++)
        if (strcmp(m->ssrc_groups[g].semantics, "FID") == 0 && m->ssrc_groups[g].n >= 2 &&
            m->ssrc_groups[g].ssrcs[1] == ssrc)
            return true;
    return false;
}

void bot_rx_set_tracks(struct bot *b, const struct sdp_session *offer)
{
    struct rx_track next[BOT_MAX_RX];
    uint8_t n = 0;
    for (uint8_t i = 0; i < offer->n_media && i < SDP_MAX_MEDIA && n < BOT_MAX_RX; i++) {
        const struct sdp_media *m = &offer->media[i];
        if (m->port == 0 || m->direction == SDP_INACTIVE || !m->n_ssrcs)
            continue;
        uint32_t ssrc = 0, rtx = 0;
        for (uint8_t k = 0; k < m->n_ssrcs && k < SDP_MAX_SSRCS; k++) {
            if (is_repair(m, m->ssrcs[k].ssrc))
                rtx = m->ssrcs[k].ssrc;
            else if (!ssrc)
                ssrc = m->ssrcs[k].ssrc;
        }
        struct rx_track *t = &next[n++];
        memset(t, 0, sizeof(*t));
        for (uint8_t k = 0; k < b->n_rx; k++)
            if (b->rx[k].ssrc == ssrc) {
                *t = b->rx[k];
                b->rx[k].dec = NULL; /* moved */
            }
        if (t->ssrc == ssrc)
            continue;
        t->ssrc = ssrc;
        t->rtx_ssrc = rtx;
        t->kind = kind_of(m);
        t->layer = -1;
        if (b->decodes)
            t->dec = decoder_new(t->kind);
    }
    bot_rx_free(b);
    memcpy(b->rx, next, sizeof(next[0]) * n);
    b->n_rx = n;
}

void bot_rx_free(struct bot *b)
{
    for (uint8_t i = 0; i < b->n_rx; i++) {
        decoder_free(b->rx[i].dec);
        b->rx[i].dec = NULL;
    }
    b->n_rx = 0;
}

static uint32_t own_ssrc(const struct bot *b)
{
    return 0x5a000000u + b->index;
}

static void send_pli(struct bot *b, struct rx_track *t, uint64_t now_us)
{
    uint8_t pkt[64];
    if (now_us - b->sub.last_pli_us < PLI_GAP_US)
        return;
    b->sub.last_pli_us = now_us;
    int n = rtcp_pli_write(pkt, sizeof(pkt) - SRTP_MAX_TRAILER, own_ssrc(b), t->ssrc);
    if (n > 0 && bot_transport_send_rtcp(&b->sub, pkt, (size_t)n, sizeof(pkt)) == 0)
        b->proc->ctr->plis_sent++;
}

static void decode_frame(struct bot *b, struct rx_track *t, uint64_t now_us)
{
    struct rx_decoder *d = t->dec;
    struct load_counters *c = b->proc->ctr;
    if (!d->have_key && !d->frame_is_key)
        return; /* waiting for the keyframe asked for */
    if (vpx_codec_decode(&d->vpx, d->frame, (unsigned)d->len, NULL, 0) != VPX_CODEC_OK) {
        c->decode_errors++;
        bot_note(b->proc, "bot %u: vp8 decode error: %s", b->index, vpx_codec_error(&d->vpx));
        d->have_key = false;
        send_pli(b, t, now_us);
        return;
    }
    d->have_key = true;
    vpx_codec_iter_t it = NULL;
    vpx_image_t *img;
    while ((img = vpx_codec_get_frame(&d->vpx, &it))) {
        c->frames_decoded++;
        if (t->width && (img->d_w != t->width || img->d_h != t->height))
            c->size_errors++;
    }
}

/* Frame continuity: a frame starts with S=1 in partition 0 and ends with the
 * marker; every packet in between must be the next sequence number. */
static void video_packet(struct bot *b, struct rx_track *t, const struct rtp_packet *r,
                         const struct vp8_descriptor *d, uint64_t now_us)
{
    struct load_counters *c = b->proc->ctr;
    struct rx_decoder *dec = t->dec;
    const uint8_t *data = r->payload + d->descriptor_len;
    size_t len = r->payload_len - d->descriptor_len;
    if (d->start_of_partition && d->partition_id == 0) {
        if (t->in_frame)
            c->frames_incomplete++;
        t->in_frame = t->frame_ok = true;
        t->frame_ts = r->timestamp;
        if (dec) {
            dec->len = 0;
            dec->frame_is_key = d->is_keyframe;
        }
    } else if (!t->in_frame || r->seq != t->next_seq || r->timestamp != t->frame_ts) {
        t->frame_ok = false;
    }
    t->next_seq = (uint16_t)(r->seq + 1);
    if (dec && t->frame_ok && dec->len + len <= dec->cap) {
        memcpy(dec->frame + dec->len, data, len);
        dec->len += len;
    }
    if (!r->marker || !t->in_frame)
        return;
    t->in_frame = false;
    if (!t->frame_ok) {
        c->frames_incomplete++;
        if (dec) {
            dec->have_key = false;
            send_pli(b, t, now_us);
        }
        return;
    }
    c->frames_complete++;
    if (dec)
        decode_frame(b, t, now_us);
}

static int layer_of(const struct bot_config *c, uint16_t width)
{
    for (int i = 0; i < LOAD_LAYERS; i++)
        if (c->layers[i].width == width)
            return i;
    return LOAD_LAYERS;
}

/* Latency while measuring; and always, for the camera, that the packet comes
 * from the layer of the last keyframe: a packet of another layer on the same
 * stream would decode to garbage without any decoder error. */
static void check_packet(struct bot *b, struct rx_track *t, const uint8_t *p, size_t len,
                         bool measuring, uint64_t now_us)
{
    uint8_t source;
    uint64_t sent = load_latmap_get(b->proc->shm, load_payload_key(p, len), &source);
    if (t->kind == RX_CAMERA && source < LOAD_LAYERS && t->layer >= 0 &&
        t->layer < LOAD_LAYERS && source != t->layer) {
        static unsigned printed;
        if (trace_bot() != TRACE_OFF && printed++ < 20)
            fprintf(stderr, "FOREIGN bot %u ssrc %08x layer %d source %u len %zu\n", b->index,
                    t->ssrc, t->layer, source, len);
        b->proc->ctr->foreign_layer++;
    }
    if (!measuring || !sent || sent > now_us)
        return;
    load_lat_add(t->kind == RX_AUDIO ? b->proc->ctr->lat_audio : b->proc->ctr->lat_video,
                 now_us - sent);
}

static void media_up(struct bot *b, uint64_t now_us)
{
    if (b->media_up || b->role != BOT_RECEIVER)
        return;
    b->media_up = true;
    b->proc->shm->bots[b->index].media_us = now_us;
    atomic_fetch_add(&b->proc->shm->ctl.media_up, 1);
}

/* Sequence accounting; returns false for a packet of no known stream. */
static struct rx_track *account(struct bot *b, const struct rtp_packet *r, bool measuring)
{
    struct rx_track *t = NULL;
    for (uint8_t i = 0; i < b->n_rx && !t; i++)
        if (b->rx[i].ssrc == r->ssrc)
            t = &b->rx[i];
    if (!t)
        return NULL;
    uint64_t before = t->max_ext, ext = 0x10000u | r->seq;
    if (t->started)
        ext = before + (uint64_t)(int64_t)(int16_t)(uint16_t)(r->seq - (uint16_t)before);
    if (measuring && !t->win_started) {
        t->win_started = true;
        t->win_base_ext = t->started ? before : ext - 1;
        t->win_base_received = t->received;
    }
    int64_t jump = (int64_t)(ext - before);
    if (t->started && (jump > SEQ_JUMP || jump < -SEQ_JUMP)) {
        /* Not loss: the stream's numbering broke. Counted, and the window
         * follows the new numbering so loss stays meaningful. */
        b->proc->ctr->continuity_errors++;
        static unsigned printed;
        if (trace_bot() != TRACE_OFF && printed++ < 40)
            fprintf(stderr, "JUMP bot %u kind %d ssrc %08x seq %u -> %u ts %u layer %d\n",
                    b->index, (int)t->kind, r->ssrc, (unsigned)(uint16_t)before, r->seq,
                    r->timestamp, t->layer);
        t->win_base_ext += (uint64_t)jump;
        t->max_ext = ext;
    } else if (!t->started || ext > t->max_ext) {
        t->max_ext = ext;
    }
    t->started = true;
    t->received++;
    return t;
}

void bot_rx_rtp(struct bot *b, const uint8_t *pkt, size_t len, uint64_t now_us)
{
    struct load_counters *c = b->proc->ctr;
    struct rtp_packet r;
    bool measuring = load_measuring(b->proc->shm);
    if (rtp_packet_parse(&r, pkt, len) != 0) {
        c->malformed++;
        return;
    }
    bot_twcc_record(b, &r, now_us);
    struct rx_track *t = account(b, &r, measuring);
    int trace = trace_bot();
    if ((trace == -1 || (int)b->index == trace) && t && t->kind == RX_CAMERA)
        fprintf(stderr, "TRACE %llu ssrc %08x seq %5u ts %u m %d len %zu key %d w %u\n",
                (unsigned long long)now_us, r.ssrc, r.seq, r.timestamp, r.marker, r.payload_len,
                r.payload_len > 4 && r.payload[0] & 0x10 && !(r.payload[4] & 1), (unsigned)t->width);
    if (!t)
        return; /* RTX, or a stream from an offer not answered yet */
    if (measuring) {
        c->rx_packets++;
        c->rx_bytes += len;
        t->win_packets++;
    }
    if (t->kind == RX_AUDIO) {
        check_packet(b, t, r.payload, r.payload_len, measuring, now_us);
        if (t->dec && r.payload_len) {
            int n = opus_decode(t->dec->opus, r.payload, (opus_int32)r.payload_len, t->dec->pcm,
                                PCM_MAX / 2, 0);
            if (n < 0)
                c->audio_decode_errors++;
            else
                c->audio_decoded++;
        }
        return;
    }
    struct vp8_descriptor d;
    if (vp8_descriptor_parse(&d, r.payload, r.payload_len) != 0) {
        c->vp8_errors++;
        return;
    }
    if (d.is_keyframe && t->kind == RX_CAMERA) {
        t->width = d.width;
        t->height = d.height;
        t->layer = layer_of(b->proc->cfg, d.width);
    } else if (d.is_keyframe) {
        t->width = d.width;
        t->height = d.height;
    }
    if (t->kind == RX_CAMERA) {
        media_up(b, now_us);
        if (measuring && t->layer >= 0)
            c->layer_packets[t->layer]++;
    }
    check_packet(b, t, r.payload + d.descriptor_len, r.payload_len - d.descriptor_len, measuring,
                 now_us);
    video_packet(b, t, &r, &d, now_us);
}

void bot_rx_rtcp(struct bot *b, const uint8_t *pkt, size_t len)
{
    (void)pkt;
    (void)len;
    if (load_measuring(b->proc->shm))
        b->proc->ctr->rx_rtcp++;
}

/* A receiver report for every stream, then REMB: each bot claims one of the
 * configured rates (bots stand for students on links of different speeds),
 * which is what lets the server pick different simulcast layers for them. */
void bot_rx_reports(struct bot *b, uint64_t now_us)
{
    (void)now_us;
    if (b->sub.state != TR_UP || !b->n_rx)
        return;
    struct rtcp_receiver_report rr;
    struct rtcp_remb remb;
    memset(&rr, 0, sizeof(rr));
    memset(&remb, 0, sizeof(remb));
    rr.ssrc = remb.sender_ssrc = own_ssrc(b);
    const struct bot_config *c = b->proc->cfg;
    remb.bitrate_bps = c->n_remb ? c->remb_bps[b->index % c->n_remb] : 5000000u;
    for (uint8_t i = 0; i < b->n_rx && rr.report_count < RTCP_MAX_REPORTS; i++) {
        const struct rx_track *t = &b->rx[i];
        if (!t->started)
            continue;
        struct rtcp_report_block *rb = &rr.reports[rr.report_count++];
        uint64_t expected = t->max_ext - 0x10000u + 1;
        rb->ssrc = t->ssrc;
        rb->highest_seq = (uint32_t)t->max_ext;
        rb->cumulative_lost = expected > t->received ? (int32_t)(expected - t->received) : 0;
        if (t->kind != RX_AUDIO && remb.n_ssrcs < RTCP_REMB_MAX_SSRCS)
            remb.ssrcs[remb.n_ssrcs++] = t->ssrc;
    }
    uint8_t pkt[1024];
    size_t cap = sizeof(pkt) - SRTP_MAX_TRAILER;
    int n = rtcp_receiver_report_write(pkt, cap, &rr);
    int m = n > 0 && remb.n_ssrcs ? rtcp_remb_write(pkt + n, cap - (size_t)n, &remb) : 0;
    if (n > 0 && m >= 0)
        bot_transport_send_rtcp(&b->sub, pkt, (size_t)(n + m), sizeof(pkt));
}

void bot_rx_finish(struct bot *b)
{
    struct load_counters *c = b->proc->ctr;
    bool camera = false;
    for (uint8_t i = 0; i < b->n_rx; i++) {
        const struct rx_track *t = &b->rx[i];
        if (!t->win_started)
            continue;
        c->expected += t->max_ext - t->win_base_ext;
        c->received += t->received - t->win_base_received;
        if (b->role != BOT_RECEIVER || !t->win_packets)
            continue;
        if (t->kind == RX_CAMERA && t->layer >= 0) {
            c->layer_bots[t->layer]++;
            camera = true;
        }
        if (t->kind == RX_SCREEN)
            c->screen_bots++;
    }
    if (b->role == BOT_RECEIVER && !camera)
        c->no_camera_bots++;
}
