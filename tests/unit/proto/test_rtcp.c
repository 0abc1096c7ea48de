/* RTCP: compound iteration, every writer round-tripped through the iterator
 * and its parser, hand-built wire bytes, and malformed compounds. */
#include "test.h"

#include <stdlib.h>

#include "sabaq/error.h"
#include "sabaq/rtcp.h"

/* Iterates buf and expects exactly one packet; fills *p. */
static int only_packet(const uint8_t *buf, size_t len, struct rtcp_packet *p)
{
    struct rtcp_iter it;
    struct rtcp_packet extra;
    rtcp_iter_init(&it, buf, len);
    if (rtcp_iter_next(&it, p) != 1)
        return -1;
    return rtcp_iter_next(&it, &extra) == 0 ? 0 : -1;
}

TEST(rtcp_sender_report_round_trips)
{
    struct rtcp_sender_report sr = {.ssrc = 0x11223344, .ntp_time = 0xe1234567890abcdeull,
                                    .rtp_time = 90000, .packet_count = 7, .octet_count = 7000,
                                    .report_count = 2};
    sr.reports[0] = (struct rtcp_report_block){0xaabbccdd, 25, -5, 0x0001fff0, 33, 0x45678901, 65536};
    sr.reports[1] = (struct rtcp_report_block){0x01020304, 255, 0x7fffff, 1, 2, 3, 4};
    uint8_t buf[256];
    struct rtcp_packet p;
    static struct rtcp_sender_report got;

    int n = rtcp_sender_report_write(buf, sizeof buf, &sr);
    ASSERT_EQ(4 + 24 + 48, n);
    ASSERT_EQ(-SQ_ENOSPACE, rtcp_sender_report_write(buf, (size_t)n - 1, &sr));
    ASSERT_EQ(0, only_packet(buf, (size_t)n, &p));
    ASSERT_EQ(RTCP_SR, p.type);
    ASSERT_EQ(2, p.count);
    ASSERT_EQ(0, rtcp_sender_report_parse(&p, &got));
    ASSERT_EQ(sr.ssrc, got.ssrc);
    ASSERT(sr.ntp_time == got.ntp_time);
    ASSERT_EQ(sr.rtp_time, got.rtp_time);
    ASSERT_EQ(sr.packet_count, got.packet_count);
    ASSERT_EQ(sr.octet_count, got.octet_count);
    ASSERT_EQ(2, got.report_count);
    for (int i = 0; i < 2; i++) {
        ASSERT_EQ(sr.reports[i].ssrc, got.reports[i].ssrc);
        ASSERT_EQ(sr.reports[i].fraction_lost, got.reports[i].fraction_lost);
        ASSERT_EQ(sr.reports[i].cumulative_lost, got.reports[i].cumulative_lost);
        ASSERT_EQ(sr.reports[i].highest_seq, got.reports[i].highest_seq);
        ASSERT_EQ(sr.reports[i].jitter, got.reports[i].jitter);
        ASSERT_EQ(sr.reports[i].last_sr, got.reports[i].last_sr);
        ASSERT_EQ(sr.reports[i].delay_since_last_sr, got.reports[i].delay_since_last_sr);
    }
    /* -5 as 24-bit two's complement on the wire. */
    ASSERT_EQ(0xff, buf[28 + 5]);
    ASSERT_EQ(0xfb, buf[28 + 7]);
    struct rtcp_receiver_report rr;
    ASSERT_EQ(-SQ_EINVAL, rtcp_receiver_report_parse(&p, &rr));
}

