/* Inbound SRTP/SRTCP written on OpenSSL, the receive side of every transport:
 *   AES_CM_128_HMAC_SHA1_80  RFC 3711 sec. 3-4 (HMAC-SHA1 tag checked, then AES-128-CTR)
 *   AEAD_AES_128_GCM         RFC 7714 sec. 8-9 (16-byte tag)
 * srtp_out.c's mirror image on the same srtp_common contexts, keyed once in
 * srtp_in_new: no allocation, lock or log per packet.
 * Receive state lives in two fixed tables (RTP, SRTCP) of SRTP_IN_MAX_SSRCS
 * SSRCs each: the highest authenticated index and a ring bitmap of the last
 * SRTP_IN_WINDOW indexes. The RTP index (ROC || SEQ) is estimated as in RFC 3711
 * sec. 3.3.1 and appendix A. A packet changes the state only once it has
 * authenticated, so forged packets can neither take a table entry, move the
 * ROC, nor mark an index as seen. Equal to libsrtp2 in what it accepts
 * (tests/unit/crypto/test_srtp_in.c). */
#include "crypto/srtp_common.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define WINDOW_WORDS (SRTP_IN_WINDOW / 64)
#define MAX_RTP_INDEX ((UINT64_C(1) << 48) - 1)

/* Replay state of one SSRC. Bit (i % SRTP_IN_WINDOW) says whether index i,
 * top - SRTP_IN_WINDOW < i <= top, has been received. */
struct replay {
    uint64_t top; /* highest authenticated index */
    uint64_t seen[WINDOW_WORDS];
};

/* SSRCs apart from their state, so the linear search reads two cache lines. */
struct stream_table {
    uint32_t ssrc[SRTP_IN_MAX_SSRCS];
    unsigned n;
    uint64_t tick;                        /* counts accepted packets */
    uint64_t last_used[SRTP_IN_MAX_SSRCS]; /* tick of each entry's last packet */
    struct replay replay[SRTP_IN_MAX_SSRCS];
};

struct srtp_in {
    enum srtp_profile profile;
    size_t tag_len;
    struct srtp_common_ctx rtp;  /* owns its cipher context */
    struct srtp_common_ctx rtcp; /* owns its cipher context */
    struct stream_table rtp_streams;
    struct stream_table rtcp_streams; /* by the SRTCP sender SSRC */
};

struct srtp_in *srtp_in_new_session(enum srtp_profile profile,
                                    const struct srtp_session_keys *rtp,
                                    const struct srtp_session_keys *rtcp)
{
    if (profile != SRTP_PROFILE_AES128_CM_SHA1_80 && profile != SRTP_PROFILE_AEAD_AES_128_GCM)
        return NULL;
    struct srtp_in *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->profile = profile;
    s->tag_len = srtp_common_tag_len(profile);
    if (srtp_common_ctx_init(&s->rtp, profile, rtp, false) != 0 ||
        srtp_common_ctx_init(&s->rtcp, profile, rtcp, false) != 0) {
        srtp_in_free(s);
        return NULL;
    }
    return s;
}

struct srtp_in *srtp_in_new(const struct srtp_keys *keys)
{
    struct srtp_session_keys rtp, rtcp;
    struct srtp_in *s = NULL;
    if (!srtp_common_keys_valid(keys))
        return NULL;
    if (srtp_common_derive(keys->remote_key, keys->remote_salt, keys->salt_len, &rtp, &rtcp) == 0)
        s = srtp_in_new_session(keys->profile, &rtp, &rtcp);
    OPENSSL_cleanse(&rtp, sizeof rtp);
    OPENSSL_cleanse(&rtcp, sizeof rtcp);
    return s;
}

void srtp_in_free(struct srtp_in *s)
{
    if (!s)
        return;
    srtp_common_ctx_clear(&s->rtp);
    srtp_common_ctx_clear(&s->rtcp);
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
}

static struct replay *table_find(struct stream_table *t, uint32_t ssrc)
{
    for (unsigned i = 0; i < t->n; i++)
        if (t->ssrc[i] == ssrc)
            return &t->replay[i];
    return NULL;
}

/* 0 when index may be accepted, -SQ_EREPLAY when it was seen or is too old. */
static int replay_check(const struct replay *r, uint64_t index)
{
    if (index > r->top)
        return 0;
    if (r->top - index >= SRTP_IN_WINDOW)
        return -SQ_EREPLAY;
    uint64_t bit = index % SRTP_IN_WINDOW;
    return r->seen[bit / 64] >> (bit % 64) & 1 ? -SQ_EREPLAY : 0;
}

