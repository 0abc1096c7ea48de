/* Outbound SRTP/SRTCP written on OpenSSL, the fan-out's hot path:
 *   AES_CM_128_HMAC_SHA1_80  RFC 3711 sec. 3-4 (AES-128-CTR, HMAC-SHA1 tag of 80 bits)
 *   AEAD_AES_128_GCM         RFC 7714 sec. 8-9 (16-byte tag)
 * Keys come from the RFC 3711 KDF in srtp_common.c. Every cipher context is
 * keyed once in srtp_out_new and only re-IV'd per packet; the HMAC's inner and
 * outer SHA-1 states after the padded key are kept, so a packet costs two
 * struct copies instead of a fetch, a context and two key blocks.
 * Equal to libsrtp2 byte for byte (tests/unit/crypto/test_srtp.c). */

/* The low-level SHA1_* calls are deprecated in OpenSSL 3.0 but are the only way
 * to copy a keyed HMAC state without an allocation or a provider round trip. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "crypto/srtp_common.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

struct hmac_state {
    SHA_CTX inner; /* after SHA1 of (key XOR ipad) */
    SHA_CTX outer; /* after SHA1 of (key XOR opad) */
};

struct srtp_out {
    enum srtp_profile profile;
    EVP_CIPHER_CTX *rtp_cipher;  /* owned, keyed with the RTP session key */
    EVP_CIPHER_CTX *rtcp_cipher; /* owned, keyed with the RTCP session key */
    uint8_t rtp_salt[SRTP_MAX_SALT_LEN];
    uint8_t rtcp_salt[SRTP_MAX_SALT_LEN];
    struct hmac_state rtp_auth;  /* CM only */
    struct hmac_state rtcp_auth; /* CM only */
    uint32_t rtcp_index;         /* of the last SRTCP packet; libsrtp's first is 1 */
};

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void hmac_init(struct hmac_state *h, const uint8_t key[SRTP_AUTH_KEY_LEN])
{
    uint8_t block[SHA_CBLOCK];
    memset(block, 0x36, sizeof block);
    for (int i = 0; i < SRTP_AUTH_KEY_LEN; i++)
        block[i] ^= key[i];
    SHA1_Init(&h->inner);
    SHA1_Update(&h->inner, block, sizeof block);
    memset(block, 0x5c, sizeof block);
    for (int i = 0; i < SRTP_AUTH_KEY_LEN; i++)
        block[i] ^= key[i];
    SHA1_Init(&h->outer);
    SHA1_Update(&h->outer, block, sizeof block);
    OPENSSL_cleanse(block, sizeof block);
}

/* HMAC-SHA1(msg || trailer) truncated to 10 bytes, written to tag. */
static void hmac_tag(const struct hmac_state *h, const uint8_t *msg, size_t len,
                     const uint8_t trailer[4], uint8_t *tag)
{
    uint8_t md[SHA_DIGEST_LENGTH];
    SHA_CTX c = h->inner;
    SHA1_Update(&c, msg, len);
    if (trailer)
        SHA1_Update(&c, trailer, 4);
    SHA1_Final(md, &c);
    c = h->outer;
    SHA1_Update(&c, md, sizeof md);
    SHA1_Final(md, &c);
    memcpy(tag, md, SRTP_CM_TAG_LEN);
}

static EVP_CIPHER_CTX *cipher_new(enum srtp_profile profile, const uint8_t key[16])
{
    const EVP_CIPHER *alg = profile == SRTP_PROFILE_AEAD_AES_128_GCM ? EVP_aes_128_gcm()
                                                                       : EVP_aes_128_ctr();
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (ctx && EVP_EncryptInit_ex(ctx, alg, NULL, key, NULL) == 1)
        return ctx;
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
}

