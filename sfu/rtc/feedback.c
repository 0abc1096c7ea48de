/* Reports and feedback Sabaq sends on its own (see feedback.h).
 * To publishers: one compound per second of an RR with a block per producer
 * (RFC 3550 sec. 6.4.2) and, for video without transport-cc, a REMB
 * (draft-alvestrand-rmcat-remb) at FEEDBACK_REMB_BPS; transport-wide CC
 * feedback every 100 ms. To subscribers: SRs, packed several to a datagram. */
#include "rtc/feedback.h"

#include <string.h>

#include "sabaq/error.h"
#include "sabaq/rtcp.h"
#include "sabaq/srtp_session.h"
#include "rtc/consumer.h"
#include "rtc/producer.h"
#include "rtc/transport.h"
#include "rtc/twcc_recorder.h"

#define RTCP_CAP (DATAGRAM_MAX - SRTP_MAX_TRAILER)

int feedback_enable_twcc(struct transport *t, uint8_t ext_id, uint32_t media_ssrc)
{
    if (!t->twcc) {
        t->twcc = twcc_recorder_new();
        if (!t->twcc)
            return -SQ_ENOMEM;
    }
    t->twcc_ext_id = ext_id;
    if (!t->twcc_media_ssrc)
        t->twcc_media_ssrc = media_ssrc;
    return 0;
}

void feedback_record_twcc(struct transport *t, uint16_t seq, uint64_t now_us)
{
    if (t->twcc)
        twcc_recorder_record(t->twcc, seq, now_us);
}

static void send_twcc(struct transport *t)
{
    struct rtcp_twcc *fb = t->env->twcc_scratch;
    while (twcc_recorder_take(t->twcc, fb, FEEDBACK_TWCC_MAX_PER_PACKET) > 0) {
        struct datagram *d = transport_tx_slot(t);
        if (!d)
            return;
        fb->sender_ssrc = t->rtcp_ssrc;
        fb->media_ssrc = t->twcc_media_ssrc;
        /* A gap too long for one delta (-SQ_ELIMIT) only loses this report. */
        int n = rtcp_twcc_write(d->data, RTCP_CAP, fb);
        if (n > 0 && transport_commit_rtcp(t, d, (size_t)n) == 0)
            t->env->more.twcc_sent++;
    }
}

static bool wants_remb(const struct producer *p)
{
    return p->is_video && (p->track.feedback & SDP_FB_GOOG_REMB) &&
           !(p->track.feedback & SDP_FB_TRANSPORT_CC);
}

static void send_receiver_reports(struct transport *t, uint64_t now_us)
{
    struct rtcp_receiver_report rr = {.ssrc = t->rtcp_ssrc};
    struct rtcp_remb remb = {.sender_ssrc = t->rtcp_ssrc, .bitrate_bps = FEEDBACK_REMB_BPS};
    struct list *pos, *tmp;

    list_for_each_safe(pos, tmp, &t->producers) {
        struct producer *p = list_entry(pos, struct producer, transport_link);
        /* A block per layer (each simulcast layer is its own SSRC). */
        rr.report_count = (uint8_t)(rr.report_count +
                                    producer_report_blocks(p, now_us, &rr.reports[rr.report_count],
                                                           RTCP_MAX_REPORTS - rr.report_count));
        for (uint8_t i = 0; wants_remb(p) && i < p->n_layers; i++)
            if (p->layers[i].ssrc && remb.n_ssrcs < RTCP_REMB_MAX_SSRCS)
                remb.ssrcs[remb.n_ssrcs++] = p->layers[i].ssrc;
    }
    if (!rr.report_count && !remb.n_ssrcs)
        return;
    struct datagram *d = transport_tx_slot(t);
    if (!d)
        return;
    /* The RR leads the compound even when empty (RFC 3550 sec. 6.1). */
    int n = rtcp_receiver_report_write(d->data, RTCP_CAP, &rr);
    if (n <= 0)
        return;
    size_t len = (size_t)n;
    if (remb.n_ssrcs) {
        n = rtcp_remb_write(d->data + len, RTCP_CAP - len, &remb);
        if (n > 0) {
            len += (size_t)n;
            t->env->more.remb_sent++;
        }
    }
    if (transport_commit_rtcp(t, d, len) == 0)
        t->env->more.rr_sent++;
}

static void send_sender_reports(struct transport *t, uint64_t now_us)
{
    struct datagram *d = NULL;
    size_t len = 0;
    struct list *pos, *tmp;

    list_for_each_safe(pos, tmp, &t->consumers) {
        struct consumer *c = list_entry(pos, struct consumer, transport_link);
        if (!d && !(d = transport_tx_slot(t)))
            return;
        int n = consumer_write_sr(c, now_us, d->data + len, RTCP_CAP - len);
        if (n == -SQ_ENOSPACE && len) {
            if (transport_commit_rtcp(t, d, len) == 0)
                t->env->more.sr_sent++;
            len = 0;
            if (!(d = transport_tx_slot(t)))
                return;
            n = consumer_write_sr(c, now_us, d->data, RTCP_CAP);
        }
        if (n > 0)
            len += (size_t)n;
    }
    if (d && len && transport_commit_rtcp(t, d, len) == 0)
        t->env->more.sr_sent++;
}

void feedback_tick(struct transport *t, uint64_t now_us)
{
    struct list *pos, *tmp;
    list_for_each_safe(pos, tmp, &t->producers) {
        struct producer *p = list_entry(pos, struct producer, transport_link);
        producer_flush_keyframe_requests(p, now_us);
        producer_flush_resend_requests(p, now_us);
    }
    if (t->twcc && now_us >= t->next_twcc_us) {
        t->next_twcc_us = now_us + FEEDBACK_TWCC_INTERVAL_US;
        send_twcc(t);
    }
    if (now_us >= t->next_report_us) {
        t->next_report_us = now_us + FEEDBACK_REPORT_INTERVAL_US;
        send_receiver_reports(t, now_us);
        send_sender_reports(t, now_us);
    }
}
