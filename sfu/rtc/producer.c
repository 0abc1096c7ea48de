/* An incoming track (see producer.h). SSRC binding follows RFC 8843 sec.
 * 9.2 (mid) and RFC 8852 (repaired-rtp-stream-id for RTX); receive
 * statistics follow RFC 3550 A.3 and A.8; keyframe requests RFC 4585 sec.
 * 6.3.1 (PLI) and RFC 5104 sec. 4.3.1 (FIR). */
#include "rtc/producer.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "sabaq/vp8.h"
#include "rtc/consumer.h"
#include "rtc/feedback.h"
#include "rtc/nack_cache.h"
#include "rtc/router.h"
#include "rtc/seq.h"
#include "rtc/transport.h"

#define RTCP_CAP (DATAGRAM_MAX - SRTP_MAX_TRAILER)

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
    p->ssrc = track->ssrc;
    p->rtx_ssrc = track->rtx_ssrc;
    p->is_video = track->kind == SDP_KIND_VIDEO;
    p->created_us = now_us;
    list_init(&p->consumers);
    if (p->is_video) {
        p->cache = nack_cache_new();
        if (!p->cache) {
            free(p);
            return -SQ_ENOMEM;
        }
    }
    if ((track->feedback & SDP_FB_TRANSPORT_CC) && track->ext.transport_cc &&
        feedback_enable_twcc(t, track->ext.transport_cc, p->ssrc) < 0) {
        nack_cache_free(p->cache);
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
    nack_cache_free(p->cache);
    free(p);
}

/* Simulcast (RFC 8853) is parsed but not switched yet: the producer takes
 * the first rid of the offer (browsers list layers low to high, and the low
 * one is what a large class can afford) and leaves the other layers out. */
static bool is_wanted_layer(const struct producer *p, const struct rtp_ext_values *v, bool rtx)
{
    if (!p->track.n_rids)
        return true;
    const char *want = p->track.rids[0].id;
    if (rtx)
        return v->has_repaired_rid ? strcmp(v->repaired_rid, want) == 0
                                   : v->has_rid && strcmp(v->rid, want) == 0;
    return v->has_rid && strcmp(v->rid, want) == 0;
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
        if ((p->ssrc && p->rtx_ssrc) || !p->track.ext.mid ||
            rtp_packet_read_exts(rtp, &p->track.ext, &v) < 0 || !v.has_mid ||
            strcmp(v.mid, p->track.mid) != 0)
            continue;
        bool rtx = v.has_repaired_rid ||
                   (p->track.rtx_payload_type && rtp->payload_type == p->track.rtx_payload_type);
        if (!is_wanted_layer(p, &v, rtx))
            continue;
        if (rtx && !p->rtx_ssrc && p->track.rtx_payload_type) {
            p->rtx_ssrc = rtp->ssrc;
            *is_rtx = true;
            return p;
        }
        if (!rtx && !p->ssrc && rtp->payload_type == p->track.payload_type) {
            p->ssrc = rtp->ssrc;
            if (p->transport->twcc && !p->transport->twcc_media_ssrc)
                p->transport->twcc_media_ssrc = p->ssrc;
            *is_rtx = false;
            return p;
        }
    }
    return NULL;
}

uint64_t producer_extend_seq(const struct producer *p, uint16_t seq)
{
    /* Cycles start at 1 so a late packet from before the first one still
     * has a place below it. */
    return p->rx.started ? seq_extend(p->rx.max_ext, seq) : (0x10000u | seq);
}