struct srtp_out *srtp_out_new_session(enum srtp_profile profile,
                                      const struct srtp_session_keys *rtp,
                                      const struct srtp_session_keys *rtcp)
{
    if (profile != SRTP_PROFILE_AES128_CM_SHA1_80 && profile != SRTP_PROFILE_AEAD_AES_128_GCM)
        return NULL;
    struct srtp_out *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->profile = profile;
    s->rtp_cipher = cipher_new(profile, rtp->enc);
    s->rtcp_cipher = cipher_new(profile, rtcp->enc);
    if (!s->rtp_cipher || !s->rtcp_cipher) {
        srtp_out_free(s);
        return NULL;
    }
    memcpy(s->rtp_salt, rtp->salt, sizeof s->rtp_salt);
    memcpy(s->rtcp_salt, rtcp->salt, sizeof s->rtcp_salt);
    if (profile == SRTP_PROFILE_AES128_CM_SHA1_80) {
        hmac_init(&s->rtp_auth, rtp->auth);
        hmac_init(&s->rtcp_auth, rtcp->auth);
    }
    return s;
}

struct srtp_out *srtp_out_new(const struct srtp_keys *keys)
{
    struct srtp_session_keys rtp, rtcp;
    struct srtp_out *s = NULL;
    if (!srtp_common_keys_valid(keys))
        return NULL;
    if (srtp_common_derive(keys->local_key, keys->local_salt, keys->salt_len, &rtp, &rtcp) == 0)
        s = srtp_out_new_session(keys->profile, &rtp, &rtcp);
    OPENSSL_cleanse(&rtp, sizeof rtp);
    OPENSSL_cleanse(&rtcp, sizeof rtcp);
    return s;
}

void srtp_out_free(struct srtp_out *s)
{
    if (!s)
        return;
    EVP_CIPHER_CTX_free(s->rtp_cipher);
    EVP_CIPHER_CTX_free(s->rtcp_cipher);
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
}

void srtp_out_set_rtcp_index(struct srtp_out *s, uint32_t last) { s->rtcp_index = last; }

/* AES-CTR in place from a 16-byte IV; the context keeps its key. */
static int ctr_crypt(EVP_CIPHER_CTX *ctx, const uint8_t iv[16], uint8_t *buf, size_t len)
{
    int outl = 0;
    if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1)
        return -SQ_ECRYPTO;
    if (len > 0 && EVP_EncryptUpdate(ctx, buf, &outl, buf, (int)len) != 1)
        return -SQ_ECRYPTO;
    return 0;
}

/* AES-GCM in place: aad1||aad2 authenticated, buf encrypted, tag written. */
static int gcm_seal(EVP_CIPHER_CTX *ctx, const uint8_t iv[12], const uint8_t *aad1,
                    size_t aad1_len, const uint8_t *aad2, size_t aad2_len, uint8_t *buf,
                    size_t len, uint8_t tag[SRTP_GCM_TAG_LEN])
{
    int outl = 0, fin = 0;
    if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(ctx, NULL, &outl, aad1, (int)aad1_len) != 1 ||
        (aad2 && EVP_EncryptUpdate(ctx, NULL, &outl, aad2, (int)aad2_len) != 1))
        return -SQ_ECRYPTO;
    outl = 0;
    if (len > 0 && EVP_EncryptUpdate(ctx, buf, &outl, buf, (int)len) != 1)
        return -SQ_ECRYPTO;
    if (EVP_EncryptFinal_ex(ctx, buf + outl, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SRTP_GCM_TAG_LEN, tag) != 1)
        return -SQ_ECRYPTO;
    return 0;
}

/* RFC 7714 sec. 8.1 / 9.1: salt XOR (00 00 || SSRC || word || low), word being
 * the ROC (RTP) or zero (RTCP), low the sequence number or the SRTCP index. */
static void gcm_iv(uint8_t iv[12], const uint8_t salt[12], uint32_t ssrc, uint32_t word,
                   uint32_t low, int low_len)
{
    memset(iv, 0, 12);
    put_be32(iv + 2, ssrc);
    if (low_len == 2) {
        put_be32(iv + 6, word);
        iv[10] = (uint8_t)(low >> 8);
        iv[11] = (uint8_t)low;
    } else {
        put_be32(iv + 8, low);
    }
    for (int i = 0; i < 12; i++)
        iv[i] ^= salt[i];
}

