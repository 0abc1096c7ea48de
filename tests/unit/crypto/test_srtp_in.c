/* srtp_in, the OpenSSL inbound side: round trips from srtp_out and from
 * libsrtp2 (srtp_ref_out) across the ROC wrap and out of order, the RFC 7714
 * vectors read backwards, verdicts equal to libsrtp2's srtp_ref_in on a
 * hostile schedule, and what a forged, replayed, stale or truncated
 * packet gets: an error, with the packet and the session state unchanged. */
#include "test.h"

#include <stdlib.h>

#include "crypto/srtp_common.h"
#include "sabaq/error.h"
#include "srtp_fixture.h"

static const enum srtp_profile profiles[] = {SRTP_PROFILE_AES128_CM_SHA1_80,
                                             SRTP_PROFILE_AEAD_AES_128_GCM};

enum { SENT_CAP = 200 + SRTP_MAX_TRAILER };

/* One packet as sent: the plain text, srtp_out's and srtp_ref_out's output. */
struct sent {
    uint8_t plain[SENT_CAP], a[SENT_CAP], b[SENT_CAP];
    size_t plain_len, la, lb;
};

/* Packets 0..count-1 of `ssrcs` SSRCs in turn, seq from first_seq on,
 * protected in that order by srtp_out (with the true ROC) and by srtp_ref_out.
 * NULL if a protect fails or the two disagree. */
static struct sent *send_stream(const struct srtp_keys *k, size_t count, uint16_t first_seq,
                                int ssrcs)
{
    struct sent *s = calloc(count, sizeof *s);
    struct srtp_out *out = srtp_out_new(k);
    struct srtp_ref_out *ref = srtp_ref_out_new(k);
    bool ok = s && out && ref;
    for (size_t i = 0; i < count && ok; i++) {
        uint32_t n = (uint32_t)(i / (size_t)ssrcs) + first_seq;
        struct sent *p = &s[i];
        p->plain_len = srtp_fixture_rtp(p->plain, (uint16_t)n, 0x51000 + (uint32_t)(i % ssrcs),
                                        (int)(i % 3), i % 4 == 1, 20 + (i * 7) % 150);
        memcpy(p->a, p->plain, p->plain_len);
        memcpy(p->b, p->plain, p->plain_len);
        p->la = p->lb = p->plain_len;
        ok = srtp_out_protect_rtp(out, p->a, &p->la, SENT_CAP, n >> 16) == 0 &&
             srtp_ref_out_protect_rtp(ref, p->b, &p->lb, SENT_CAP) == 0 && p->la == p->lb &&
             memcmp(p->a, p->b, p->la) == 0;
    }
    srtp_out_free(out);
    srtp_ref_out_free(ref);
    if (!ok) {
        free(s);
        return NULL;
    }
    return s;
}