TEST(rtcp_receiver_report_round_trips_and_clamps_loss)
{
    static struct rtcp_receiver_report rr, got;
    uint8_t buf[1024];
    struct rtcp_packet p;

    rr.ssrc = 1;
    rr.report_count = RTCP_MAX_REPORTS;
    for (int i = 0; i < RTCP_MAX_REPORTS; i++)
        rr.reports[i] = (struct rtcp_report_block){(uint32_t)i + 100, (uint8_t)i, -i * 1000,
                                                   (uint32_t)i << 16, 0, 0, 0};
    rr.reports[3].cumulative_lost = 0x7fffff + 10;
    rr.reports[4].cumulative_lost = -0x800000 - 10;
    int n = rtcp_receiver_report_write(buf, sizeof buf, &rr);
    ASSERT_EQ(8 + 24 * 31, n);
    ASSERT_EQ(0, only_packet(buf, (size_t)n, &p));
    ASSERT_EQ(0, rtcp_receiver_report_parse(&p, &got));
    ASSERT_EQ(1, got.ssrc);
    ASSERT_EQ(31, got.report_count);
    ASSERT_EQ(130, got.reports[30].ssrc);
    ASSERT_EQ(-30000, got.reports[30].cumulative_lost);
    ASSERT_EQ(30u << 16, got.reports[30].highest_seq);
    ASSERT_EQ(0x7fffff, got.reports[3].cumulative_lost);
    ASSERT_EQ(-0x800000, got.reports[4].cumulative_lost);

    rr.report_count = 32;
    ASSERT_EQ(-SQ_EINVAL, rtcp_receiver_report_write(buf, sizeof buf, &rr));
    /* Count says more blocks than the body holds. */
    buf[0] = 0x80 | 31;
    buf[3] = 2;
    ASSERT_EQ(0, only_packet(buf, 12, &p));
    ASSERT_EQ(-SQ_EMALFORMED, rtcp_receiver_report_parse(&p, &got));
}

TEST(rtcp_compound_iterates_every_packet)
{
    uint8_t buf[512];
    size_t len = 0;
    struct rtcp_receiver_report rr = {.ssrc = 9, .report_count = 1};
    uint16_t seqs[] = {10, 12};
    struct rtcp_remb remb = {.sender_ssrc = 9, .bitrate_bps = 1000000, .n_ssrcs = 1,
                             .ssrcs = {77}};

    len += (size_t)rtcp_receiver_report_write(buf + len, sizeof buf - len, &rr);
    len += (size_t)rtcp_nack_write(buf + len, sizeof buf - len, 9, 77, seqs, 2);
    len += (size_t)rtcp_pli_write(buf + len, sizeof buf - len, 9, 77);
    len += (size_t)rtcp_fir_write(buf + len, sizeof buf - len, 9, 77, 3);
    len += (size_t)rtcp_remb_write(buf + len, sizeof buf - len, &remb);

    const uint8_t types[] = {RTCP_RR, RTCP_RTPFB, RTCP_PSFB, RTCP_PSFB, RTCP_PSFB};
    const uint8_t counts[] = {1, RTCP_RTPFB_NACK, RTCP_PSFB_PLI, RTCP_PSFB_FIR, RTCP_PSFB_AFB};
    struct rtcp_iter it;
    struct rtcp_packet p;
    size_t total = 0;
    rtcp_iter_init(&it, buf, len);
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(1, rtcp_iter_next(&it, &p));
        ASSERT_EQ(types[i], p.type);
        ASSERT_EQ(counts[i], p.count);
        ASSERT(p.raw == buf + total);
        ASSERT(p.body == p.raw + 4);
        ASSERT_EQ(p.raw_len - 4, p.body_len);
        total += p.raw_len;
    }
    ASSERT_EQ(0, rtcp_iter_next(&it, &p));
    ASSERT_EQ(len, total);
}

