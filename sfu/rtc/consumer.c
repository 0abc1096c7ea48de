/* One subscriber's copy of a producer (see consumer.h). Rewriting rules:
 *   SSRC      the subscriber's (sdp_outgoing), RTX on its own SSRC (RFC 4588)
 *   PT        SDP_SUB_PT_OPUS / SDP_SUB_PT_VP8 / SDP_SUB_PT_RTX
 *   exts      mid, (audio) ssrc-audio-level and (once the transport has a
 *             bwe) transport-wide seq, under SDP_SUB_EXT_* ids
 *             (RFC 8285 one-byte form); the publisher's others are dropped
 *   seq, ts   in + offset, the offsets chosen at the first packet and at any
 *             source change so the output runs on without a jump: seq + 1,
 *             ts + the wall time since the last packet sent (after a
 *             simulcast switch: the new layer's own timestamp, mapped
 *             through the layers' common RTP clock, see sync_offsets).
 *   VP8       PictureID and TL0PICIDX (RFC 7741 sec. 4.2) go on from the
 *             last ones sent once a source change has made them jump.
 * The outgoing ROC (RFC 3711 sec. 3.3.1) is known exactly because the
 * consumer numbers its own packets. */
#include "rtc/consumer.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "sabaq/rtp.h"
#include "sabaq/srtp_session.h"
#include "sabaq/vp8.h"
#include "rtc/bwe.h"
#include "rtc/nack_cache.h"
#include "rtc/producer.h"
#include "rtc/seq.h"
#include "rtc/transport.h"

#define MID_EXT_MAX 16           /* one-byte header extension limit */
#define RTP_CAP (DATAGRAM_MAX - SRTP_MAX_TRAILER)
#define PICTURE_ID_MASK 0x7fff

/* Initial sequence numbers and timestamps are derived from the SSRC: random
 * enough for RFC 3550 sec. 5.1, and reproducible in tests. Seqs start in
 * the lower half so a short stream never needs the ROC. */
static uint16_t initial_seq(uint32_t ssrc) { return (uint16_t)((ssrc * 2654435761u) >> 17); }
static uint32_t initial_ts(uint32_t ssrc) { return ssrc * 2246822519u + 0x9E3779B9u; }

static uint64_t rtp_units(uint64_t us, uint32_t clock_rate)
{
    return us / 1000000 * clock_rate + us % 1000000 * clock_rate / 1000000;
}

/* Layers to start from: none yet with simulcast (layer selection picks
 * one), else the only one. */
static void reset_layers(struct consumer *c, const struct producer *p)
{
    c->is_simulcast = p && p->n_layers > 1;
    int8_t start = c->is_simulcast ? -1 : 0;
    c->current_layer = c->target_layer = c->desired_layer = start;
    c->in_frame = false;
    c->n_segments = 0;
    memset(c->fits_since_us, 0, sizeof(c->fits_since_us));
}

/* A video consumer needs a keyframe to start from. */
static void ask_for_start(struct consumer *c, struct producer *p, uint64_t now_us)
{
    if (c->is_simulcast)
        consumer_simulcast_update(c->transport, now_us);
    else if (c->is_video && !c->is_hidden)
        producer_request_keyframe(p, now_us);
}

/* The clock of a kind's only codec on the subscribe side (Opus, VP8). */
static uint32_t kind_clock_rate(enum sdp_media_kind kind)
{
    return kind == SDP_KIND_AUDIO ? 48000 : 90000;
}

int consumer_create(struct consumer **out, struct transport *t, struct producer *p, uint32_t id,
                    const struct sdp_outgoing *o, uint64_t now_us)
{
    if ((o->kind != SDP_KIND_AUDIO && o->kind != SDP_KIND_VIDEO) || o->ssrc == 0 ||
        (p && (o->kind != p->track.kind || !p->track.clock_rate)))
        return -SQ_EINVAL;
    struct consumer *c = calloc(1, sizeof(*c));
    if (!c)
        return -SQ_ENOMEM;
    c->id = id;
    c->transport = t;
    c->out = *o;
    c->out.mid[sizeof(c->out.mid) - 1] = '\0';
    c->mid_len = strlen(c->out.mid);
    c->is_video = o->kind == SDP_KIND_VIDEO;
    c->payload_type = c->is_video ? SDP_SUB_PT_VP8 : SDP_SUB_PT_OPUS;
    c->clock_rate = p ? p->track.clock_rate : kind_clock_rate(o->kind);
    c->needs_sync = true;
    c->rtx_ext = initial_seq(o->rtx_ssrc);
    list_init(&c->producer_link);
    list_add_tail(&t->consumers, &c->transport_link);
    reset_layers(c, p);
    if (p) {
        c->producer = p;
        list_add_tail(&p->consumers, &c->producer_link);
        ask_for_start(c, p, now_us);
    }
    *out = c;
    return 0;
}

