/* SRTP: the hand-written outbound side against the RFC 3711 / RFC 7714 test
 * vectors, against libsrtp2 byte for byte, and through both inbound sides
 * (srtp_in and libsrtp2's srtp_ref_in). test_srtp_in.c tests srtp_in itself. */
#include "test.h"

#include <stdlib.h>

#include "crypto/srtp_common.h"
#include "sabaq/error.h"
#include "srtp_fixture.h"

#define test_keys srtp_fixture_keys
#define make_rtp srtp_fixture_rtp
#define make_rtcp srtp_fixture_rtcp

static const enum srtp_profile profiles[] = {SRTP_PROFILE_AES128_CM_SHA1_80,
                                             SRTP_PROFILE_AEAD_AES_128_GCM};

TEST(srtp_kdf_matches_rfc3711_b3)
{
    uint8_t key[16], salt[14], want[94], got[94];
    test_hex(key, sizeof key, "E1F97A0D3E018BE0D64FA32C06DE4139");
    test_hex(salt, sizeof salt, "0EC675AD498AFEEBB6960B3AABE6");

    test_hex(want, sizeof want, "C61E7A93744F39EE10734AFE3FF7A087");
    ASSERT_EQ(0, srtp_common_kdf(key, salt, 14, SRTP_LABEL_RTP_ENC, got, 16));
    ASSERT_MEM_EQ(want, got, 16);

    test_hex(want, sizeof want, "30CBBC08863D8C85D49DB34A9AE1");
    ASSERT_EQ(0, srtp_common_kdf(key, salt, 14, SRTP_LABEL_RTP_SALT, got, 14));
    ASSERT_MEM_EQ(want, got, 14);

    /* 94 bytes span six AES blocks: the counter must run across them. */
    test_hex(want, sizeof want,
             "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE"
             "E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25"
             "6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2");
    ASSERT_EQ(0, srtp_common_kdf(key, salt, 14, SRTP_LABEL_RTP_AUTH, got, 94));
    ASSERT_MEM_EQ(want, got, 94);

    struct srtp_session_keys rtp, rtcp;
    ASSERT_EQ(0, srtp_common_derive(key, salt, 14, &rtp, &rtcp));
    ASSERT_MEM_EQ(want, rtp.auth, SRTP_AUTH_KEY_LEN);
}