TEST(rtcp_malformed_compounds_are_rejected)
{
    uint8_t buf[64];
    struct rtcp_iter it;
    struct rtcp_packet p;
    /* RR with no blocks (8 bytes) followed by a PLI (12 bytes). */
    size_t n = test_hex(buf, sizeof buf, "80 c9 00 01 00 00 00 01  81 ce 00 02 00 00 00 01 00 00 00 02");

    rtcp_iter_init(&it, buf, n);
    ASSERT_EQ(1, rtcp_iter_next(&it, &p));
    ASSERT_EQ(1, rtcp_iter_next(&it, &p));
    ASSERT_EQ(0, rtcp_iter_next(&it, &p));

    for (size_t cut = 1; cut < n; cut++) {
        if (cut == 8)
            continue; /* a whole RR alone is valid */
        uint8_t *copy = malloc(cut);
        int rc;
        memcpy(copy, buf, cut);
        rtcp_iter_init(&it, copy, cut);
        while ((rc = rtcp_iter_next(&it, &p)) == 1) {
        }
        free(copy);
        ASSERT_EQ(-SQ_EMALFORMED, rc);
    }

    buf[8] = 0x41; /* version 1 in the second packet */
    rtcp_iter_init(&it, buf, n);
    ASSERT_EQ(1, rtcp_iter_next(&it, &p));
    ASSERT_EQ(-SQ_EMALFORMED, rtcp_iter_next(&it, &p));
    buf[8] = 0x81;

    buf[3] = 0x09; /* RR length runs past the buffer */
    rtcp_iter_init(&it, buf, n);
    ASSERT_EQ(-SQ_EMALFORMED, rtcp_iter_next(&it, &p));
    buf[3] = 0x01;

    /* Padding on the first of two packets (libwebrtc does this): the pad
     * count is honoured and the next packet still follows. */
    uint8_t saved7 = buf[7];
    buf[0] = 0xa0;
    buf[7] = 4;
    rtcp_iter_init(&it, buf, n);
    ASSERT_EQ(1, rtcp_iter_next(&it, &p));
    ASSERT_EQ(0, p.body_len);
    ASSERT_EQ(1, rtcp_iter_next(&it, &p));
    buf[7] = 0;
    rtcp_iter_init(&it, buf, n);
    ASSERT_EQ(-SQ_EMALFORMED, rtcp_iter_next(&it, &p));
    buf[0] = 0x80;
    buf[7] = saved7;

    /* Padding on the last packet is fine when its count fits... */
    buf[8] = 0xa1;
    buf[19] = 4;
    rtcp_iter_init(&it, buf, n);
    ASSERT_EQ(1, rtcp_iter_next(&it, &p));
    ASSERT_EQ(1, rtcp_iter_next(&it, &p));
    ASSERT_EQ(4, p.body_len);
    ASSERT_EQ(0, rtcp_iter_next(&it, &p));
    /* ...and not when it is 0 or larger than the body. */
    buf[19] = 0;
    rtcp_iter_init(&it, buf, n);
    ASSERT_EQ(1, rtcp_iter_next(&it, &p));
    ASSERT_EQ(-SQ_EMALFORMED, rtcp_iter_next(&it, &p));
    buf[19] = 9;
    rtcp_iter_init(&it, buf, n);
    ASSERT_EQ(1, rtcp_iter_next(&it, &p));
    ASSERT_EQ(-SQ_EMALFORMED, rtcp_iter_next(&it, &p));

    rtcp_iter_init(&it, buf, 0);
    ASSERT_EQ(0, rtcp_iter_next(&it, &p));
}

TEST(rtcp_nack_wraparound_packs_into_one_fci)
{
    uint16_t seqs[] = {0, 65535, 3, 65534};
    uint16_t got[64];
    uint8_t buf[64];
    struct rtcp_packet p;
    struct rtcp_feedback fb;

    int n = rtcp_nack_write(buf, sizeof buf, 0x1111, 0x2222, seqs, 4);
    ASSERT_EQ(16, n);
    uint8_t want[16];
    test_hex(want, sizeof want, "81 cd 00 03 00 00 11 11 00 00 22 22 ff fe 00 13");
    ASSERT_MEM_EQ(want, buf, 16);
    ASSERT_EQ(0, only_packet(buf, (size_t)n, &p));
    ASSERT_EQ(4, rtcp_nack_parse(&p, &fb, got, 64));
    ASSERT_EQ(0x1111, fb.sender_ssrc);
    ASSERT_EQ(0x2222, fb.media_ssrc);
    ASSERT_EQ(65534, got[0]);
    ASSERT_EQ(65535, got[1]);
    ASSERT_EQ(0, got[2]);
    ASSERT_EQ(3, got[3]);
    /* cap limits the output */
    ASSERT_EQ(2, rtcp_nack_parse(&p, &fb, got, 2));
}

TEST(rtcp_nack_splits_and_dedups)
{
    /* Unsorted with a duplicate; 100..116 fit one FCI, 117 and 200 need more. */
    uint16_t seqs[] = {200, 116, 100, 117, 101, 100, 108};
    uint16_t got[64];
    uint8_t buf[64];
    struct rtcp_packet p;
    struct rtcp_feedback fb;

    int n = rtcp_nack_write(buf, sizeof buf, 1, 2, seqs, 7);
    ASSERT_EQ(12 + 3 * 4, n);
    ASSERT_EQ(-SQ_ENOSPACE, rtcp_nack_write(buf, 23, 1, 2, seqs, 7));
    ASSERT_EQ(-SQ_EINVAL, rtcp_nack_write(buf, sizeof buf, 1, 2, seqs, 0));
    ASSERT_EQ(0, only_packet(buf, (size_t)n, &p));
    int k = rtcp_nack_parse(&p, &fb, got, 64);
    ASSERT_EQ(6, k);
    const uint16_t want[] = {100, 101, 108, 116, 117, 200};
    for (int i = 0; i < 6; i++)
        ASSERT_EQ(want[i], got[i]);

    /* A PLI is not a NACK. */
    n = rtcp_pli_write(buf, sizeof buf, 1, 2);
    ASSERT_EQ(0, only_packet(buf, (size_t)n, &p));
    ASSERT_EQ(-SQ_EINVAL, rtcp_nack_parse(&p, &fb, got, 64));
}