void consumer_detach(struct consumer *c)
{
    list_remove(&c->producer_link);
    c->producer = NULL;
    c->needs_sync = true;
}

void consumer_free(struct consumer *c)
{
    if (!c)
        return;
    consumer_detach(c);
    list_remove(&c->transport_link);
    free(c);
}

int consumer_set_producer(struct consumer *c, struct producer *p, uint64_t now_us)
{
    if (p == c->producer)
        return 0;
    if (p && (p->track.kind != c->out.kind || !p->track.clock_rate))
        return -SQ_EINVAL;
    consumer_detach(c);
    if (!p) {
        reset_layers(c, NULL);
        return 0;
    }
    c->producer = p;
    c->clock_rate = p->track.clock_rate;
    list_add_tail(&p->consumers, &c->producer_link);
    reset_layers(c, p);
    ask_for_start(c, p, now_us);
    return 0;
}

/* The timestamp a simulcast switch should start at: the new layer's own,
 * mapped into the old layer's clock (browsers give all layers one RTP time
 * base; with sender reports from both, their NTP mapping says how the bases
 * differ). A mapping that lands far from the wall-clock guess means the
 * bases differ after all: the guess is used. A keyframe of the very instant
 * already sent from the old layer goes one tick after it. */
static uint32_t hinted_ts(const struct consumer *c, const struct rtc_packet *pkt, uint32_t guess)
{
    uint32_t mapped = pkt->rtp.timestamp + c->ts_offset + c->ts_hint_delta;
    int32_t err = (int32_t)(mapped - guess);
    int32_t limit = (int32_t)(c->clock_rate / 2);
    if (err > limit || err < -limit)
        return guess;
    if ((int32_t)(mapped - c->last_ts) <= 0)
        return c->last_ts + 1;
    return mapped;
}

/* PictureID and TL0PICIDX go on from the last ones sent. */
static void sync_vp8(struct consumer *c, const struct rtc_packet *pkt)
{
    struct consumer_vp8 *v = &c->vp8;
    if (pkt->vp8.picture_id_at && v->last_in.picture_id_at) {
        uint16_t last = (uint16_t)(v->last_in.picture_id + v->picture_id_offset);
        v->picture_id_offset = (uint16_t)((last + 1u - pkt->vp8.picture_id) & PICTURE_ID_MASK);
        v->is_rewriting = true;
    }
    if (pkt->vp8.tl0_at && v->last_in.tl0_at) {
        uint8_t last = (uint8_t)(v->last_in.tl0_pic_idx + v->tl0_offset);
        v->tl0_offset = (uint8_t)(last + 1u - pkt->vp8.tl0_pic_idx);
        v->is_rewriting = true;
    }
}

static void push_segment(struct consumer *c, uint64_t out_start)
{
    struct consumer_segment *g = &c->segments[c->segment_next];
    g->out_start = out_start;
    g->in_start = c->sync_in_ext;
    g->seq_offset = c->seq_offset;
    g->ts_offset = c->ts_offset;
    g->picture_id_offset = c->vp8.picture_id_offset;
    g->tl0_offset = c->vp8.tl0_offset;
    g->layer = (uint8_t)(c->current_layer > 0 ? c->current_layer : 0);
    c->segment_next = (uint8_t)((c->segment_next + 1) % CONSUMER_SEGMENTS);
    if (c->n_segments < CONSUMER_SEGMENTS)
        c->n_segments++;
}

/* Offsets that make `pkt` follow the last packet sent. */
static void sync_offsets(struct consumer *c, const struct rtc_packet *pkt, uint64_t now_us)
{
    uint16_t next_seq;
    uint32_t next_ts;
    uint64_t out_start;
    if (!c->has_sent) {
        next_seq = initial_seq(c->out.ssrc);
        next_ts = initial_ts(c->out.ssrc);
        c->out_ext = next_seq;
        c->last_ts = next_ts;
        out_start = next_seq;
    } else {
        uint64_t elapsed = rtp_units(now_us - c->last_sent_us, c->clock_rate);
        next_seq = (uint16_t)(c->out_ext + 1);
        next_ts = c->last_ts + (uint32_t)(elapsed ? elapsed : 1);
        if (c->has_ts_hint)
            next_ts = hinted_ts(c, pkt, next_ts);
        if (c->is_video)
            sync_vp8(c, pkt);
        out_start = c->out_ext + 1;
    }
    c->has_ts_hint = false;
    c->seq_offset = (uint16_t)(next_seq - pkt->rtp.seq);
    c->ts_offset = next_ts - pkt->rtp.timestamp;
    c->sync_in_ext = pkt->ext_seq;
    c->needs_sync = false;
    push_segment(c, out_start);
}