/* RFC 3550 A.1 (extended highest seq) and A.8 (interarrival jitter). */
static uint64_t update_rx_stats(struct producer *p, const struct rtp_packet *rtp, bool is_rtx,
                                uint64_t now_us)
{
    struct producer_rx_stats *rx = &p->rx;
    uint64_t ext = producer_extend_seq(p, rtp->seq);
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
static int unwrap_rtx(struct producer *p, uint8_t **buf, size_t *len, struct rtp_packet *rtp)
{
    uint16_t osn;
    if (!p->ssrc || rtp->payload_len < 2 || rtp_rtx_original_seq(rtp, &osn) < 0)
        return -SQ_EMALFORMED;
    uint8_t *h = *buf + 2;
    memmove(h, *buf, rtp->header_len);
    h[1] = (uint8_t)((h[1] & 0x80) | (p->track.payload_type & 0x7f));
    h[2] = (uint8_t)(osn >> 8);
    h[3] = (uint8_t)osn;
    h[8] = (uint8_t)(p->ssrc >> 24);
    h[9] = (uint8_t)(p->ssrc >> 16);
    h[10] = (uint8_t)(p->ssrc >> 8);
    h[11] = (uint8_t)p->ssrc;
    *buf = h;
    *len -= 2;
    return rtp_packet_parse(rtp, h, *len);
}

void producer_receive_rtp(struct producer *p, uint8_t *buf, size_t len,
                          const struct rtp_packet *in, bool is_rtx, uint64_t now_us)
{
    struct rtc_env *env = p->transport->env;
    struct rtc_packet pkt = {.rtp = *in};
    if (is_rtx) {
        env->more.rtx_received++;
        /* Padding-only RTX is bandwidth probing: nothing to forward. */
        if (unwrap_rtx(p, &buf, &len, &pkt.rtp) < 0)
            return;
        size_t cached_len;
        if (p->cache &&
            nack_cache_lookup(p->cache, producer_extend_seq(p, pkt.rtp.seq), &cached_len)) {
            env->more.rtx_duplicate++;
            return;
        }
    }
    if (!p->is_active) {
        p->is_active = true;
        rtc_env_emit(env, SFU_EVENT_PRODUCER_ACTIVE, p->id, p->track.mid);
    }
    p->packets++;
    p->bytes += len;
    pkt.ext_seq = update_rx_stats(p, &pkt.rtp, is_rtx, now_us);

    struct rtp_ext_values v;
    if (pkt.rtp.ext_profile && rtp_packet_read_exts(&pkt.rtp, &p->track.ext, &v) == 0 &&
        v.has_audio_level) {
        pkt.has_audio_level = true;
        pkt.audio_level = v.audio_level;
        pkt.voice_activity = v.voice_activity;
    }
    if (p->is_video && pkt.rtp.payload_len) {
        struct vp8_descriptor vp8;
        pkt.is_keyframe = vp8_descriptor_parse(&vp8, pkt.rtp.payload, pkt.rtp.payload_len) == 0 &&
                          vp8.is_keyframe;
    }
    if (p->cache)
        nack_cache_store(p->cache, pkt.ext_seq, buf, len);
    if (p->is_paused) {
        env->more.drop_paused++;
        return;
    }
    router_route_rtp(p, &pkt, now_us);
}

void producer_set_paused(struct producer *p, bool paused)
{
    struct list *pos, *tmp;
    if (p->is_paused && !paused) {
        /* Resume as a fresh start: seamless offsets, and video from a keyframe. */
        list_for_each_safe(pos, tmp, &p->consumers)
            list_entry(pos, struct consumer, producer_link)->needs_sync = true;
        p->wants_keyframe = p->is_video;
    }
    p->is_paused = paused;
}

int producer_request_keyframe(struct producer *p, uint64_t now_us)
{
    struct transport *t = p->transport;
    struct rtc_env *env = t->env;
    if (!p->ssrc)
        return -SQ_ESTATE;
    if (p->has_keyframe_request &&
        now_us - p->last_keyframe_request_us < PRODUCER_KEYFRAME_INTERVAL_US) {
        env->stats.pli_suppressed++;
        return 0;
    }
    struct datagram *d = transport_tx_slot(t);
    if (!d)
        return -SQ_ESTATE;
    /* PLI unless the publisher only understands FIR. */
    bool use_fir = (p->track.feedback & SDP_FB_CCM_FIR) && !(p->track.feedback & SDP_FB_NACK_PLI);
    int n = use_fir ? rtcp_fir_write(d->data, RTCP_CAP, t->rtcp_ssrc, p->ssrc, p->fir_seq)
                    : rtcp_pli_write(d->data, RTCP_CAP, t->rtcp_ssrc, p->ssrc);
    if (n <= 0 || transport_commit_rtcp(t, d, (size_t)n) < 0)
        return -SQ_ESTATE;
    if (use_fir)
        p->fir_seq++;
    p->has_keyframe_request = true;
    p->last_keyframe_request_us = now_us;
    p->wants_keyframe = false;
    env->stats.pli_forwarded++;
    return 1;
}

void producer_on_sender_report(struct producer *p, const struct rtcp_sender_report *sr,
                               uint64_t now_us)
{
    p->has_sr = true;
    p->sr_ntp = sr->ntp_time;
    p->sr_rtp = sr->rtp_time;
    p->sr_received_us = now_us;
}

int producer_report_block(struct producer *p, uint64_t now_us, struct rtcp_report_block *out)
{
    struct producer_rx_stats *rx = &p->rx;
    if (!rx->started || !p->ssrc)
        return -SQ_ESTATE;
    /* RFC 3550 A.3 */
    uint64_t expected = rx->max_ext - rx->base_ext + 1;
    int64_t lost = (int64_t)expected - (int64_t)rx->received;
    uint64_t expected_interval = expected - rx->expected_prior;
    uint64_t received_interval = rx->received - rx->received_prior;
    int64_t lost_interval = (int64_t)expected_interval - (int64_t)received_interval;
    rx->expected_prior = expected;
    rx->received_prior = rx->received;

    memset(out, 0, sizeof(*out));
    out->ssrc = p->ssrc;
    out->fraction_lost = (expected_interval == 0 || lost_interval <= 0)
                             ? 0 : (uint8_t)((lost_interval << 8) / (int64_t)expected_interval);
    out->cumulative_lost = (int32_t)(lost > 0x7fffff ? 0x7fffff : lost < -0x800000 ? -0x800000 : lost);
    out->highest_seq = (uint32_t)(rx->max_ext - 0x10000);
    out->jitter = rx->jitter_q4 >> 4;
    if (p->has_sr) {
        out->last_sr = rtcp_ntp_middle(p->sr_ntp);
        out->delay_since_last_sr = (uint32_t)((now_us - p->sr_received_us) * 65536 / 1000000);
    }
    return 0;
}
