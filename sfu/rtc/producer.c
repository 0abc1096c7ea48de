/* An incoming track (see producer.h). SSRC binding follows RFC 8843 sec.
 * 9.2 (mid), RFC 8852 (rtp-stream-id for simulcast layers, repaired-rtp-
 * stream-id for their RTX) and RFC 8853; receive statistics follow RFC 3550
 * A.3 and A.8; keyframe requests RFC 4585 sec. 6.3.1 (PLI) and RFC 5104
 * sec. 4.3.1 (FIR). Layer ranking, bitrates and the wanted-layers event
 * live in producer_layer.c. */
#include "rtc/producer.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "sabaq/vp8.h"
#include "record/record_tap.h"
#include "rtc/consumer.h"
#include "rtc/feedback.h"
#include "rtc/nack_cache.h"
#include "rtc/router.h"
#include "rtc/seq.h"
#include "rtc/transport.h"

#define RTCP_CAP (DATAGRAM_MAX - SRTP_MAX_TRAILER)

static void free_caches(struct producer *p)
{
    for (uint8_t i = 0; i < PRODUCER_MAX_LAYERS; i++)
        nack_cache_free(p->layers[i].cache);
}

/* One layer per rid (at most PRODUCER_MAX_LAYERS), else one. */
static int init_layers(struct producer *p, const struct sdp_track *track, uint64_t now_us)
{
    uint8_t n_rids = track->n_rids < PRODUCER_MAX_LAYERS ? track->n_rids : PRODUCER_MAX_LAYERS;
    p->n_layers = n_rids > 1 ? n_rids : 1;
    p->wanted_mask = (uint8_t)((1u << p->n_layers) - 1);
    p->layers[0].ssrc = track->ssrc;
    p->layers[0].rtx_ssrc = track->rtx_ssrc;
    for (uint8_t i = 0; i < p->n_layers; i++) {
        struct producer_layer *l = &p->layers[i];
        if (i < n_rids) {
            memcpy(l->rid, track->rids[i].id, sizeof(l->rid) - 1);
            l->rid[sizeof(l->rid) - 1] = '\0';
        }
        l->wanted_us = now_us;
        p->rank[i] = i;
        if (!p->is_video)
            continue;
        l->cache = p->n_layers > 1 ? nack_cache_new_sized(PRODUCER_LAYER_CACHE_SLOTS)
                                   : nack_cache_new();
        if (!l->cache)
            return -SQ_ENOMEM;
    }
    return 0;
}

int producer_create(struct producer **out, struct transport *t, uint32_t id,
                    const struct sdp_track *track, uint64_t now_us)
{
    if ((track->kind != SDP_KIND_AUDIO && track->kind != SDP_KIND_VIDEO) || !track->clock_rate)
        return -SQ_EINVAL;
    struct producer *p = calloc(1, sizeof(*p));
    if (!p)
        return -SQ_ENOMEM;
    p->id = id;
    p->transport = t;
    p->track = *track;
    p->track.mid[sizeof(p->track.mid) - 1] = '\0';
    p->is_video = track->kind == SDP_KIND_VIDEO;
    p->created_us = now_us;
    list_init(&p->consumers);
    if (init_layers(p, track, now_us) < 0 ||
        ((track->feedback & SDP_FB_TRANSPORT_CC) && track->ext.transport_cc &&
         feedback_enable_twcc(t, track->ext.transport_cc, track->ssrc) < 0)) {
        free_caches(p);
        free(p);
        return -SQ_ENOMEM;
    }
    list_add_tail(&t->producers, &p->transport_link);
    *out = p;
    return 0;
}

void producer_free(struct producer *p)
{
    struct list *pos, *tmp;
    if (!p)
        return;
    list_for_each_safe(pos, tmp, &p->consumers)
        consumer_detach(list_entry(pos, struct consumer, producer_link));
    list_remove(&p->transport_link);
    speaking_stop(&p->speaking, p->transport->env, p->id);
    free_caches(p);
    free(p);
}

/* The layer a packet's rid (for RTX its repaired-rid) names; -1 for none.
 * Without rids in the offer everything is layer 0. */
static int layer_for(const struct producer *p, const struct rtp_ext_values *v, bool rtx)
{
    if (!p->track.n_rids)
        return 0;
    const char *rid = rtx && v->has_repaired_rid ? v->repaired_rid : v->has_rid ? v->rid : NULL;
    for (uint8_t i = 0; rid && i < p->n_layers; i++)
        if (strcmp(p->layers[i].rid, rid) == 0)
            return i;
    return -1;
}

static bool is_fully_bound(const struct producer *p)
{
    for (uint8_t i = 0; i < p->n_layers; i++)
        if (!p->layers[i].ssrc || (p->track.rtx_payload_type && !p->layers[i].rtx_ssrc))
            return false;
    return true;
}