TEST(srtp_aes_cm_keystream_matches_rfc3711_b2)
{
    uint8_t key[16], salt[14], iv[16], want[48];
    test_hex(key, sizeof key, "2B7E151628AED2A6ABF7158809CF4F3C");
    test_hex(salt, sizeof salt, "F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
    srtp_common_cm_iv(iv, salt, 0, 0);
    test_hex(want, 16, "F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000");
    ASSERT_MEM_EQ(want, iv, 16);

    size_t n = 0xff02 * 16;
    uint8_t *ks = malloc(n);
    ASSERT(ks);
    int err = srtp_common_keystream(key, iv, ks, n);
    test_hex(want, sizeof want,
             "E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB"
             "41E95B3BB0A2E8DD477901E4FCA894C0");
    int head = memcmp(want, ks, 48);
    test_hex(want, sizeof want,
             "EC8CDF7398607CB0F2D21675EA9EA1E4362B7C3C6773516318A077D7FC5073AE"
             "6A2CC3787889374FBEB4C81B17BA6C44");
    int tail = memcmp(want, ks + 0xfeff * 16, 48);
    free(ks);
    ASSERT_EQ(0, err);
    ASSERT_EQ(0, head);
    ASSERT_EQ(0, tail);
}

static struct srtp_out *rfc7714_session(void)
{
    struct srtp_session_keys k = {0};
    test_hex(k.enc, sizeof k.enc, "000102030405060708090a0b0c0d0e0f");
    test_hex(k.salt, sizeof k.salt, "517569642070726f2071756f");
    return srtp_out_new_session(SRTP_PROFILE_AEAD_AES_128_GCM, &k, &k);
}

TEST(srtp_out_gcm_rtp_matches_rfc7714_16_1)
{
    uint8_t pkt[128], want[128];
    size_t len = test_hex(pkt, sizeof pkt,
                          "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e6973"
                          "20646976697361 20696e2070617274657320747265 73");
    size_t want_len = test_hex(want, sizeof want,
                               "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c"
                               "9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf"
                               "8833899d 7f27beb1 6a9152cf 765ee439 0cce");
    struct srtp_out *s = rfc7714_session();
    ASSERT(s);
    int err = srtp_out_protect_rtp(s, pkt, &len, sizeof pkt, 0);
    srtp_out_free(s);
    ASSERT_EQ(0, err);
    ASSERT_EQ(want_len, len);
    ASSERT_MEM_EQ(want, pkt, len);
}

TEST(srtp_out_gcm_rtcp_matches_rfc7714_17_1)
{
    uint8_t pkt[128], want[128];
    size_t len = test_hex(pkt, sizeof pkt,
                          "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a"
                          "0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");
    size_t want_len = test_hex(want, sizeof want,
                               "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99"
                               "7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded"
                               "0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4");
    struct srtp_out *s = rfc7714_session();
    ASSERT(s);
    srtp_out_set_rtcp_index(s, 0x5d4 - 1);
    int err = srtp_out_protect_rtcp(s, pkt, &len, sizeof pkt);
    srtp_out_free(s);
    ASSERT_EQ(0, err);
    ASSERT_EQ(want_len, len);
    ASSERT_MEM_EQ(want, pkt, len);
}

/* Protects `count` packets of two SSRCs from seq 65000 on (so the sequence
 * wraps and the ROC becomes 1) with srtp_out and with srtp_ref_out, compares the outputs
 * byte for byte, then unprotects srtp_out's with srtp_in and srtp_ref_out's
 * with libsrtp2's srtp_ref_in. Returns the number of mismatches; *wrapped
 * counts packets sent with ROC 1. */
static int rtp_three_way(enum srtp_profile p, int count, int *wrapped)
{
    struct srtp_keys k = test_keys(p);
    struct srtp_out *out = srtp_out_new(&k);
    struct srtp_ref_out *ref = srtp_ref_out_new(&k);
    struct srtp_in *in = srtp_in_new(&k);
    struct srtp_ref_in *ref_in = srtp_ref_in_new(&k);
    int bad = !out || !ref || !in || !ref_in ? 1000000 : 0;
    uint32_t roc = 0;
    *wrapped = 0;
    for (int i = 0; i < count && !bad; i++) {
        uint8_t plain[1500], a[1500], b[1500];
        uint16_t seq = (uint16_t)(65000 + i);
        if (i > 0 && seq == 0)
            roc++;
        *wrapped += roc == 1;
        uint32_t ssrc = i % 3 ? 0x11223344 : 0xcafe0001;
        size_t len = make_rtp(plain, seq, ssrc, i % 4 == 1 ? 2 : 0, i % 5 == 2,
                              (size_t)(i * 37) % 1200);
        size_t la = len, lb = len;
        memcpy(a, plain, len);
        memcpy(b, plain, len);
        if (srtp_out_protect_rtp(out, a, &la, sizeof a, roc) != 0)
            bad++;
        if (srtp_ref_out_protect_rtp(ref, b, &lb, sizeof b) != 0 || la != lb ||
            memcmp(a, b, la) != 0)
            bad++;
        if (srtp_in_unprotect_rtp(in, a, &la) != 0 || la != len || memcmp(a, plain, len) != 0)
            bad++;
        if (srtp_ref_in_unprotect_rtp(ref_in, b, &lb) != 0 || lb != len ||
            memcmp(b, plain, len) != 0)
            bad++;
    }
    srtp_out_free(out);
    srtp_ref_out_free(ref);
    srtp_in_free(in);
    srtp_ref_in_free(ref_in);
    return bad;
}

TEST(srtp_out_cm_equals_libsrtp_across_roc_wrap)
{
    int wrapped;
    ASSERT_EQ(0, rtp_three_way(SRTP_PROFILE_AES128_CM_SHA1_80, 3000, &wrapped));
    ASSERT(wrapped > 1000);
}

TEST(srtp_out_gcm_equals_libsrtp_across_roc_wrap)
{
    int wrapped;
    ASSERT_EQ(0, rtp_three_way(SRTP_PROFILE_AEAD_AES_128_GCM, 3000, &wrapped));
    ASSERT(wrapped > 1000);
}

TEST(srtp_out_two_ssrcs_round_trip_through_one_inbound_session)
{
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = test_keys(profiles[p]);
        struct srtp_out *out = srtp_out_new(&k);
        struct srtp_in *in = srtp_in_new(&k);
        ASSERT(out && in);
        for (int i = 0; i < 40; i++) {
            uint8_t plain[300], pkt[300];
            uint32_t ssrc = i % 2 ? 0x1000 : 0x2000;
            size_t len = make_rtp(plain, (uint16_t)(100 + i / 2), ssrc, 1, 1, 200), n = len;
            memcpy(pkt, plain, len);
            ASSERT_EQ(0, srtp_out_protect_rtp(out, pkt, &n, sizeof pkt, 0));
            ASSERT_EQ(0, srtp_in_unprotect_rtp(in, pkt, &n));
            ASSERT_EQ(len, n);
            ASSERT_MEM_EQ(plain, pkt, len);
        }
        srtp_out_free(out);
        srtp_in_free(in);
    }
}