static uint32_t lcg(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

/* Unprotects a copy of the packet (with its last byte flipped when is_forged);
 * 0 only if it gives back the plain text. */
static int deliver_as(struct srtp_in *in, const struct sent *p, bool from_ref, bool is_forged)
{
    uint8_t buf[SENT_CAP];
    size_t n = from_ref ? p->lb : p->la;
    memcpy(buf, from_ref ? p->b : p->a, n);
    buf[n - 1] ^= is_forged ? 1 : 0;
    int err = srtp_in_unprotect_rtp(in, buf, &n);
    if (err)
        return err;
    return n == p->plain_len && memcmp(buf, p->plain, n) == 0 ? 0 : 1000;
}

static int deliver(struct srtp_in *in, const struct sent *p, bool from_ref)
{
    return deliver_as(in, p, from_ref, false);
}

static int deliver_ref_as(struct srtp_ref_in *in, const struct sent *p, bool is_forged)
{
    uint8_t buf[SENT_CAP];
    size_t n = p->lb;
    memcpy(buf, p->b, n);
    buf[n - 1] ^= is_forged ? 1 : 0;
    int err = srtp_ref_in_unprotect_rtp(in, buf, &n);
    if (err)
        return err;
    return n == p->plain_len && memcmp(buf, p->plain, n) == 0 ? 0 : 1000;
}

static int deliver_ref(struct srtp_ref_in *in, const struct sent *p)
{
    return deliver_ref_as(in, p, false);
}

/* Two SSRCs, 300 packets each from seq 65400: the sequence wraps to ROC 1
 * after 136. Delivered shuffled within blocks of 40 (so packets of ROC 0
 * arrive after packets of ROC 1), every one must come back byte-equal,
 * whichever side protected it; a second delivery is a replay. */
TEST(srtp_in_unprotects_reordered_packets_across_the_roc_wrap)
{
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = srtp_fixture_keys(profiles[p]);
        enum { COUNT = 600, BLOCK = 40 };
        struct sent *s = send_stream(&k, COUNT, 65400, 2);
        struct srtp_in *in_a = srtp_in_new(&k), *in_b = srtp_in_new(&k);
        struct srtp_ref_in *ref = srtp_ref_in_new(&k);
        ASSERT(s && in_a && in_b && ref);
        size_t order[COUNT];
        uint32_t rnd = 7;
        for (size_t i = 0; i < COUNT; i++)
            order[i] = i;
        for (size_t i = 0; i < COUNT; i++) { /* shuffle inside each block */
            size_t base = i - i % BLOCK, j = base + lcg(&rnd) % BLOCK, t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int late = 0;
        for (size_t i = 0; i < COUNT; i++) {
            const struct sent *pk = &s[order[i]];
            late += i > 0 && order[i] < order[i - 1] && pk->plain[2] == 0xff &&
                    s[order[i - 1]].plain[2] == 0x00;
            ASSERT_EQ(0, deliver(in_a, pk, false));
            ASSERT_EQ(0, deliver(in_b, pk, true));
            ASSERT_EQ(0, deliver_ref(ref, pk));
        }
        ASSERT(late > 0); /* some ROC-0 packet did come after a ROC-1 one */
        for (size_t i = 0; i < COUNT; i += 7) {
            ASSERT_EQ(-SQ_EREPLAY, deliver(in_a, &s[i], false));
            ASSERT_EQ(-SQ_EREPLAY, deliver(in_b, &s[i], true));
            ASSERT_EQ(-SQ_EREPLAY, deliver_ref(ref, &s[i]));
        }
        srtp_in_free(in_a);
        srtp_in_free(in_b);
        srtp_ref_in_free(ref);
        free(s);
    }
}

/* 40000 packets of one SSRC from seq 60000 (ROC 0 to 1), delivered on a
 * schedule of duplicates, stale packets, forgeries, gaps and jumps beyond
 * 2^15 (where the ROC guess must go wrong): srtp_in must reach the same
 * verdict as libsrtp2's srtp_ref_in on every packet. */
TEST(srtp_in_agrees_with_libsrtp_on_a_hostile_schedule)
{
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = srtp_fixture_keys(profiles[p]);
        enum { COUNT = 40000, STEPS = 16000 };
        struct sent *s = send_stream(&k, COUNT, 60000, 1);
        struct srtp_in *in = srtp_in_new(&k);
        struct srtp_ref_in *ref = srtp_ref_in_new(&k);
        ASSERT(s && in && ref);
        size_t next = 0;
        uint32_t rnd = 99 + (uint32_t)p;
        int accepted = 0, replayed = 0, refused = 0;
        for (int step = 0; step < STEPS && next < COUNT; step++) {
            uint32_t r = lcg(&rnd) % 1000;
            size_t i = next;
            if (r < 60 && next > 0) /* a duplicate or a recent packet again */
                i = next - 1 - lcg(&rnd) % (next < 8 ? next : 8);
            else if (r < 120 && next > 0) /* late, maybe beyond the window */
                i = next - 1 - lcg(&rnd) % (next < 1500 ? next : 1500);
            else if (r < 130) /* a gap */
                i = next + lcg(&rnd) % 400;
            else if (r < 140) /* far ahead: taken for a packet 2^16 earlier */
                i = next + 33000 + lcg(&rnd) % 6000;
            if (i >= COUNT)
                continue;
            bool is_forged = r >= 140 && r < 160;
            int got = deliver_as(in, &s[i], p % 2 == 1, is_forged);
            int want = deliver_ref_as(ref, &s[i], is_forged);
            ASSERT_EQ(want, got);
            accepted += got == 0;
            replayed += got == -SQ_EREPLAY;
            refused += got == -SQ_EAUTH;
            if (got == 0 && i >= next)
                next = i + 1;
        }
        ASSERT(accepted > 5000 && replayed > 100 && refused > 0);
        srtp_in_free(in);
        srtp_ref_in_free(ref);
        free(s);
    }
}