int srtp_out_protect_rtp(struct srtp_out *s, uint8_t *pkt, size_t *len, size_t cap, uint32_t roc)
{
    size_t n = *len;
    int hlen = srtp_common_rtp_header_len(pkt, n);
    if (hlen < 0 || n > (size_t)INT32_MAX)
        return -SQ_EMALFORMED;
    uint32_t ssrc = get_be32(pkt + 8);
    uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);

    if (s->profile == SRTP_PROFILE_AEAD_AES_128_GCM) {
        uint8_t iv[12];
        if (cap < n + SRTP_GCM_TAG_LEN)
            return -SQ_ENOSPACE;
        gcm_iv(iv, s->rtp_salt, ssrc, roc, seq, 2);
        int err = gcm_seal(s->rtp_cipher, iv, pkt, (size_t)hlen, NULL, 0, pkt + hlen,
                           n - (size_t)hlen, pkt + n);
        if (err)
            return err;
        *len = n + SRTP_GCM_TAG_LEN;
        return 0;
    }

    uint8_t iv[16], roc_be[4];
    if (cap < n + SRTP_CM_TAG_LEN)
        return -SQ_ENOSPACE;
    srtp_common_cm_iv(iv, s->rtp_salt, ssrc, (uint64_t)roc << 16 | seq);
    int err = ctr_crypt(s->rtp_cipher, iv, pkt + hlen, n - (size_t)hlen);
    if (err)
        return err;
    /* RFC 3711 sec. 4.2: the tag covers the packet and the ROC. */
    put_be32(roc_be, roc);
    hmac_tag(&s->rtp_auth, pkt, n, roc_be, pkt + n);
    *len = n + SRTP_CM_TAG_LEN;
    return 0;
}

int srtp_out_protect_rtcp(struct srtp_out *s, uint8_t *pkt, size_t *len, size_t cap)
{
    size_t n = *len;
    bool is_gcm = s->profile == SRTP_PROFILE_AEAD_AES_128_GCM;
    size_t trailer = SRTCP_INDEX_LEN + (is_gcm ? SRTP_GCM_TAG_LEN : SRTP_CM_TAG_LEN);
    if (n < 8 || (pkt[0] >> 6) != 2 || n > (size_t)INT32_MAX)
        return -SQ_EMALFORMED;
    if (cap < n + trailer)
        return -SQ_ENOSPACE;
    if (s->rtcp_index >= SRTCP_MAX_INDEX)
        return -SQ_ELIMIT; /* 2^31 packets: the keys must be renewed */
    uint32_t index = s->rtcp_index + 1, ssrc = get_be32(pkt + 4);
    uint8_t e_index[4];
    put_be32(e_index, 0x80000000u | index); /* E: the payload is encrypted */

    int err;
    if (is_gcm) {
        uint8_t iv[12];
        gcm_iv(iv, s->rtcp_salt, ssrc, 0, index, 4);
        /* RFC 7714 sec. 9.2: AAD = header || E|index; the index follows the tag. */
        err = gcm_seal(s->rtcp_cipher, iv, pkt, 8, e_index, 4, pkt + 8, n - 8, pkt + n);
        if (err)
            return err;
        memcpy(pkt + n + SRTP_GCM_TAG_LEN, e_index, 4);
    } else {
        uint8_t iv[16];
        srtp_common_cm_iv(iv, s->rtcp_salt, ssrc, index);
        err = ctr_crypt(s->rtcp_cipher, iv, pkt + 8, n - 8);
        if (err)
            return err;
        memcpy(pkt + n, e_index, 4);
        hmac_tag(&s->rtcp_auth, pkt, n + 4, NULL, pkt + n + 4);
    }
    s->rtcp_index = index;
    *len = n + trailer;
    return 0;
}