struct producer *producer_learn_ssrc(struct transport *t, const struct rtp_packet *rtp,
                                     bool *is_rtx)
{
    struct list *pos, *tmp;
    if (!rtp->ext_profile)
        return NULL;
    list_for_each_safe(pos, tmp, &t->producers) {
        struct producer *p = list_entry(pos, struct producer, transport_link);
        struct rtp_ext_values v;
        if (is_fully_bound(p) || !p->track.ext.mid ||
            rtp_packet_read_exts(rtp, &p->track.ext, &v) < 0 || !v.has_mid ||
            strcmp(v.mid, p->track.mid) != 0)
            continue;
        bool rtx = v.has_repaired_rid ||
                   (p->track.rtx_payload_type && rtp->payload_type == p->track.rtx_payload_type);
        int i = layer_for(p, &v, rtx);
        if (i < 0)
            continue;
        struct producer_layer *l = &p->layers[i];
        if (rtx && !l->rtx_ssrc && p->track.rtx_payload_type) {
            l->rtx_ssrc = rtp->ssrc;
            *is_rtx = true;
            return p;
        }
        if (!rtx && !l->ssrc && rtp->payload_type == p->track.payload_type) {
            l->ssrc = rtp->ssrc;
            if (p->transport->twcc && !p->transport->twcc_media_ssrc)
                p->transport->twcc_media_ssrc = l->ssrc;
            *is_rtx = false;
            return p;
        }
    }
    return NULL;
}

uint64_t producer_layer_extend_seq(const struct producer_layer *l, uint16_t seq)
{
    /* Cycles start at 1 so a late packet from before the first one still
     * has a place below it. */
    return l->rx.started ? seq_extend(l->rx.max_ext, seq) : (0x10000u | seq);
}

/* RFC 3550 A.1 (extended highest seq) and A.8 (interarrival jitter). */
static uint64_t update_rx_stats(const struct producer *p, struct producer_layer *l,
                                const struct rtp_packet *rtp, bool is_rtx, uint64_t now_us)
{
    struct producer_rx_stats *rx = &l->rx;
    uint64_t ext = producer_layer_extend_seq(l, rtp->seq);
    if (!rx->started) {
        rx->started = true;
        rx->base_ext = rx->max_ext = ext;
    } else if (ext > rx->max_ext) {
        rx->max_ext = ext;
    } else if (ext < rx->base_ext) {
        rx->base_ext = ext;
    }
    rx->received++;
    if (is_rtx)
        return ext;              /* a retransmission's arrival says nothing of jitter */
    uint64_t us = now_us - p->created_us;
    uint32_t arrival = (uint32_t)(us / 1000000 * p->track.clock_rate +
                                  us % 1000000 * p->track.clock_rate / 1000000);
    int32_t transit = (int32_t)(arrival - rtp->timestamp);
    if (rx->has_transit) {
        int64_t d = (int64_t)transit - rx->last_transit;
        if (d < 0)
            d = -d;
        if (d > 0x7fffffff)
            d = 0x7fffffff;
        int64_t j = (int64_t)rx->jitter_q4 + d - (((int64_t)rx->jitter_q4 + 8) >> 4);
        rx->jitter_q4 = j < 0 ? 0 : j > 0xffffffffLL ? 0xffffffffu : (uint32_t)j;
    }
    rx->last_transit = transit;
    rx->has_transit = true;
    return ext;
}

/* RFC 4588 sec. 4: an RTX payload is the OSN then the original payload.
 * Rebuilds the original in place by moving the header 2 bytes on. */
static int unwrap_rtx(const struct producer *p, uint32_t ssrc, uint8_t **buf, size_t *len,
                      struct rtp_packet *rtp)
{
    uint16_t osn;
    if (!ssrc || rtp->payload_len < 2 || rtp_rtx_original_seq(rtp, &osn) < 0)
        return -SQ_EMALFORMED;
    uint8_t *h = *buf + 2;
    memmove(h, *buf, rtp->header_len);
    h[1] = (uint8_t)((h[1] & 0x80) | (p->track.payload_type & 0x7f));
    h[2] = (uint8_t)(osn >> 8);
    h[3] = (uint8_t)osn;
    h[8] = (uint8_t)(ssrc >> 24);
    h[9] = (uint8_t)(ssrc >> 16);
    h[10] = (uint8_t)(ssrc >> 8);
    h[11] = (uint8_t)ssrc;
    *buf = h;
    *len -= 2;
    return rtp_packet_parse(rtp, h, *len);
}

/* The layer an SSRC (media or RTX) already bound belongs to. */
static uint8_t layer_of(const struct producer *p, uint32_t ssrc)
{
    for (uint8_t i = 1; i < p->n_layers; i++)
        if (p->layers[i].ssrc == ssrc || p->layers[i].rtx_ssrc == ssrc)
            return i;
    return 0;
}