static struct srtp_in *rfc7714_session(void)
{
    struct srtp_session_keys k = {0};
    test_hex(k.enc, sizeof k.enc, "000102030405060708090a0b0c0d0e0f");
    test_hex(k.salt, sizeof k.salt, "517569642070726f2071756f");
    return srtp_in_new_session(SRTP_PROFILE_AEAD_AES_128_GCM, &k, &k);
}

TEST(srtp_in_gcm_decrypts_rfc7714_16_1_and_17_1)
{
    uint8_t pkt[128], want[128];
    struct srtp_in *in = rfc7714_session();
    ASSERT(in);
    size_t len = test_hex(pkt, sizeof pkt,
                          "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c"
                          "9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf"
                          "8833899d 7f27beb1 6a9152cf 765ee439 0cce");
    size_t want_len = test_hex(want, sizeof want,
                               "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e6973"
                               "20646976697361 20696e2070617274657320747265 73");
    ASSERT_EQ(0, srtp_in_unprotect_rtp(in, pkt, &len));
    ASSERT_EQ(want_len, len);
    ASSERT_MEM_EQ(want, pkt, len);

    len = test_hex(pkt, sizeof pkt,
                   "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99"
                   "7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded"
                   "0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4");
    want_len = test_hex(want, sizeof want,
                        "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a"
                        "0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");
    ASSERT_EQ(0, srtp_in_unprotect_rtcp(in, pkt, &len));
    ASSERT_EQ(want_len, len);
    ASSERT_MEM_EQ(want, pkt, len);
    srtp_in_free(in);
}

/* Protects a packet of seq/ssrc with srtp_out; returns its length. */
static size_t sealed_rtp(struct srtp_out *out, uint8_t *buf, uint16_t seq, uint32_t ssrc,
                         uint32_t roc)
{
    size_t len = srtp_fixture_rtp(buf, seq, ssrc, 1, 1, 120);
    return srtp_out_protect_rtp(out, buf, &len, 300, roc) == 0 ? len : 0;
}

/* Flips one bit at `at`, unprotects, checks the refusal left the packet as
 * it was, flips it back. */
static int tampered(struct srtp_in *in, uint8_t *pkt, size_t len, size_t at, bool is_rtcp)
{
    uint8_t keep[300];
    size_t n = len;
    pkt[at] ^= 0x10;
    memcpy(keep, pkt, len);
    int err = is_rtcp ? srtp_in_unprotect_rtcp(in, pkt, &n) : srtp_in_unprotect_rtp(in, pkt, &n);
    if (n != len || memcmp(keep, pkt, len) != 0)
        err = 1000;
    pkt[at] ^= 0x10;
    return err;
}