/* Marks index seen; moving top forward forgets what falls out of the window. */
static void replay_add(struct replay *r, uint64_t index)
{
    if (index > r->top) {
        if (index - r->top >= SRTP_IN_WINDOW) {
            memset(r->seen, 0, sizeof r->seen);
        } else {
            for (uint64_t i = r->top + 1; i <= index;) {
                uint64_t bit = i % SRTP_IN_WINDOW;
                if (bit % 64 == 0 && index - i >= 63) {
                    r->seen[bit / 64] = 0;
                    i += 64;
                } else {
                    r->seen[bit / 64] &= ~(UINT64_C(1) << (bit % 64));
                    i++;
                }
            }
        }
        r->top = index;
    }
    uint64_t bit = index % SRTP_IN_WINDOW;
    r->seen[bit / 64] |= UINT64_C(1) << (bit % 64);
}

/* After authentication: an SSRC seen for the first time takes an entry (the
 * caller has checked that one is free). */
/* A full table forgets its least recently used SSRC: a browser makes new
 * SSRCs each time a camera is switched off and on, and a two-hour lesson must
 * not run out of entries. A forgotten SSRC's old packets would authenticate
 * again, but nothing routes an SSRC that has been silent that long. */
static void table_accept(struct stream_table *t, struct replay *r, uint32_t ssrc, uint64_t index)
{
    if (!r) {
        unsigned slot = t->n;
        if (slot < SRTP_IN_MAX_SSRCS) {
            t->n++;
        } else {
            slot = 0;
            for (unsigned i = 1; i < SRTP_IN_MAX_SSRCS; i++)
                if (t->last_used[i] < t->last_used[slot])
                    slot = i;
        }
        t->ssrc[slot] = ssrc;
        r = &t->replay[slot];
        memset(r, 0, sizeof *r);
        r->top = index;
    }
    t->last_used[r - t->replay] = ++t->tick;
    replay_add(r, index);
}

/* RFC 3711 appendix A: the ROC that puts seq closest to the highest index so
 * far. Before the first wrap there is no ROC - 1: libsrtp2 then takes ROC 0,
 * i.e. a packet far ahead, and so does this. */
static uint64_t estimate_index(uint64_t top, uint16_t seq)
{
    uint64_t roc = top >> 16;
    uint16_t s_l = (uint16_t)top;
    if (s_l < 32768) {
        if (seq - s_l > 32768 && roc > 0)
            roc--;
    } else if (s_l - 32768 > seq) {
        roc++;
    }
    return roc << 16 | seq;
}

/* AES-GCM open in place: aad1||aad2 and buf authenticated against tag, buf
 * decrypted. On a bad tag the keystream is applied again, which restores the
 * ciphertext: a rejected packet leaves the buffer as it came. */
static int gcm_open(EVP_CIPHER_CTX *ctx, const uint8_t iv[12], const uint8_t *aad1,
                    size_t aad1_len, const uint8_t *aad2, size_t aad2_len, uint8_t *buf,
                    size_t len, uint8_t tag[SRTP_GCM_TAG_LEN])
{
    int outl = 0, fin = 0;
    if (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &outl, aad1, (int)aad1_len) != 1 ||
        (aad2 && EVP_DecryptUpdate(ctx, NULL, &outl, aad2, (int)aad2_len) != 1) ||
        (len > 0 && EVP_DecryptUpdate(ctx, buf, &outl, buf, (int)len) != 1) ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SRTP_GCM_TAG_LEN, tag) != 1)
        return -SQ_ECRYPTO;
    if (EVP_DecryptFinal_ex(ctx, buf + len, &fin) == 1)
        return 0;
    if (len > 0 && (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1 ||
                    EVP_DecryptUpdate(ctx, buf, &outl, buf, (int)len) != 1))
        return -SQ_ECRYPTO;
    return -SQ_EAUTH;
}

/* pkt[0, n) is header and payload, the tag follows; hlen is the header's length. */
static int open_rtp(struct srtp_in *s, uint8_t *pkt, size_t n, size_t hlen, uint64_t index)
{
    uint32_t ssrc = srtp_common_be32(pkt + 8), roc = (uint32_t)(index >> 16);
    if (s->profile == SRTP_PROFILE_AEAD_AES_128_GCM) {
        uint8_t iv[12];
        srtp_common_gcm_rtp_iv(iv, s->rtp.salt, ssrc, roc, (uint16_t)index);
        return gcm_open(s->rtp.cipher, iv, pkt, hlen, NULL, 0, pkt + hlen, n - hlen, pkt + n);
    }
    /* RFC 3711 sec. 4.2: the tag covers the packet and the ROC; it is checked
     * before anything is decrypted. */
    uint8_t roc_be[4], tag[SRTP_CM_TAG_LEN], iv[16];
    srtp_common_put_be32(roc_be, roc);
    srtp_common_hmac_tag(&s->rtp.auth, pkt, n, roc_be, tag);
    if (CRYPTO_memcmp(tag, pkt + n, SRTP_CM_TAG_LEN) != 0)
        return -SQ_EAUTH;
    srtp_common_cm_iv(iv, s->rtp.salt, ssrc, index);
    return srtp_common_ctr(s->rtp.cipher, iv, pkt + hlen, n - hlen);
}