/* Keyframe flag, and the VP8 fields a consumer rewrites when it switches
 * layers. A keyframe with a new size may reorder the layers. */
static void read_vp8(struct producer *p, struct producer_layer *l, struct rtc_packet *pkt,
                     uint64_t now_us)
{
    struct vp8_descriptor d;
    if (vp8_descriptor_parse(&d, pkt->rtp.payload, pkt->rtp.payload_len) < 0)
        return;
    pkt->is_keyframe = d.is_keyframe;
    rtc_packet_set_vp8(pkt, &d);
    if (d.is_keyframe && d.width && d.height && (d.width != l->width || d.height != l->height)) {
        l->width = d.width;
        l->height = d.height;
        if (p->n_layers > 1)
            producer_layers_resized(p, now_us);
    }
}

int producer_cached_packet(const struct producer *p, uint8_t layer, uint64_t ext_seq,
                           struct rtc_packet *out)
{
    const struct producer_layer *l = layer < p->n_layers ? &p->layers[layer] : NULL;
    const uint8_t *data;
    size_t len;
    struct vp8_descriptor d;
    if (!l || !l->cache || !(data = nack_cache_lookup(l->cache, ext_seq, &len)))
        return -SQ_ENOTFOUND;
    memset(out, 0, sizeof(*out));
    if (rtp_packet_parse(&out->rtp, data, len) < 0)
        return -SQ_ENOTFOUND;
    out->ext_seq = ext_seq;
    out->layer = layer;
    if (p->is_video && out->rtp.payload_len &&
        vp8_descriptor_parse(&d, out->rtp.payload, out->rtp.payload_len) == 0) {
        out->is_keyframe = d.is_keyframe;
        rtc_packet_set_vp8(out, &d);
    }
    return 0;
}

void producer_receive_rtp(struct producer *p, uint8_t *buf, size_t len,
                          const struct rtp_packet *in, bool is_rtx, uint64_t now_us)
{
    struct rtc_env *env = p->transport->env;
    struct rtc_packet pkt = {.rtp = *in};
    pkt.layer = p->n_layers > 1 ? layer_of(p, in->ssrc) : 0;
    struct producer_layer *l = &p->layers[pkt.layer];
    if (is_rtx) {
        env->more.rtx_received++;
        /* Padding-only RTX is bandwidth probing: nothing to forward. */
        if (unwrap_rtx(p, l->ssrc, &buf, &len, &pkt.rtp) < 0)
            return;
        size_t cached_len;
        if (l->cache &&
            nack_cache_lookup(l->cache, producer_layer_extend_seq(l, pkt.rtp.seq), &cached_len)) {
            env->more.rtx_duplicate++;
            return;
        }
    }
    if (!p->is_active) {
        p->is_active = true;
        p->active_us = now_us;
        rtc_env_emit(env, SFU_EVENT_PRODUCER_ACTIVE, p->id, p->track.mid);
    }
    p->packets++;
    p->bytes += len;
    l->packets++;
    l->bytes += len;
    if (!is_rtx)
        producer_layer_count(l, len, now_us);
    pkt.ext_seq = update_rx_stats(p, l, &pkt.rtp, is_rtx, now_us);

    struct rtp_ext_values v;
    if (pkt.rtp.ext_profile && rtp_packet_read_exts(&pkt.rtp, &p->track.ext, &v) == 0 &&
        v.has_audio_level) {
        pkt.has_audio_level = true;
        pkt.audio_level = v.audio_level;
        pkt.voice_activity = v.voice_activity;
        if (!p->is_paused)
            speaking_on_level(&p->speaking, env, p->id, v.audio_level, now_us);
    }
    if (p->is_video && pkt.rtp.payload_len)
        read_vp8(p, l, &pkt, now_us);
    if (l->cache)
        nack_cache_store(l->cache, pkt.ext_seq, buf, len);
    if (p->is_paused) {
        env->more.drop_paused++;
        return;
    }
    /* Recording: a copy into the recorder's ring (no lock, no malloc). */
    if (p->record_refs)
        record_tap_packet(env->record_tap, p, &pkt, now_us);
    router_route_rtp(p, &pkt, now_us);
}

void producer_set_paused(struct producer *p, bool paused)
{
    struct list *pos, *tmp;
    if (p->is_paused && !paused) {
        /* Resume as a fresh start: seamless offsets, and video from a keyframe. */
        list_for_each_safe(pos, tmp, &p->consumers)
            list_entry(pos, struct consumer, producer_link)->needs_sync = true;
        for (uint8_t i = 0; i < p->n_layers; i++)
            p->layers[i].wants_keyframe = p->is_video && p->layers[i].ssrc;
    }
    if (paused)
        speaking_stop(&p->speaking, p->transport->env, p->id);
    p->is_paused = paused;
}

