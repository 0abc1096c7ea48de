/* H.264 RTP payloads (RFC 6184, packetization-mode 1) with handmade packets,
 * and where keyframes start in a stream. */
#include "test.h"

#include "sabaq/error.h"
#include "sabaq/h264.h"

static int parse_hex(struct h264_payload *p, const char *hex)
{
    uint8_t buf[64];
    size_t n = test_hex(buf, sizeof buf, hex);
    return h264_payload_parse(p, buf, n);
}

TEST(h264_single_nal_units)
{
    struct h264_payload p;
    ASSERT_EQ(0, parse_hex(&p, "41 9a 00 11")); /* NRI 2, non-IDR slice */
    ASSERT_EQ(H264_NAL_SLICE, p.packet_type);
    ASSERT_EQ(H264_NAL_SLICE, p.nal_type);
    ASSERT_EQ(1, p.n_nals);
    ASSERT(!p.has_idr && !p.has_sps && !p.has_pps && !p.is_fragment);
    ASSERT(!h264_payload_may_start_keyframe(&p));

    ASSERT_EQ(0, parse_hex(&p, "65 88 84 00")); /* IDR */
    ASSERT_EQ(H264_NAL_IDR, p.nal_type);
    ASSERT(p.has_idr && !p.has_sps);
    ASSERT(h264_payload_may_start_keyframe(&p));

    ASSERT_EQ(0, parse_hex(&p, "67 42 e0 1f 8c 8d 40")); /* SPS, constrained baseline 3.1 */
    ASSERT(p.has_sps && !p.has_idr);
    ASSERT_EQ(0, parse_hex(&p, "68 ce 3c 80")); /* PPS */
    ASSERT(p.has_pps && !p.has_sps);
    ASSERT(!h264_payload_may_start_keyframe(&p));
}

TEST(h264_stap_a_with_parameter_sets_and_idr)
{
    struct h264_payload p;
    /* STAP-A (NRI 3): SPS (4 bytes), PPS (2 bytes), IDR (3 bytes). */
    ASSERT_EQ(0, parse_hex(&p, "78  00 04 67 42 e0 1f  00 02 68 ce  00 03 65 88 84"));
    ASSERT_EQ(H264_PACKET_STAP_A, p.packet_type);
    ASSERT_EQ(H264_NAL_SPS, p.nal_type);
    ASSERT_EQ(3, p.n_nals);
    ASSERT(p.has_sps && p.has_pps && p.has_idr);

    /* Parameter sets only (libwebrtc's usual first packet of a keyframe). */
    ASSERT_EQ(0, parse_hex(&p, "78  00 04 67 42 e0 1f  00 02 68 ce"));
    ASSERT(p.has_sps && p.has_pps && !p.has_idr);
    ASSERT_EQ(2, p.n_nals);

    /* An IDR inside a STAP-A after an SEI. */
    ASSERT_EQ(0, parse_hex(&p, "78  00 02 06 05  00 02 65 88"));
    ASSERT_EQ(H264_NAL_SEI, p.nal_type);
    ASSERT(p.has_idr && !p.has_sps);
}

TEST(h264_fu_a_start_middle_end)
{
    struct h264_payload p;
    ASSERT_EQ(0, parse_hex(&p, "7c 85 88 84 00")); /* FU-A, S=1, IDR */
    ASSERT_EQ(H264_PACKET_FU_A, p.packet_type);
    ASSERT_EQ(H264_NAL_IDR, p.nal_type);
    ASSERT(p.is_fragment && p.is_fragment_start && !p.is_fragment_end);
    ASSERT(p.has_idr);
    ASSERT_EQ(1, p.n_nals);

    ASSERT_EQ(0, parse_hex(&p, "7c 05 11 22")); /* middle of the IDR */
    ASSERT(p.is_fragment && !p.is_fragment_start && !p.is_fragment_end);
    ASSERT_EQ(H264_NAL_IDR, p.nal_type);
    ASSERT(!p.has_idr); /* no IDR *starts* here: not a keyframe start */
    ASSERT_EQ(0, p.n_nals);

    ASSERT_EQ(0, parse_hex(&p, "7c 45 33")); /* end */
    ASSERT(p.is_fragment_end && !p.has_idr);

    ASSERT_EQ(0, parse_hex(&p, "5c 81 9a")); /* FU-A start of a non-IDR slice */
    ASSERT(p.is_fragment_start && !p.has_idr);
    ASSERT_EQ(H264_NAL_SLICE, p.nal_type);
}

