/* Incoming RTCP (see rtcp_handler.h): RFC 3550 SR/RR, RFC 4585 generic NACK
 * and PLI, RFC 5104 FIR, REMB and transport-wide CC feedback. A compound is
 * read packet by packet; a broken one is counted once and what came before
 * the break still counts. */
#include "rtc/rtcp_handler.h"

#include "sabaq/error.h"
#include "sabaq/rtcp.h"
#include "rtc/bwe.h"
#include "rtc/consumer.h"
#include "rtc/producer.h"
#include "rtc/transport.h"

#define MAX_NACK_SEQS 256
#define MAX_FIR_SSRCS 16

static void reports(struct transport *t, const struct rtcp_report_block *rb, uint8_t n,
                    uint64_t now_us)
{
    for (uint8_t i = 0; i < n; i++) {
        struct consumer *c = transport_find_consumer(t, rb[i].ssrc);
        if (c)
            consumer_handle_report(c, &rb[i], now_us);
    }
}

/* Layers follow a material move of the downlink estimate (the first one,
 * or more than ESTIMATE_MOVE_PCT) at once: a drop should not overrun the
 * link until the next layer tick. Smaller moves wait for that tick. */
#define ESTIMATE_MOVE_PCT 10

static void estimate_moved(struct transport *t, bool had, uint64_t before, uint64_t now_us)
{
    uint64_t after = bwe_estimate_bps(t->bwe);
    uint64_t delta = after > before ? after - before : before - after;
    if (bwe_has_estimate(t->bwe) && (!had || delta * 100 > before * ESTIMATE_MOVE_PCT))
        consumer_simulcast_update(t, now_us);
}

static int sender_report(struct transport *t, const struct rtcp_packet *pkt, uint64_t now_us)
{
    struct rtcp_sender_report sr;
    bool is_rtx;
    if (rtcp_sender_report_parse(pkt, &sr) < 0)
        return -SQ_EMALFORMED;
    struct producer *p = transport_find_producer(t, sr.ssrc, &is_rtx);
    if (p && !is_rtx) {
        producer_on_sender_report(p, &sr, now_us);
        t->env->more.rtcp_sr_received++;
    }
    reports(t, sr.reports, sr.report_count, now_us);
    return 0;
}

static int receiver_report(struct transport *t, const struct rtcp_packet *pkt, uint64_t now_us)
{
    struct rtcp_receiver_report rr;
    if (rtcp_receiver_report_parse(pkt, &rr) < 0)
        return -SQ_EMALFORMED;
    t->env->more.rtcp_rr_received++;
    reports(t, rr.reports, rr.report_count, now_us);
    return 0;
}

static void keyframe_for(struct transport *t, uint32_t media_ssrc, uint64_t now_us)
{
    struct consumer *c = transport_find_consumer(t, media_ssrc);
    if (c)
        consumer_request_keyframe(c, now_us);
}

static int transport_feedback(struct transport *t, const struct rtcp_packet *pkt, uint64_t now_us)
{
    struct rtcp_feedback fb;
    if (pkt->count == RTCP_RTPFB_NACK) {
        uint16_t seqs[MAX_NACK_SEQS];
        int n = rtcp_nack_parse(pkt, &fb, seqs, MAX_NACK_SEQS);
        if (n < 0)
            return n;
        t->env->stats.nack_received += (uint64_t)n;
        struct consumer *c = transport_find_consumer(t, fb.media_ssrc);
        if (c)
            consumer_handle_nack(c, seqs, (size_t)n, now_us);
        else
            t->env->more.nack_miss += (uint64_t)n;
        return 0;
    }
    if (pkt->count == RTCP_RTPFB_TWCC) {
        struct rtcp_twcc *tw = t->env->twcc_scratch;
        if (rtcp_twcc_parse(pkt, tw) < 0)
            return -SQ_EMALFORMED;
        t->env->more.twcc_received++;
        t->remote_twcc_fb_count = tw->fb_count;
        t->remote_twcc_packets += tw->count;
        if (t->bwe) {
            bool had = bwe_has_estimate(t->bwe);
            uint64_t before = bwe_estimate_bps(t->bwe);
            bwe_on_feedback(t->bwe, tw, now_us);
            estimate_moved(t, had, before, now_us);
        }
        return 0;
    }
    t->env->more.rtcp_other++;
    return 0;
}

static int payload_feedback(struct transport *t, const struct rtcp_packet *pkt, uint64_t now_us)
{
    struct rtcp_feedback fb;
    if (pkt->count == RTCP_PSFB_PLI) {
        if (rtcp_feedback_parse(pkt, &fb) < 0)
            return -SQ_EMALFORMED;
        t->env->more.pli_received++;
        keyframe_for(t, fb.media_ssrc, now_us);
        return 0;
    }
    if (pkt->count == RTCP_PSFB_FIR) {
        uint32_t ssrcs[MAX_FIR_SSRCS];
        int n = rtcp_fir_parse(pkt, &fb, ssrcs, MAX_FIR_SSRCS);
        if (n < 0)
            return n;
        t->env->more.fir_received++;
        for (int i = 0; i < n; i++)
            keyframe_for(t, ssrcs[i], now_us);
        return 0;
    }
    if (pkt->count == RTCP_PSFB_AFB) {
        struct rtcp_remb remb;
        int rc = rtcp_remb_parse(pkt, &remb);
        if (rc == 0) {
            t->env->more.remb_received++;
            t->remote_remb_bps = remb.bitrate_bps;
            if (t->bwe) {
                bool had = bwe_has_estimate(t->bwe);
                uint64_t before = bwe_estimate_bps(t->bwe);
                bwe_on_remb(t->bwe, remb.bitrate_bps);
                estimate_moved(t, had, before, now_us);
            }
            return 0;
        }
        if (rc != -SQ_ENOTFOUND)
            return rc;
    }
    t->env->more.rtcp_other++;
    return 0;
}

static int handle_one(struct transport *t, const struct rtcp_packet *pkt, uint64_t now_us)
{
    switch (pkt->type) {
    case RTCP_SR: return sender_report(t, pkt, now_us);
    case RTCP_RR: return receiver_report(t, pkt, now_us);
    case RTCP_RTPFB: return transport_feedback(t, pkt, now_us);
    case RTCP_PSFB: return payload_feedback(t, pkt, now_us);
    default:
        t->env->more.rtcp_other++;
        return 0;
    }
}

void rtcp_handler_receive(struct transport *t, const uint8_t *buf, size_t len, uint64_t now_us)
{
    struct rtcp_iter it;
    struct rtcp_packet pkt;
    int rc;
    bool is_broken = false;

    rtcp_iter_init(&it, buf, len);
    while ((rc = rtcp_iter_next(&it, &pkt)) == 1) {
        if (handle_one(t, &pkt, now_us) < 0)
            is_broken = true;
    }
    if (rc < 0 || is_broken)
        t->env->stats.drop_malformed_rtcp++;
}