TEST(srtp_in_refuses_tampered_packets_and_keeps_its_state)
{
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = srtp_fixture_keys(profiles[p]);
        struct srtp_out *out = srtp_out_new(&k);
        struct srtp_in *in = srtp_in_new(&k);
        ASSERT(out && in);
        uint8_t pkt[300];
        size_t len = sealed_rtp(out, pkt, 10, 0x42, 0), n;
        ASSERT(len);
        ASSERT_EQ(0, srtp_in_unprotect_rtp(in, pkt, &len));

        /* Far ahead and forged: had it moved s_l to 40000, seq 11 would be
         * guessed in ROC 1 and fail. */
        len = sealed_rtp(out, pkt, 40000, 0x42, 0);
        ASSERT_EQ(-SQ_EAUTH, tampered(in, pkt, len, 30, false));
        len = sealed_rtp(out, pkt, 11, 0x42, 0);
        ASSERT_EQ(-SQ_EAUTH, tampered(in, pkt, len, 5, false));       /* timestamp */
        ASSERT_EQ(-SQ_EAUTH, tampered(in, pkt, len, 1, false));       /* marker/PT */
        ASSERT_EQ(-SQ_EAUTH, tampered(in, pkt, len, 21, false));      /* extension */
        ASSERT_EQ(-SQ_EAUTH, tampered(in, pkt, len, len - 20, false)); /* payload */
        ASSERT_EQ(-SQ_EAUTH, tampered(in, pkt, len, len - 1, false));  /* tag */
        /* A forged packet did not mark seq 11 as seen either. */
        n = len;
        ASSERT_EQ(0, srtp_in_unprotect_rtp(in, pkt, &n));
        /* A forged packet of an unknown SSRC did not take a table entry:
         * 32 genuine SSRCs still fit next to it. */
        len = sealed_rtp(out, pkt, 1, 0x99, 0);
        ASSERT_EQ(-SQ_EAUTH, tampered(in, pkt, len, len - 3, false));
        for (uint32_t ssrc = 0x1000; ssrc < 0x1000 + SRTP_IN_MAX_SSRCS - 1; ssrc++) {
            len = sealed_rtp(out, pkt, 1, ssrc, 0);
            ASSERT_EQ(0, srtp_in_unprotect_rtp(in, pkt, &len));
        }

        len = srtp_fixture_rtcp(pkt, 0x42, 0x43);
        ASSERT_EQ(0, srtp_out_protect_rtcp(out, pkt, &len, sizeof pkt));
        ASSERT_EQ(-SQ_EAUTH, tampered(in, pkt, len, 0, true));       /* header */
        ASSERT_EQ(-SQ_EAUTH, tampered(in, pkt, len, 9, true));       /* payload */
        ASSERT_EQ(-SQ_EAUTH, tampered(in, pkt, len, len - 1, true)); /* tag or index */
        ASSERT_EQ(-SQ_EAUTH, tampered(in, pkt, len, len - 5, true)); /* index or tag */
        n = len;
        ASSERT_EQ(0, srtp_in_unprotect_rtcp(in, pkt, &n));
        srtp_out_free(out);
        srtp_in_free(in);
    }
}

TEST(srtp_in_refuses_replayed_and_stale_packets)
{
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = srtp_fixture_keys(profiles[p]);
        struct srtp_out *out = srtp_out_new(&k);
        struct srtp_in *in = srtp_in_new(&k);
        ASSERT(out && in);
        uint8_t pkt[300], copy[300];
        uint16_t top = 100 + SRTP_IN_WINDOW + 10;
        size_t len = sealed_rtp(out, pkt, 100, 0x42, 0), n = len;
        memcpy(copy, pkt, len);
        ASSERT_EQ(0, srtp_in_unprotect_rtp(in, pkt, &n));
        n = len;
        ASSERT_EQ(-SQ_EREPLAY, srtp_in_unprotect_rtp(in, copy, &n));
        n = len = sealed_rtp(out, pkt, top, 0x42, 0);
        ASSERT_EQ(0, srtp_in_unprotect_rtp(in, pkt, &n));
        /* The window holds top - 1023 .. top: one below is stale, even unseen. */
        n = len = sealed_rtp(out, pkt, (uint16_t)(top - SRTP_IN_WINDOW), 0x42, 0);
        ASSERT_EQ(-SQ_EREPLAY, srtp_in_unprotect_rtp(in, pkt, &n));
        n = len;
        memcpy(pkt, copy, len); /* seq 100: seen and stale */
        ASSERT_EQ(-SQ_EREPLAY, srtp_in_unprotect_rtp(in, pkt, &n));
        n = len = sealed_rtp(out, pkt, (uint16_t)(top - SRTP_IN_WINDOW + 1), 0x42, 0);
        ASSERT_EQ(0, srtp_in_unprotect_rtp(in, pkt, &n));

        /* SRTCP: the same window on the 31-bit index. */
        uint32_t idx[] = {5, 5000, 5000 - SRTP_IN_WINDOW + 1, 5000 - SRTP_IN_WINDOW, 5, 4999};
        int want[] = {0, 0, 0, -SQ_EREPLAY, -SQ_EREPLAY, 0};
        for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) {
            len = srtp_fixture_rtcp(pkt, 0x42, 0x43);
            srtp_out_set_rtcp_index(out, idx[i] - 1);
            ASSERT_EQ(0, srtp_out_protect_rtcp(out, pkt, &len, sizeof pkt));
            memcpy(copy, pkt, len);
            n = len;
            ASSERT_EQ(want[i], srtp_in_unprotect_rtcp(in, pkt, &n));
            n = len;
            ASSERT_EQ(-SQ_EREPLAY, srtp_in_unprotect_rtcp(in, copy, &n));
        }
        srtp_out_free(out);
        srtp_in_free(in);
    }
}