TEST(rtcp_pli_and_fir_round_trip)
{
    uint8_t buf[64];
    struct rtcp_packet p;
    struct rtcp_feedback fb;
    uint32_t ssrcs[4];

    int n = rtcp_pli_write(buf, sizeof buf, 0xa, 0xb);
    ASSERT_EQ(12, n);
    ASSERT_EQ(-SQ_ENOSPACE, rtcp_pli_write(buf, 11, 0xa, 0xb));
    ASSERT_EQ(0, only_packet(buf, (size_t)n, &p));
    ASSERT_EQ(RTCP_PSFB, p.type);
    ASSERT_EQ(RTCP_PSFB_PLI, p.count);
    ASSERT_EQ(0, rtcp_feedback_parse(&p, &fb));
    ASSERT_EQ(0xa, fb.sender_ssrc);
    ASSERT_EQ(0xb, fb.media_ssrc);
    ASSERT_EQ(0, fb.fci_len);

    n = rtcp_fir_write(buf, sizeof buf, 0xa, 0xb, 42);
    ASSERT_EQ(20, n);
    uint8_t want[20];
    test_hex(want, sizeof want, "84 ce 00 04 00 00 00 0a 00 00 00 00 00 00 00 0b 2a 00 00 00");
    ASSERT_MEM_EQ(want, buf, 20);
    ASSERT_EQ(0, only_packet(buf, (size_t)n, &p));
    ASSERT_EQ(1, rtcp_fir_parse(&p, &fb, ssrcs, 4));
    ASSERT_EQ(0xb, ssrcs[0]);
    ASSERT_EQ(0xa, fb.sender_ssrc);
    ASSERT_EQ(42, fb.fci[4]);
}

TEST(rtcp_remb_round_trips_large_bitrate)
{
    struct rtcp_remb remb = {.sender_ssrc = 5, .bitrate_bps = 2500000000ull, .n_ssrcs = 2,
                             .ssrcs = {0x100, 0x200}};
    struct rtcp_remb got;
    uint8_t buf[128];
    struct rtcp_packet p;

    int n = rtcp_remb_write(buf, sizeof buf, &remb);
    ASSERT_EQ(12 + 8 + 8, n);
    ASSERT_EQ(0, only_packet(buf, (size_t)n, &p));
    ASSERT_EQ(0, rtcp_remb_parse(&p, &got));
    ASSERT_EQ(5, got.sender_ssrc);
    ASSERT_EQ(2, got.n_ssrcs);
    ASSERT_EQ(0x100, got.ssrcs[0]);
    ASSERT_EQ(0x200, got.ssrcs[1]);
    /* 2.5e9 needs exp 14: the mantissa keeps 18 bits, so the error is < 2^14. */
    ASSERT_EQ(14, buf[17] >> 2);
    ASSERT(got.bitrate_bps <= remb.bitrate_bps);
    ASSERT(remb.bitrate_bps - got.bitrate_bps < (1u << 14));

    /* Small rates are exact with exp 0. */
    remb.bitrate_bps = 0x3ffff;
    n = rtcp_remb_write(buf, sizeof buf, &remb);
    ASSERT_EQ(0, buf[17] >> 2);
    ASSERT_EQ(0, only_packet(buf, (size_t)n, &p));
    ASSERT_EQ(0, rtcp_remb_parse(&p, &got));
    ASSERT_EQ(0x3ffff, got.bitrate_bps);

    remb.n_ssrcs = 17;
    ASSERT_EQ(-SQ_EINVAL, rtcp_remb_write(buf, sizeof buf, &remb));
}