/* In the outgoing copy: PictureID + offset (in the field's own width),
 * TL0PICIDX + offset. */
static void write_vp8_ids(uint8_t *payload, const struct rtc_vp8_ids *in, uint16_t picture_id_offset,
                          uint8_t tl0_offset)
{
    uint16_t picture_id = (uint16_t)((in->picture_id + picture_id_offset) & PICTURE_ID_MASK);
    if (in->picture_id_at) {
        uint8_t *b = payload + in->picture_id_at;
        if (in->picture_id_15bit) {
            b[0] = (uint8_t)(0x80 | (picture_id >> 8));
            b[1] = (uint8_t)picture_id;
        } else {
            b[0] = (uint8_t)(picture_id & 0x7f);
        }
    }
    if (in->tl0_at)
        payload[in->tl0_at] = (uint8_t)(in->tl0_pic_idx + tl0_offset);
}


/* Header (with our extensions), then an optional RTX OSN, then the payload. */
static int write_packet(const struct consumer *c, uint8_t *out, size_t cap,
                        const struct rtp_header *h, const struct rtc_packet *pkt, int osn)
{
    struct rtp_ext_element ext[3];
    size_t n_ext = 0;
    uint8_t level, twcc[2];
    if (c->mid_len > 0 && c->mid_len <= MID_EXT_MAX)
        ext[n_ext++] = (struct rtp_ext_element){SDP_SUB_EXT_MID, (uint8_t)c->mid_len,
                                                (const uint8_t *)c->out.mid};
    if (!c->is_video && pkt->has_audio_level) {
        level = (uint8_t)((pkt->voice_activity ? 0x80 : 0) | (pkt->audio_level & 0x7f));
        ext[n_ext++] = (struct rtp_ext_element){SDP_SUB_EXT_AUDIO_LEVEL, 1, &level};
    }
    if (c->transport->bwe) {
        uint16_t seq = bwe_next_seq(c->transport->bwe); /* recorded at commit */
        twcc[0] = (uint8_t)(seq >> 8);
        twcc[1] = (uint8_t)seq;
        ext[n_ext++] = (struct rtp_ext_element){SDP_SUB_EXT_TRANSPORT_CC, 2, twcc};
    }
    int hl = rtp_header_write(out, cap, h, ext, n_ext);
    if (hl < 0)
        return hl;
    size_t extra = osn >= 0 ? 2 : 0;
    size_t total = (size_t)hl + extra + pkt->rtp.payload_len;
    if (total > cap)
        return -SQ_ENOSPACE;
    if (osn >= 0) {
        out[hl] = (uint8_t)(osn >> 8);
        out[hl + 1] = (uint8_t)osn;
    }
    if (pkt->rtp.payload_len)
        memcpy(out + hl + extra, pkt->rtp.payload, pkt->rtp.payload_len);
    return (int)total;
}

int consumer_rewrite(struct consumer *c, const struct rtc_packet *pkt, uint64_t now_us,
                     uint8_t *out, size_t cap, uint32_t *roc)
{
    if (c->needs_sync) {
        /* Hidden video waits here too (off the common path), and starts
         * again from a keyframe once shown. */
        if (c->is_hidden || (c->is_video && !pkt->is_keyframe))
            return 0;
        sync_offsets(c, pkt, now_us);
    } else if (pkt->ext_seq < c->sync_in_ext) {
        /* From before the start: the subscriber never had its frame. */
        return 0;
    }
    struct rtp_header h = {
        .marker = pkt->rtp.marker,
        .payload_type = c->payload_type,
        .seq = (uint16_t)(pkt->rtp.seq + c->seq_offset),
        .timestamp = pkt->rtp.timestamp + c->ts_offset,
        .ssrc = c->out.ssrc,
    };
    int n = write_packet(c, out, cap, &h, pkt, -1);
    if (n < 0)
        return n;
    struct consumer_vp8 *v = &c->vp8;
    if (v->is_rewriting)
        write_vp8_ids(out + n - pkt->rtp.payload_len, &pkt->vp8, v->picture_id_offset,
                      v->tl0_offset);
    uint64_t ext = seq_extend(c->out_ext, h.seq);
    if (ext > c->out_ext || !c->has_sent) {
        c->out_ext = ext;
        c->last_ts = h.timestamp;
        v->last_in = pkt->vp8;   /* a later switch continues from these */
    }
    c->last_sent_us = now_us;
    c->has_sent = true;
    *roc = (uint32_t)(ext >> 16);
    return n;
}