int srtp_in_unprotect_rtp(struct srtp_in *s, uint8_t *pkt, size_t *len)
{
    if (*len < 12 + s->tag_len || *len > (size_t)INT32_MAX)
        return -SQ_EMALFORMED;
    size_t n = *len - s->tag_len;
    int hlen = srtp_common_rtp_header_len(pkt, n);
    if (hlen < 0)
        return hlen;
    uint32_t ssrc = srtp_common_be32(pkt + 8);
    uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);

    struct replay *r = table_find(&s->rtp_streams, ssrc);
    uint64_t index = seq; /* a new SSRC starts with ROC 0 (RFC 3711 sec. 3.3.1) */
    if (r) {
        index = estimate_index(r->top, seq);
        if (index > MAX_RTP_INDEX)
            return -SQ_ELIMIT; /* 2^48 packets: the keys must be renewed */
        int err = replay_check(r, index);
        if (err)
            return err;
    }
    int err = open_rtp(s, pkt, n, (size_t)hlen, index);
    if (err)
        return err;
    table_accept(&s->rtp_streams, r, ssrc, index);
    *len = n;
    return 0;
}

/* SRTCP trailer, RFC 3711 sec. 3.4: CM  ... | E+index | tag(10)
 *                     RFC 7714 sec. 9.2: GCM ... | tag(16) | E+index
 * body is the RTCP packet's length, e_index the 4 bytes of E and the index. */
static int open_rtcp(struct srtp_in *s, uint8_t *pkt, size_t body, uint8_t *e_index)
{
    uint32_t ssrc = srtp_common_be32(pkt + 4), word = srtp_common_be32(e_index);
    uint32_t index = word & SRTCP_MAX_INDEX;
    bool is_encrypted = word >> 31;
    if (s->profile == SRTP_PROFILE_AEAD_AES_128_GCM) {
        uint8_t iv[12];
        srtp_common_gcm_rtcp_iv(iv, s->rtcp.salt, ssrc, index);
        /* RFC 7714 sec. 9.3: without E the whole packet is associated data. */
        size_t aad = is_encrypted ? 8 : body;
        return gcm_open(s->rtcp.cipher, iv, pkt, aad, e_index, 4, pkt + aad, body - aad,
                        pkt + body);
    }
    uint8_t tag[SRTP_CM_TAG_LEN], iv[16];
    srtp_common_hmac_tag(&s->rtcp.auth, pkt, body + SRTCP_INDEX_LEN, NULL, tag);
    if (CRYPTO_memcmp(tag, pkt + body + SRTCP_INDEX_LEN, SRTP_CM_TAG_LEN) != 0)
        return -SQ_EAUTH;
    if (!is_encrypted)
        return 0;
    srtp_common_cm_iv(iv, s->rtcp.salt, ssrc, index);
    return srtp_common_ctr(s->rtcp.cipher, iv, pkt + 8, body - 8);
}

int srtp_in_unprotect_rtcp(struct srtp_in *s, uint8_t *pkt, size_t *len)
{
    size_t trailer = SRTCP_INDEX_LEN + s->tag_len;
    if (*len < 8 + trailer || *len > (size_t)INT32_MAX || (pkt[0] >> 6) != 2)
        return -SQ_EMALFORMED;
    size_t body = *len - trailer;
    uint8_t *e_index = s->profile == SRTP_PROFILE_AEAD_AES_128_GCM ? pkt + *len - 4 : pkt + body;
    uint32_t ssrc = srtp_common_be32(pkt + 4);
    uint32_t index = srtp_common_be32(e_index) & SRTCP_MAX_INDEX;

    struct replay *r = table_find(&s->rtcp_streams, ssrc);
    if (r) {
        int err = replay_check(r, index);
        if (err)
            return err;
    }
    int err = open_rtcp(s, pkt, body, e_index);
    if (err)
        return err;
    table_accept(&s->rtcp_streams, r, ssrc, index);
    *len = body;
    return 0;
}
