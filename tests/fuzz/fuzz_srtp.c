/* libFuzzer target for srtp_in (RFC 3711 / RFC 7714 unprotect), both
 * profiles, fresh sessions with fixed keys per input:
 *   - the input unprotected as SRTP and as SRTCP (a copy): never a crash, and
 *     a refused packet is left as it came, an accepted one only shrinks;
 *   - round trips through srtp_out: the input as an RTP payload, as an RTCP
 *     body, and (when it parses as an RTP header) as a whole RTP packet must
 *     come back byte-equal; the same packet again is a replay; one flipped bit
 *     anywhere (position taken from the input) is refused without moving the
 *     receive state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/srtp_common.h"
#include "sabaq/error.h"
#include "sabaq/srtp_session.h"

enum { MAX_PKT = 1500, CAP = MAX_PKT + SRTP_MAX_TRAILER };

static struct srtp_keys fixed_keys(enum srtp_profile p)
{
    struct srtp_keys k = {.profile = p, .key_len = 16};
    k.salt_len = p == SRTP_PROFILE_AEAD_AES_128_GCM ? 12 : 14;
    for (int i = 0; i < 16; i++)
        k.local_key[i] = k.remote_key[i] = (uint8_t)(0x5a ^ (i * 29));
    for (int i = 0; i < k.salt_len; i++)
        k.local_salt[i] = k.remote_salt[i] = (uint8_t)(0x33 + i * 7);
    return k;
}

static void unprotect_raw(struct srtp_in *in, const uint8_t *d, size_t n, int is_rtcp)
{
    uint8_t buf[CAP];
    if (n > sizeof buf)
        n = sizeof buf;
    memcpy(buf, d, n);
    size_t len = n;
    int err = is_rtcp ? srtp_in_unprotect_rtcp(in, buf, &len) : srtp_in_unprotect_rtp(in, buf, &len);
    if (err == 0 && len >= n)
        abort();
    if (err != 0 && (len != n || memcmp(buf, d, n) != 0))
        abort();
}

static int unprotect(struct srtp_in *in, uint8_t *pkt, size_t *len, int is_rtcp)
{
    return is_rtcp ? srtp_in_unprotect_rtcp(in, pkt, len) : srtp_in_unprotect_rtp(in, pkt, len);
}

/* pkt (len bytes, protected from plain) must be refused with one bit flipped
 * at `at`, unchanged, then accepted once and equal to plain, then refused as a
 * replay. */
static void check_sealed(struct srtp_in *in, uint8_t *pkt, size_t len, const uint8_t *plain,
                         size_t plain_len, size_t at, int is_rtcp)
{
    uint8_t keep[CAP];
    size_t n = len;
    at %= len;
    pkt[at] ^= (uint8_t)(1u << (at % 8));
    memcpy(keep, pkt, len);
    if (unprotect(in, pkt, &n, is_rtcp) == 0 || n != len || memcmp(keep, pkt, len) != 0)
        abort();
    pkt[at] ^= (uint8_t)(1u << (at % 8));
    memcpy(keep, pkt, len);
    if (unprotect(in, pkt, &n, is_rtcp) != 0 || n != plain_len || memcmp(pkt, plain, n) != 0)
        abort();
    n = len;
    if (unprotect(in, keep, &n, is_rtcp) != -SQ_EREPLAY)
        abort();
}

static void round_trip_payload(struct srtp_out *out, struct srtp_in *in, const uint8_t *d,
                               size_t n)
{
    uint8_t plain[CAP], pkt[CAP];
    size_t len = 12 + (n > MAX_PKT - 12 ? MAX_PKT - 12 : n);
    static const uint8_t hdr[12] = {0x80, 0x60, 0x12, 0x34, 0, 0, 0, 1, 0xca, 0xfe, 0, 1};
    memcpy(plain, hdr, 12);
    if (n >= 2) { /* the sequence number from the input, so the ROC guess varies */
        plain[2] = d[0];
        plain[3] = d[1];
    }
    memcpy(plain + 12, d, len - 12);
    memcpy(pkt, plain, len);
    size_t plen = len;
    if (srtp_out_protect_rtp(out, pkt, &plen, sizeof pkt, 0) != 0)
        abort();
    check_sealed(in, pkt, plen, plain, len, n ? d[n - 1] * 7u + n : 0, 0);

    /* The input as the body of an RTCP packet from another SSRC. */
    len = 8 + (n > MAX_PKT - 8 ? MAX_PKT - 8 : n);
    static const uint8_t rtcp[8] = {0x80, 200, 0, 0, 0xbe, 0xef, 0, 2};
    memcpy(plain, rtcp, 8);
    memcpy(plain + 8, d, len - 8);
    memcpy(pkt, plain, len);
    plen = len;
    if (srtp_out_protect_rtcp(out, pkt, &plen, sizeof pkt) != 0)
        abort();
    check_sealed(in, pkt, plen, plain, len, n ? d[0] * 13u + n : 0, 1);
}

/* When the input is itself an RTP packet, protect it whole (its own CSRCs
 * and extensions stay in the clear) and get it back. */
static void round_trip_packet(struct srtp_out *out, struct srtp_in *in, const uint8_t *d,
                              size_t n)
{
    uint8_t pkt[CAP];
    size_t len = n;
    if (n > MAX_PKT || srtp_common_rtp_header_len(d, n) < 0)
        return;
    memcpy(pkt, d, n);
    /* ROC 0: what a receiver assumes for an SSRC it has not seen. */
    if (srtp_out_protect_rtp(out, pkt, &len, sizeof pkt, 0) != 0)
        abort();
    check_sealed(in, pkt, len, d, n, n * 31u, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum srtp_profile profiles[] = {SRTP_PROFILE_AES128_CM_SHA1_80,
                                                 SRTP_PROFILE_AEAD_AES_128_GCM};
    for (size_t p = 0; p < 2; p++) {
        struct srtp_keys k = fixed_keys(profiles[p]);
        /* One receiver per check, so an accepted raw input cannot make a
         * round trip a replay. */
        struct srtp_in *raw = srtp_in_new(&k), *in = srtp_in_new(&k), *whole = srtp_in_new(&k);
        struct srtp_out *out = srtp_out_new(&k);
        if (!raw || !in || !whole || !out)
            abort();
        unprotect_raw(raw, data, size, 0);
        unprotect_raw(raw, data, size, 1);
        round_trip_payload(out, in, data, size);
        round_trip_packet(out, whole, data, size);
        srtp_in_free(raw);
        srtp_in_free(in);
        srtp_in_free(whole);
        srtp_out_free(out);
    }
    return 0;
}