TEST(srtp_in_forgets_the_least_recently_used_ssrc_when_full)
{
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = srtp_fixture_keys(profiles[p]);
        struct srtp_out *out = srtp_out_new(&k);
        struct srtp_in *in = srtp_in_new(&k);
        ASSERT(out && in);
        uint8_t pkt[300], first[300], second[300];
        size_t len, n, first_len = 0, second_len = 0;
        for (uint32_t i = 0; i <= SRTP_IN_MAX_SSRCS; i++) {
            n = len = sealed_rtp(out, pkt, 7, 0x7000 + i, 0);
            if (i == 0)
                memcpy(first, pkt, first_len = len);
            if (i == 1)
                memcpy(second, pkt, second_len = len);
            ASSERT_EQ(0, srtp_in_unprotect_rtp(in, pkt, &n));
            len = srtp_fixture_rtcp(pkt, 0x7000 + i, 1);
            ASSERT_EQ(0, srtp_out_protect_rtcp(out, pkt, &len, sizeof pkt));
            n = len;
            ASSERT_EQ(0, srtp_in_unprotect_rtcp(in, pkt, &n));
        }
        /* The 33rd took the place of the first (least recently used); the
         * second is still remembered, so its replay is refused. */
        n = second_len;
        ASSERT_EQ(-SQ_EREPLAY, srtp_in_unprotect_rtp(in, second, &n));
        n = first_len;
        ASSERT_EQ(0, srtp_in_unprotect_rtp(in, first, &n));
        n = len = sealed_rtp(out, pkt, 8, 0x7000 + SRTP_IN_MAX_SSRCS, 0);
        ASSERT_EQ(0, srtp_in_unprotect_rtp(in, pkt, &n));
        srtp_out_free(out);
        srtp_in_free(in);
    }
}

TEST(srtp_in_refuses_truncated_packets)
{
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = srtp_fixture_keys(profiles[p]);
        size_t tag = srtp_common_tag_len(profiles[p]);
        struct srtp_out *out = srtp_out_new(&k);
        struct srtp_in *in = srtp_in_new(&k);
        ASSERT(out && in);
        uint8_t pkt[300], keep[300];
        size_t len = sealed_rtp(out, pkt, 3, 0x42, 0), hlen = 12 + 4 + 12, n;
        memcpy(keep, pkt, len);
        for (size_t cut = 0; cut < len; cut++) {
            n = cut;
            int want = cut < hlen + tag ? -SQ_EMALFORMED : -SQ_EAUTH;
            ASSERT_EQ(want, srtp_in_unprotect_rtp(in, pkt, &n));
            ASSERT_EQ(cut, n);
            ASSERT_MEM_EQ(keep, pkt, len);
        }
        pkt[0] = 0x40 | (pkt[0] & 0x3f); /* version 1 */
        n = len;
        ASSERT_EQ(-SQ_EMALFORMED, srtp_in_unprotect_rtp(in, pkt, &n));
        pkt[0] = keep[0];
        n = len;
        ASSERT_EQ(0, srtp_in_unprotect_rtp(in, pkt, &n));

        len = srtp_fixture_rtcp(pkt, 0x42, 0x43);
        ASSERT_EQ(0, srtp_out_protect_rtcp(out, pkt, &len, sizeof pkt));
        memcpy(keep, pkt, len);
        for (size_t cut = 0; cut < len; cut++) {
            n = cut;
            int want = cut < 8 + 4 + tag ? -SQ_EMALFORMED : -SQ_EAUTH;
            ASSERT_EQ(want, srtp_in_unprotect_rtcp(in, pkt, &n));
            ASSERT_MEM_EQ(keep, pkt, len);
        }
        pkt[0] = 0xc0;
        n = len;
        ASSERT_EQ(-SQ_EMALFORMED, srtp_in_unprotect_rtcp(in, pkt, &n));
        srtp_out_free(out);
        srtp_in_free(in);
    }
}