void consumer_send_rtp(struct consumer *c, const struct rtc_packet *pkt, uint64_t now_us)
{
    struct transport *t = c->transport;
    struct datagram *d = transport_tx_slot(t);
    uint32_t roc;
    if (!d)
        return;
    int n = consumer_rewrite(c, pkt, now_us, d->data, RTP_CAP, &roc);
    if (n == 0 && c->is_hidden) {
        t->env->more.drop_hidden++;
        return;
    }
    if (n == 0) {
        /* Still waiting for a keyframe: ask again if the last ask is old. */
        struct producer *p = c->producer;
        if (c->needs_sync && p && c->current_layer >= 0) {
            struct producer_layer *l = &p->layers[c->current_layer];
            if (now_us - l->last_keyframe_request_us >= PRODUCER_KEYFRAME_RETRY_US)
                l->wants_keyframe = true;
        }
        t->env->more.drop_waiting_keyframe++;
        return;
    }
    if (n < 0) {
        t->env->more.drop_too_large++;
        return;
    }
    if (transport_commit_rtp(t, d, (size_t)n, roc) == 0) {
        c->packets_sent++;
        c->octets_sent += pkt->rtp.payload_len;
    }
}

/* One cached packet again, with the offsets of the segment it was sent in:
 * on the RTX SSRC with the OSN when negotiated, else as it went out the
 * first time. */
static void resend(struct consumer *c, const struct rtp_packet *orig, uint16_t out_seq,
                   const struct consumer_segment *g)
{
    struct transport *t = c->transport;
    struct datagram *d = transport_tx_slot(t);
    if (!d)
        return;
    struct rtc_packet pkt = {.rtp = *orig};
    struct rtp_header h = {
        .marker = orig->marker,
        .timestamp = orig->timestamp + g->ts_offset,
    };
    uint32_t roc;
    int n;
    if (c->out.rtx_ssrc) {
        h.ssrc = c->out.rtx_ssrc;
        h.payload_type = SDP_SUB_PT_RTX;
        h.seq = (uint16_t)c->rtx_ext;
        roc = (uint32_t)(c->rtx_ext >> 16);
        n = write_packet(c, d->data, RTP_CAP, &h, &pkt, out_seq);
        if (n > 0)
            c->rtx_ext++;
    } else {
        h.ssrc = c->out.ssrc;
        h.payload_type = c->payload_type;
        h.seq = out_seq;
        roc = (uint32_t)(seq_extend(c->out_ext, out_seq) >> 16);
        n = write_packet(c, d->data, RTP_CAP, &h, &pkt, -1);
    }
    struct vp8_descriptor vp8;
    if (n > 0 && c->vp8.is_rewriting &&
        vp8_descriptor_parse(&vp8, orig->payload, orig->payload_len) == 0) {
        rtc_packet_set_vp8(&pkt, &vp8);
        write_vp8_ids(d->data + n - orig->payload_len, &pkt.vp8, g->picture_id_offset,
                      g->tl0_offset);
    }
    if (n > 0 && transport_commit_rtp(t, d, (size_t)n, roc) == 0) {
        c->rtx_sent++;
        t->env->stats.rtx_sent++;
    }
}

/* The newest segment that had started by outgoing seq `out`. */
static const struct consumer_segment *segment_for(const struct consumer *c, uint64_t out)
{
    const struct consumer_segment *best = NULL;
    for (uint8_t i = 0; i < c->n_segments; i++) {
        const struct consumer_segment *g = &c->segments[i];
        if (g->out_start <= out && (!best || g->out_start > best->out_start))
            best = g;
    }
    return best;
}

void consumer_handle_nack(struct consumer *c, const uint16_t *seqs, size_t n, uint64_t now_us)
{
    struct producer *p = c->producer;
    struct rtc_counters *more = &c->transport->env->more;
    (void)now_us;
    if (!p || !c->has_sent) {
        more->nack_miss += n;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct consumer_segment *g = segment_for(c, seq_extend(c->out_ext, seqs[i]));
        const struct producer_layer *l = g && g->layer < p->n_layers ? &p->layers[g->layer] : NULL;
        const uint8_t *data = NULL;
        size_t len;
        if (l && l->cache) {
            uint64_t ext = producer_layer_extend_seq(l, (uint16_t)(seqs[i] - g->seq_offset));
            if (ext >= g->in_start)
                data = nack_cache_lookup(l->cache, ext, &len);
        }
        struct rtp_packet orig;
        if (!data || rtp_packet_parse(&orig, data, len) < 0) {
            more->nack_miss++;
            continue;
        }
        resend(c, &orig, seqs[i], g);
    }
}