int producer_request_layer_keyframe(struct producer *p, uint8_t layer, uint64_t now_us)
{
    struct transport *t = p->transport;
    struct rtc_env *env = t->env;
    if (layer >= p->n_layers)
        return -SQ_EINVAL;
    struct producer_layer *l = &p->layers[layer];
    if (!l->ssrc)
        return -SQ_ESTATE;
    if (l->has_keyframe_request &&
        now_us - l->last_keyframe_request_us < PRODUCER_KEYFRAME_INTERVAL_US) {
        env->stats.pli_suppressed++;
        return 0;
    }
    struct datagram *d = transport_tx_slot(t);
    if (!d)
        return -SQ_ESTATE;
    /* PLI unless the publisher only understands FIR. */
    bool use_fir = (p->track.feedback & SDP_FB_CCM_FIR) && !(p->track.feedback & SDP_FB_NACK_PLI);
    int n = use_fir ? rtcp_fir_write(d->data, RTCP_CAP, t->rtcp_ssrc, l->ssrc, l->fir_seq)
                    : rtcp_pli_write(d->data, RTCP_CAP, t->rtcp_ssrc, l->ssrc);
    if (n <= 0 || transport_commit_rtcp(t, d, (size_t)n) < 0)
        return -SQ_ESTATE;
    if (use_fir)
        l->fir_seq++;
    l->has_keyframe_request = true;
    l->last_keyframe_request_us = now_us;
    l->wants_keyframe = false;
    env->stats.pli_forwarded++;
    return 1;
}

int producer_request_keyframe(struct producer *p, uint64_t now_us)
{
    int rc = -SQ_ESTATE;
    for (uint8_t i = 0; i < p->n_layers; i++) {
        int r = producer_request_layer_keyframe(p, i, now_us);
        if (r > rc)
            rc = r;
    }
    return rc;
}

void producer_flush_keyframe_requests(struct producer *p, uint64_t now_us)
{
    for (uint8_t i = 0; i < p->n_layers; i++) {
        const struct producer_layer *l = &p->layers[i];
        /* Only once the rate limit allows, so waiting is not counted as
         * suppressed requests every tick. */
        if (l->wants_keyframe && (!l->has_keyframe_request ||
                                  now_us - l->last_keyframe_request_us >= PRODUCER_KEYFRAME_INTERVAL_US))
            producer_request_layer_keyframe(p, i, now_us);
    }
}

void producer_on_sender_report(struct producer *p, const struct rtcp_sender_report *sr,
                               uint64_t now_us)
{
    for (uint8_t i = 0; i < p->n_layers; i++) {
        struct producer_layer *l = &p->layers[i];
        if (l->ssrc != sr->ssrc)
            continue;
        l->has_sr = true;
        l->sr_ntp = sr->ntp_time;
        l->sr_rtp = sr->rtp_time;
        l->sr_received_us = now_us;
    }
}

/* RFC 3550 A.3 */
static int report_block(struct producer_layer *l, uint64_t now_us, struct rtcp_report_block *out)
{
    struct producer_rx_stats *rx = &l->rx;
    if (!rx->started || !l->ssrc)
        return -SQ_ESTATE;
    uint64_t expected = rx->max_ext - rx->base_ext + 1;
    int64_t lost = (int64_t)expected - (int64_t)rx->received;
    uint64_t expected_interval = expected - rx->expected_prior;
    uint64_t received_interval = rx->received - rx->received_prior;
    int64_t lost_interval = (int64_t)expected_interval - (int64_t)received_interval;
    rx->expected_prior = expected;
    rx->received_prior = rx->received;

    memset(out, 0, sizeof(*out));
    out->ssrc = l->ssrc;
    out->fraction_lost = (expected_interval == 0 || lost_interval <= 0)
                             ? 0 : (uint8_t)((lost_interval << 8) / (int64_t)expected_interval);
    out->cumulative_lost = (int32_t)(lost > 0x7fffff ? 0x7fffff : lost < -0x800000 ? -0x800000 : lost);
    out->highest_seq = (uint32_t)(rx->max_ext - 0x10000);
    out->jitter = rx->jitter_q4 >> 4;
    if (l->has_sr) {
        out->last_sr = rtcp_ntp_middle(l->sr_ntp);
        out->delay_since_last_sr = (uint32_t)((now_us - l->sr_received_us) * 65536 / 1000000);
    }
    return 0;
}

size_t producer_report_blocks(struct producer *p, uint64_t now_us, struct rtcp_report_block *out,
                              size_t cap)
{
    size_t n = 0;
    for (uint8_t i = 0; i < p->n_layers && n < cap; i++)
        if (report_block(&p->layers[i], now_us, &out[n]) == 0)
            n++;
    return n;
}