TEST(h264_refuses_malformed_and_other_modes)
{
    struct h264_payload p;
    static const char *bad[] = {
        "",                          /* empty */
        "00 11",                     /* forbidden type 0 */
        "1e 00", "1f 00",            /* reserved 30, 31 */
        "19 00 00 02 65 88",         /* STAP-B: interleaved mode only */
        "1a 00", "1b 00", "1d 80",   /* MTAP16, MTAP24, FU-B */
        "78",                        /* STAP-A without a unit */
        "78 00",                     /* size cut short */
        "78 00 05 67 42",            /* size beyond the payload */
        "78 00 00",                  /* empty unit */
        "78 00 02 67 42 00",         /* trailing byte that is no size */
        "78 00 02 7c 85",            /* an FU inside a STAP */
        "78 00 01 00",               /* a type-0 unit inside a STAP */
        "7c",                        /* FU-A without a header */
        "7c c5 00",                  /* FU-A with S and E */
        "7c 80 00",                  /* FU-A of type 0 */
        "7c 98 00",                  /* FU-A of an FU-A */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p.has_idr = true;
        if (h264_payload_parse(&p, NULL, 0) != -SQ_EMALFORMED || p.has_idr) {
            test_fail(__FILE__, __LINE__, "NULL payload accepted");
            return;
        }
        p.has_sps = true;
        if (parse_hex(&p, bad[i]) != -SQ_EMALFORMED || p.has_sps || p.n_nals) {
            test_fail(__FILE__, __LINE__, "accepted or left state: \"%s\"", bad[i]);
            return;
        }
    }
}

/* A keyframe as libwebrtc sends it: STAP-A(SPS, PPS), then the IDR in FU-A;
 * as OBS sends it: SPS, PPS, IDR each on its own. Only the first starts. */
TEST(h264_keyframe_starts_at_the_parameter_sets)
{
    struct h264_keyframe_state st = {0};
    struct h264_payload p;
    ASSERT_EQ(0, parse_hex(&p, "41 9a")); /* a P frame first */
    ASSERT(!h264_is_keyframe_start(&st, &p, 1000));
    ASSERT_EQ(0, parse_hex(&p, "78 00 04 67 42 e0 1f 00 02 68 ce"));
    ASSERT(h264_is_keyframe_start(&st, &p, 4000));
    ASSERT_EQ(0, parse_hex(&p, "7c 85 88"));
    ASSERT(!h264_is_keyframe_start(&st, &p, 4000)); /* same access unit */
    ASSERT_EQ(0, parse_hex(&p, "7c 45 88"));
    ASSERT(!h264_is_keyframe_start(&st, &p, 4000));

    ASSERT_EQ(0, parse_hex(&p, "67 42 e0 1f"));
    ASSERT(h264_is_keyframe_start(&st, &p, 7000));
    ASSERT_EQ(0, parse_hex(&p, "68 ce"));
    ASSERT(!h264_is_keyframe_start(&st, &p, 7000));
    ASSERT_EQ(0, parse_hex(&p, "65 88"));
    ASSERT(!h264_is_keyframe_start(&st, &p, 7000));

    /* A late retransmission of the older keyframe's SPS does not restart. */
    ASSERT_EQ(0, parse_hex(&p, "67 42 e0 1f"));
    ASSERT(!h264_is_keyframe_start(&st, &p, 4000));
}

TEST(h264_keyframe_without_in_band_parameter_sets)
{
    struct h264_keyframe_state st = {0};
    struct h264_payload p;
    /* Two IDR slices of one picture, then the next IDR picture. */
    ASSERT_EQ(0, parse_hex(&p, "7c 85 88"));
    ASSERT(h264_is_keyframe_start(&st, &p, 90000));
    ASSERT_EQ(0, parse_hex(&p, "65 b8"));
    ASSERT(!h264_is_keyframe_start(&st, &p, 90000));
    ASSERT_EQ(0, parse_hex(&p, "65 88"));
    ASSERT(h264_is_keyframe_start(&st, &p, 93000));
}

TEST(h264_keyframe_timestamps_wrap_and_restart)
{
    struct h264_keyframe_state st = {0};
    struct h264_payload p;
    ASSERT_EQ(0, parse_hex(&p, "67 42 e0 1f"));
    ASSERT(h264_is_keyframe_start(&st, &p, 0xfffff000u));
    ASSERT(h264_is_keyframe_start(&st, &p, 0x00000200u)); /* after the wrap: newer */
    ASSERT(!h264_is_keyframe_start(&st, &p, 0xffffff00u)); /* before it: older */
    /* Far behind: the encoder started over, its keyframe counts. */
    ASSERT(h264_is_keyframe_start(&st, &p, 0x00000200u - 900000u));
}