/* libsrtp2 numbers SRTCP per SSRC: three senders each start at index 1. */
TEST(srtp_in_unprotects_libsrtp_rtcp_of_several_ssrcs)
{
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = srtp_fixture_keys(profiles[p]);
        struct srtp_ref_out *ref = srtp_ref_out_new(&k);
        struct srtp_in *in = srtp_in_new(&k);
        ASSERT(ref && in);
        for (int i = 0; i < 60; i++) {
            uint8_t plain[64], pkt[64 + SRTP_MAX_TRAILER];
            size_t len = srtp_fixture_rtcp(plain, 0x5eed0000u + (uint32_t)(i % 3), 9), n = len;
            memcpy(pkt, plain, len);
            ASSERT_EQ(0, srtp_ref_out_protect_rtcp(ref, pkt, &n, sizeof pkt));
            ASSERT_EQ(0, srtp_in_unprotect_rtcp(in, pkt, &n));
            ASSERT_EQ(len, n);
            ASSERT_MEM_EQ(plain, pkt, len);
        }
        srtp_ref_out_free(ref);
        srtp_in_free(in);
    }
}

/* SRTCP with E = 0 (authenticated, not encrypted), made by libsrtp2 with
 * confidentiality switched off, as RFC 3711 sec. 3.4 and RFC 7714 sec. 9.3
 * allow. */
TEST(srtp_in_accepts_authenticated_unencrypted_srtcp)
{
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = srtp_fixture_keys(profiles[p]);
        uint8_t master[30];
        srtp_policy_t policy;
        srtp_t sender = NULL;
        memset(&policy, 0, sizeof policy);
        if (profiles[p] == SRTP_PROFILE_AEAD_AES_128_GCM) {
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
        } else {
            srtp_crypto_policy_set_rtp_default(&policy.rtp);
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
        }
        policy.rtcp.sec_serv = sec_serv_auth;
        memcpy(master, k.local_key, 16);
        memcpy(master + 16, k.local_salt, k.salt_len);
        policy.ssrc.type = ssrc_any_outbound;
        policy.key = master;
        ASSERT_EQ(0, srtp_library_init());
        ASSERT_EQ(srtp_err_status_ok, srtp_create(&sender, &policy));
        struct srtp_in *in = srtp_in_new(&k);
        ASSERT(in);
        for (int i = 0; i < 5; i++) {
            uint8_t plain[64], pkt[64 + SRTP_MAX_TRAILER];
            int n = (int)srtp_fixture_rtcp(plain, 0x42, (uint32_t)i);
            size_t len = (size_t)n;
            memcpy(pkt, plain, len);
            ASSERT_EQ(srtp_err_status_ok, srtp_protect_rtcp(sender, pkt, &n));
            ASSERT_MEM_EQ(plain, pkt, len); /* in the clear */
            size_t e_at = profiles[p] == SRTP_PROFILE_AEAD_AES_128_GCM ? (size_t)n - 4 : len;
            ASSERT_EQ(0, pkt[e_at] & 0x80);
            ASSERT_EQ(-SQ_EAUTH, tampered(in, pkt, (size_t)n, 20, true));
            size_t got = (size_t)n;
            ASSERT_EQ(0, srtp_in_unprotect_rtcp(in, pkt, &got));
            ASSERT_EQ(len, got);
            ASSERT_MEM_EQ(plain, pkt, len);
        }
        srtp_in_free(in);
        srtp_dealloc(sender);
    }
}