/* libsrtp numbers SRTCP per SSRC, srtp_out per session (unique per SSRC all
 * the same, so no IV repeats): outputs are equal while one SSRC sends, and
 * libsrtp's per-SSRC replay window accepts the gaps when several do. */
TEST(srtp_out_rtcp_equals_libsrtp_and_round_trips)
{
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = test_keys(profiles[p]);
        struct srtp_out *out = srtp_out_new(&k);
        struct srtp_ref_out *ref = srtp_ref_out_new(&k);
        struct srtp_in *in = srtp_in_new(&k);
        ASSERT(out && ref && in);
        for (int i = 0; i < 100; i++) {
            uint8_t plain[64], a[64 + SRTP_MAX_TRAILER], b[64 + SRTP_MAX_TRAILER];
            bool one_ssrc = i < 50;
            size_t len = make_rtcp(plain, 0x5eed0000u + (one_ssrc ? 0 : (uint32_t)(i % 3)),
                                   0xabcdef01u);
            size_t la = len, lb = len;
            memcpy(a, plain, len);
            memcpy(b, plain, len);
            ASSERT_EQ(0, srtp_out_protect_rtcp(out, a, &la, sizeof a));
            ASSERT_EQ(0, srtp_ref_out_protect_rtcp(ref, b, &lb, sizeof b));
            ASSERT_EQ(lb, la);
            if (one_ssrc)
                ASSERT_MEM_EQ(b, a, la);
            ASSERT_EQ(0, srtp_in_unprotect_rtcp(in, a, &la));
            ASSERT_EQ(len, la);
            ASSERT_MEM_EQ(plain, a, len);
        }
        srtp_out_free(out);
        srtp_ref_out_free(ref);
        srtp_in_free(in);
    }
}

TEST(srtp_in_rejects_tampered_packets)
{
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = test_keys(profiles[p]);
        struct srtp_out *out = srtp_out_new(&k);
        struct srtp_in *in = srtp_in_new(&k);
        ASSERT(out && in);
        uint8_t pkt[300];
        size_t len = make_rtp(pkt, 7, 0x42, 0, 0, 100);
        ASSERT_EQ(0, srtp_out_protect_rtp(out, pkt, &len, sizeof pkt, 0));
        pkt[40] ^= 1; /* payload */
        ASSERT_EQ(-SQ_EAUTH, srtp_in_unprotect_rtp(in, pkt, &len));
        pkt[40] ^= 1;
        pkt[len - 1] ^= 0x80; /* tag */
        ASSERT_EQ(-SQ_EAUTH, srtp_in_unprotect_rtp(in, pkt, &len));

        len = make_rtcp(pkt, 0x42, 0x43);
        ASSERT_EQ(0, srtp_out_protect_rtcp(out, pkt, &len, sizeof pkt));
        pkt[9] ^= 4;
        ASSERT_EQ(-SQ_EAUTH, srtp_in_unprotect_rtcp(in, pkt, &len));
        srtp_out_free(out);
        srtp_in_free(in);
    }
}

TEST(srtp_in_rejects_replayed_packets)
{
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = test_keys(profiles[p]);
        struct srtp_out *out = srtp_out_new(&k);
        struct srtp_in *in = srtp_in_new(&k);
        ASSERT(out && in);
        uint8_t pkt[300], copy[300];
        size_t len = make_rtp(pkt, 9, 0x42, 0, 0, 100), n;
        ASSERT_EQ(0, srtp_out_protect_rtp(out, pkt, &len, sizeof pkt, 0));
        memcpy(copy, pkt, len);
        n = len;
        ASSERT_EQ(0, srtp_in_unprotect_rtp(in, pkt, &n));
        n = len;
        ASSERT_EQ(-SQ_EREPLAY, srtp_in_unprotect_rtp(in, copy, &n));

        len = make_rtcp(pkt, 0x42, 0x43);
        ASSERT_EQ(0, srtp_out_protect_rtcp(out, pkt, &len, sizeof pkt));
        memcpy(copy, pkt, len);
        n = len;
        ASSERT_EQ(0, srtp_in_unprotect_rtcp(in, pkt, &n));
        n = len;
        ASSERT_EQ(-SQ_EREPLAY, srtp_in_unprotect_rtcp(in, copy, &n));
        srtp_out_free(out);
        srtp_in_free(in);
    }
}