TEST(rtcp_remb_parse_edge_cases)
{
    uint8_t buf[64];
    struct rtcp_packet p;
    struct rtcp_remb got;
    /* exp 63 with full mantissa saturates instead of overflowing. */
    size_t n = test_hex(buf, sizeof buf, "8f ce 00 05 00 00 00 01 00 00 00 00 52 45 4d 42 01 ff ff ff 00 00 00 07");
    ASSERT_EQ(0, only_packet(buf, n, &p));
    ASSERT_EQ(0, rtcp_remb_parse(&p, &got));
    ASSERT(got.bitrate_bps == UINT64_MAX);
    /* Claims 2 SSRCs, holds 1. */
    buf[16] = 2;
    ASSERT_EQ(-SQ_EMALFORMED, rtcp_remb_parse(&p, &got));
    /* Not REMB. */
    buf[12] = 'X';
    ASSERT_EQ(-SQ_ENOTFOUND, rtcp_remb_parse(&p, &got));
}

/* Checks that parse(write(fb)) gives each arrival time rounded down to 250 us. */
static int twcc_round_trip(const struct rtcp_twcc *fb, uint8_t *buf, size_t cap, int *len)
{
    static struct rtcp_twcc got;
    struct rtcp_packet p;
    *len = rtcp_twcc_write(buf, cap, fb);
    if (*len < 0 || *len % 4 != 0 || only_packet(buf, (size_t)*len, &p) != 0)
        return -1;
    if (p.type != RTCP_RTPFB || p.count != RTCP_RTPFB_TWCC || rtcp_twcc_parse(&p, &got) != 0)
        return -2;
    if (got.sender_ssrc != fb->sender_ssrc || got.media_ssrc != fb->media_ssrc ||
        got.base_seq != fb->base_seq || got.count != fb->count || got.fb_count != fb->fb_count)
        return -3;
    for (size_t i = 0; i < fb->count; i++) {
        int64_t want = fb->arrival_us[i] < 0 ? -1 : fb->arrival_us[i] / 250 * 250;
        if (got.arrival_us[i] != want) {
            fprintf(stderr, "    packet %zu: want %lld got %lld\n", i, (long long)want,
                    (long long)got.arrival_us[i]);
            return -4;
        }
    }
    return 0;
}

/* Hand-built: base 100, 3 packets: small delta, lost, negative delta. */
TEST(rtcp_twcc_wire_format_matches_draft)
{
    static struct rtcp_twcc fb = {.sender_ssrc = 1, .media_ssrc = 2, .base_seq = 100,
                                  .count = 3, .fb_count = 5};
    uint8_t buf[64], want[28];
    int n;

    fb.arrival_us[0] = 65000;  /* ref 1 (64 ms), delta 4 ticks */
    fb.arrival_us[1] = -1;
    fb.arrival_us[2] = 64500;  /* delta -2 ticks: large */
    ASSERT_EQ(0, twcc_round_trip(&fb, buf, sizeof buf, &n));
    ASSERT_EQ(28, n);
    test_hex(want, sizeof want,
             "8f cd 00 06 00 00 00 01 00 00 00 02 00 64 00 03 00 00 01 05"
             "d2 00 04 ff fe 00 00 00");
    ASSERT_MEM_EQ(want, buf, 28);
    ASSERT_EQ(-SQ_ENOSPACE, rtcp_twcc_write(buf, 27, &fb));
}

TEST(rtcp_twcc_round_trips_losses_and_large_delta)
{
    static struct rtcp_twcc fb = {.sender_ssrc = 0xabc, .media_ssrc = 0xdef,
                                  .base_seq = 65530, .count = 300, .fb_count = 255};
    uint8_t buf[2048];
    int n;

    int64_t t = 10 * 1000 * 1000 + 123; /* 10 s */
    for (size_t i = 0; i < fb.count; i++) {
        t += 1000 + (int64_t)(i % 7) * 111;
        fb.arrival_us[i] = t;
    }
    for (size_t i = 20; i < 60; i++) /* a long loss run: run-length chunk */
        fb.arrival_us[i] = -1;
    fb.arrival_us[5] = -1;
    fb.arrival_us[7] = -1;
    fb.arrival_us[100] += 5000; /* 5 ms late: the next delta is negative */
    for (size_t i = 150; i < fb.count; i++) /* a 5 s gap: large delta */
        fb.arrival_us[i] += 5 * 1000 * 1000;
    fb.arrival_us[200] -= 3000; /* reordered: negative delta */
    ASSERT_EQ(0, twcc_round_trip(&fb, buf, sizeof buf, &n));
    ASSERT(n < 12 + 8 + 2 * 300 + 300); /* chunks compress */

    /* First packet lost: the reference comes from the first received one. */
    fb.arrival_us[0] = -1;
    ASSERT_EQ(0, twcc_round_trip(&fb, buf, sizeof buf, &n));
    ASSERT_EQ(10000000 / 64000, (buf[16] << 16 | buf[17] << 8 | buf[18]));

    /* A gap beyond 8.19 s does not fit a large delta. */
    fb.arrival_us[250] += 9 * 1000 * 1000;
    ASSERT_EQ(-SQ_ELIMIT, rtcp_twcc_write(buf, sizeof buf, &fb));
}