void consumer_handle_report(struct consumer *c, const struct rtcp_report_block *rb,
                            uint64_t now_us)
{
    c->fraction_lost = rb->fraction_lost;
    c->cumulative_lost = rb->cumulative_lost;
    c->jitter = rb->jitter;
    if (!rb->last_sr)
        return;
    /* RFC 3550 sec. 6.4.1: RTT = arrival - LSR - DLSR, measured against
     * when we sent the SR that LSR names. */
    for (size_t i = 0; i < CONSUMER_SR_HISTORY; i++) {
        if (c->sr_sent[i].is_set && c->sr_sent[i].ntp_middle == rb->last_sr) {
            uint64_t dlsr_us = (uint64_t)rb->delay_since_last_sr * 1000000 / 65536;
            uint64_t since = now_us - c->sr_sent[i].sent_us;
            if (since >= dlsr_us)
                c->rtt_us = (uint32_t)(since - dlsr_us);
            return;
        }
    }
}

static uint64_t ntp_duration(uint64_t us)
{
    return (us / 1000000) << 32 | ((us % 1000000) << 32) / 1000000;
}

int consumer_write_sr(struct consumer *c, uint64_t now_us, uint8_t *out, size_t cap)
{
    struct producer *p = c->producer;
    if (!c->has_sent || !p)
        return 0;
    struct rtcp_sender_report sr = {
        .ssrc = c->out.ssrc,
        .packet_count = (uint32_t)c->packets_sent,
        .octet_count = (uint32_t)c->octets_sent,
    };
    /* The layer of the newest segment: the one ts_offset belongs to. */
    uint8_t newest = (uint8_t)((c->segment_next + CONSUMER_SEGMENTS - 1) % CONSUMER_SEGMENTS);
    uint8_t layer = c->n_segments ? c->segments[newest].layer : 0;
    const struct producer_layer *l = &p->layers[layer < p->n_layers ? layer : 0];
    if (l->has_sr) {
        /* The publisher's own NTP <-> RTP mapping, carried forward: streams
         * of one publisher keep their lip sync at the subscriber. */
        uint64_t elapsed = now_us - l->sr_received_us;
        sr.ntp_time = l->sr_ntp + ntp_duration(elapsed);
        sr.rtp_time = l->sr_rtp + (uint32_t)rtp_units(elapsed, c->clock_rate) + c->ts_offset;
    } else {
        sr.ntp_time = rtc_env_ntp(c->transport->env, now_us);
        sr.rtp_time = c->last_ts + (uint32_t)rtp_units(now_us - c->last_sent_us, c->clock_rate);
    }
    int n = rtcp_sender_report_write(out, cap, &sr);
    if (n <= 0)
        return n;
    c->sr_sent[c->sr_next].is_set = true;
    c->sr_sent[c->sr_next].ntp_middle = rtcp_ntp_middle(sr.ntp_time);
    c->sr_sent[c->sr_next].sent_us = now_us;
    c->sr_next = (uint8_t)((c->sr_next + 1) % CONSUMER_SR_HISTORY);
    return n;
}

int consumer_set_preferred_size(struct consumer *c, uint16_t width, uint16_t height,
                                uint64_t now_us)
{
    if (!c->is_video)
        return -SQ_EINVAL;
    bool was_hidden = c->is_hidden;
    c->has_view = true;
    c->view_width = width;
    c->view_height = height;
    c->is_hidden = width == 0 || height == 0;
    if (c->is_hidden)
        c->needs_sync = true;    /* consumer_rewrite holds everything back */
    if (c->is_simulcast) {
        if (c->producer)
            consumer_simulcast_update(c->transport, now_us);
        return 0;
    }
    if (was_hidden && !c->is_hidden && c->producer)
        producer_request_keyframe(c->producer, now_us);
    return 0;
}

void consumer_request_keyframe(struct consumer *c, uint64_t now_us)
{
    struct producer *p = c->producer;
    if (!p || c->is_hidden)
        return;
    if (!c->is_simulcast)
        producer_request_keyframe(p, now_us);
    else if (c->target_layer >= 0)
        producer_request_layer_keyframe(p, (uint8_t)c->target_layer, now_us);
}