TEST(srtp_protect_refuses_a_buffer_without_room_for_the_trailer)
{
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = test_keys(profiles[p]);
        size_t tag = profiles[p] == SRTP_PROFILE_AEAD_AES_128_GCM ? 16 : 10;
        struct srtp_out *out = srtp_out_new(&k);
        struct srtp_ref_out *ref = srtp_ref_out_new(&k);
        ASSERT(out && ref);
        uint8_t pkt[300], keep[300];
        size_t len = make_rtp(pkt, 1, 0x42, 0, 0, 100), n = len;
        memcpy(keep, pkt, len);
        ASSERT_EQ(-SQ_ENOSPACE, srtp_out_protect_rtp(out, pkt, &n, len + tag - 1, 0));
        ASSERT_EQ(-SQ_ENOSPACE, srtp_ref_out_protect_rtp(ref, pkt, &n, len + tag - 1));
        ASSERT_EQ(len, n);
        ASSERT_MEM_EQ(keep, pkt, len); /* untouched */
        ASSERT_EQ(0, srtp_out_protect_rtp(out, pkt, &n, len + tag, 0));
        ASSERT_EQ(len + tag, n);

        len = n = make_rtcp(pkt, 0x42, 0x43);
        ASSERT_EQ(-SQ_ENOSPACE, srtp_out_protect_rtcp(out, pkt, &n, len + tag + 3));
        ASSERT_EQ(-SQ_ENOSPACE, srtp_ref_out_protect_rtcp(ref, pkt, &n, len + tag + 3));
        ASSERT_EQ(0, srtp_out_protect_rtcp(out, pkt, &n, len + tag + 4));
        ASSERT_EQ(len + tag + 4, n);
        srtp_out_free(out);
        srtp_ref_out_free(ref);
    }
}

TEST(srtp_rejects_malformed_packets)
{
    struct srtp_keys k = test_keys(SRTP_PROFILE_AES128_CM_SHA1_80);
    struct srtp_out *out = srtp_out_new(&k);
    struct srtp_ref_out *ref = srtp_ref_out_new(&k);
    struct srtp_in *in = srtp_in_new(&k);
    ASSERT(out && ref && in);
    uint8_t pkt[300] = {0};
    size_t n = make_rtp(pkt, 1, 0x42, 3, 0, 0);
    n -= 4; /* claims three CSRCs, carries two */
    ASSERT_EQ(-SQ_EMALFORMED, srtp_out_protect_rtp(out, pkt, &n, sizeof pkt, 0));
    ASSERT_EQ(-SQ_EMALFORMED, srtp_ref_out_protect_rtp(ref, pkt, &n, sizeof pkt));
    n = make_rtp(pkt, 1, 0x42, 0, 1, 0) - 2; /* extension cut short */
    ASSERT_EQ(-SQ_EMALFORMED, srtp_out_protect_rtp(out, pkt, &n, sizeof pkt, 0));
    n = 7;
    ASSERT_EQ(-SQ_EMALFORMED, srtp_out_protect_rtcp(out, pkt, &n, sizeof pkt));
    ASSERT_EQ(-SQ_EMALFORMED, srtp_in_unprotect_rtcp(in, pkt, &n));
    n = 15;
    ASSERT_EQ(-SQ_EMALFORMED, srtp_in_unprotect_rtp(in, pkt, &n));
    for (size_t len = 0; len < 64; len++) { /* short garbage must not crash */
        memset(pkt, 0x80 + (int)len, sizeof pkt);
        n = len;
        ASSERT(srtp_in_unprotect_rtp(in, pkt, &n) < 0);
        n = len;
        ASSERT(srtp_in_unprotect_rtcp(in, pkt, &n) < 0);
    }
    srtp_out_free(out);
    srtp_ref_out_free(ref);
    srtp_in_free(in);
}

TEST(srtp_sessions_refuse_invalid_keys)
{
    struct srtp_keys k = test_keys(SRTP_PROFILE_AEAD_AES_128_GCM);
    k.salt_len = 14;
    ASSERT(!srtp_out_new(&k));
    ASSERT(!srtp_in_new(&k));
    ASSERT(!srtp_ref_out_new(&k));
    ASSERT(!srtp_ref_in_new(&k));
    k = test_keys(SRTP_PROFILE_AES128_CM_SHA1_80);
    k.profile = (enum srtp_profile)2;
    ASSERT(!srtp_out_new(&k));
    ASSERT_STR_EQ("SRTP_AEAD_AES_128_GCM", srtp_profile_name(SRTP_PROFILE_AEAD_AES_128_GCM));
    ASSERT_STR_EQ("SRTP_AES128_CM_HMAC_SHA1_80",
                  srtp_profile_name(SRTP_PROFILE_AES128_CM_SHA1_80));
}