TEST(rtcp_twcc_uses_every_chunk_kind)
{
    static struct rtcp_twcc fb = {.base_seq = 1, .count = 40, .fb_count = 1};
    uint8_t buf[512];
    int n;

    for (size_t i = 0; i < 40; i++)
        fb.arrival_us[i] = 1000000 + (int64_t)i * 2000;
    /* 0..13 alternate received/lost: one-bit vector; 14..20 hold a large
     * delta: two-bit vector; 21..39 all received: run length. */
    for (size_t i = 1; i < 14; i += 2)
        fb.arrival_us[i] = -1;
    fb.arrival_us[16] += 100000;
    ASSERT_EQ(0, twcc_round_trip(&fb, buf, sizeof buf, &n));
    uint16_t c0 = (uint16_t)(buf[20] << 8 | buf[21]);
    uint16_t c1 = (uint16_t)(buf[22] << 8 | buf[23]);
    uint16_t c2 = (uint16_t)(buf[24] << 8 | buf[25]);
    ASSERT_EQ(0xaaaa, c0);          /* 1 0 | 10101010101010 */
    ASSERT_EQ(0xc000, c1 & 0xc000); /* two-bit vector */
    ASSERT_EQ(0x2000 | 19, c2);     /* run of 19 small deltas */

    /* All lost but one, single packet, all large: still round trip. */
    for (size_t i = 0; i < 40; i++)
        fb.arrival_us[i] = -1;
    fb.arrival_us[39] = 7;
    ASSERT_EQ(0, twcc_round_trip(&fb, buf, sizeof buf, &n));
    fb.count = 1;
    fb.arrival_us[0] = 123456789;
    ASSERT_EQ(0, twcc_round_trip(&fb, buf, sizeof buf, &n));
    fb.count = 0;
    ASSERT_EQ(-SQ_EINVAL, rtcp_twcc_write(buf, sizeof buf, &fb));
}

TEST(rtcp_twcc_parse_rejects_truncation)
{
    static struct rtcp_twcc fb = {.count = 20}, got;
    uint8_t buf[256];
    struct rtcp_packet p;

    for (size_t i = 0; i < 20; i++)
        fb.arrival_us[i] = 500000 + (int64_t)i * 70000; /* all large deltas */
    int n = rtcp_twcc_write(buf, sizeof buf, &fb);
    ASSERT(n > 0);
    /* Shrink the length field word by word: chunks or deltas go missing. */
    for (int words = n / 4 - 1; words >= 4; words--) {
        buf[2] = (uint8_t)((words - 1) >> 8);
        buf[3] = (uint8_t)(words - 1);
        ASSERT_EQ(0, only_packet(buf, (size_t)words * 4, &p));
        ASSERT_EQ(-SQ_EMALFORMED, rtcp_twcc_parse(&p, &got));
    }
    /* Reserved status 3 in a run-length chunk. */
    n = test_hex(buf, sizeof buf, "8f cd 00 05 00 00 00 01 00 00 00 02 00 01 00 01 00 00 00 00 60 01 00 00");
    ASSERT_EQ(0, only_packet(buf, (size_t)n, &p));
    ASSERT_EQ(-SQ_EMALFORMED, rtcp_twcc_parse(&p, &got));
}

TEST(rtcp_ntp_from_unix_epoch)
{
    ASSERT(rtcp_ntp_from_unix_us(0) == 2208988800ull << 32);
    ASSERT(rtcp_ntp_from_unix_us(1500000) == ((2208988801ull << 32) | 0x80000000u));
    uint64_t ntp = rtcp_ntp_from_unix_us(1700000000250000ull);
    ASSERT((ntp >> 32) == 1700000000ull + 2208988800ull);
    ASSERT_EQ(0x40000000u, (uint32_t)ntp);
    ASSERT_EQ((uint32_t)(ntp >> 16), rtcp_ntp_middle(ntp));
}
