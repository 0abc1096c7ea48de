/* libFuzzer target for RTCP: the compound iterator and every sub-parser on
 * every packet, with writer round trips where the parsed value is exactly
 * representable (SR, RR, REMB, transport-wide CC). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "sabaq/rtcp.h"

static uint8_t out[1 << 16];

static struct rtcp_packet only(const uint8_t *buf, int n)
{
    struct rtcp_iter it;
    struct rtcp_packet p;
    rtcp_iter_init(&it, buf, (size_t)n);
    if (n <= 0 || rtcp_iter_next(&it, &p) != 1)
        abort();
    return p;
}

static void check_reports(const struct rtcp_packet *p)
{
    static struct rtcp_sender_report sr, sr2;
    static struct rtcp_receiver_report rr, rr2;
    if (rtcp_sender_report_parse(p, &sr) == 0) {
        struct rtcp_packet q = only(out, rtcp_sender_report_write(out, sizeof out, &sr));
        if (rtcp_sender_report_parse(&q, &sr2) != 0 || sr.ntp_time != sr2.ntp_time ||
            sr.report_count != sr2.report_count ||
            memcmp(sr.reports, sr2.reports, sr.report_count * sizeof sr.reports[0]) != 0)
            abort();
    }
    if (rtcp_receiver_report_parse(p, &rr) == 0) {
        struct rtcp_packet q = only(out, rtcp_receiver_report_write(out, sizeof out, &rr));
        if (rtcp_receiver_report_parse(&q, &rr2) != 0 || rr.report_count != rr2.report_count ||
            memcmp(rr.reports, rr2.reports, rr.report_count * sizeof rr.reports[0]) != 0)
            abort();
    }
}

static void check_remb(const struct rtcp_packet *p)
{
    struct rtcp_remb remb, back;
    if (rtcp_remb_parse(p, &remb) != 0 || remb.bitrate_bps == UINT64_MAX)
        return;
    struct rtcp_packet q = only(out, rtcp_remb_write(out, sizeof out, &remb));
    if (rtcp_remb_parse(&q, &back) != 0 || back.bitrate_bps != remb.bitrate_bps ||
        back.n_ssrcs != remb.n_ssrcs)
        abort();
}

static void check_twcc(const struct rtcp_packet *p)
{
    static struct rtcp_twcc fb, back;
    if (rtcp_twcc_parse(p, &fb) != 0)
        return;
    /* Negative times read as "lost" to the writer: only check the rest. */
    for (size_t i = 0; i < fb.count; i++) {
        if (fb.arrival_us[i] < -1 || (fb.arrival_us[i] >= 0 && fb.arrival_us[i] % 250))
            return;
        /* A reference past the 24-bit signed range wraps on the wire. */
        if (fb.arrival_us[i] >= (int64_t)0x7FFFFF * 64000)
            return;
    }
    int n = rtcp_twcc_write(out, sizeof out, &fb);
    if (n == -SQ_ELIMIT)
        return; /* the gap from a re-based reference may not fit */
    struct rtcp_packet q = only(out, n);
    if (rtcp_twcc_parse(&q, &back) != 0 || back.count != fb.count ||
        back.base_seq != fb.base_seq ||
        memcmp(back.arrival_us, fb.arrival_us, fb.count * sizeof fb.arrival_us[0]) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rtcp_iter it;
    struct rtcp_packet p;
    struct rtcp_feedback fb;
    uint16_t seqs[512];
    uint32_t ssrcs[8];
    size_t total = 0;
    int rc;

    rtcp_iter_init(&it, data, size);
    while ((rc = rtcp_iter_next(&it, &p)) == 1) {
        if (p.raw != data + total || p.body_len + 4 > p.raw_len)
            abort();
        total += p.raw_len;
        check_reports(&p);
        (void)rtcp_feedback_parse(&p, &fb);
        int n = rtcp_nack_parse(&p, &fb, seqs, 512);
        if (n > 0 && rtcp_nack_write(out, sizeof out, fb.sender_ssrc, fb.media_ssrc, seqs,
                                     (size_t)n) < 0)
            abort();
        (void)rtcp_fir_parse(&p, &fb, ssrcs, 8);
        check_remb(&p);
        check_twcc(&p);
    }
    if (rc == 0 && total != size)
        abort();
    return 0;
}
