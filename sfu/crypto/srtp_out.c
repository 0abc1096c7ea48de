/* Outbound SRTP/SRTCP written on OpenSSL, the fan-out's hot path:
 *   AES_CM_128_HMAC_SHA1_80  RFC 3711 sec. 3-4 (AES-128-CTR, HMAC-SHA1 tag of 80 bits)
 *   AEAD_AES_128_GCM         RFC 7714 sec. 8-9 (16-byte tag)
 * Keys come from the RFC 3711 KDF in srtp_common.c. Every cipher context is
 * keyed once in srtp_out_new and only re-IV'd per packet; the HMAC starts from
 * SHA-1 states kept after the padded key (srtp_common_hmac), so a packet costs
 * no allocation. srtp_in.c is the mirror image.
 * Equal to libsrtp2 byte for byte (tests/unit/crypto/test_srtp.c). */

#include "crypto/srtp_common.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

struct srtp_out {
    enum srtp_profile profile;
    struct srtp_common_ctx rtp;  /* owns its cipher context */
    struct srtp_common_ctx rtcp; /* owns its cipher context */
    uint32_t rtcp_index;         /* of the last SRTCP packet; libsrtp's first is 1 */
};

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
    if (srtp_common_ctx_init(&s->rtp, profile, rtp, true) != 0 ||
        srtp_common_ctx_init(&s->rtcp, profile, rtcp, true) != 0) {
        srtp_out_free(s);
        return NULL;
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
    srtp_common_ctx_clear(&s->rtp);
    srtp_common_ctx_clear(&s->rtcp);
    OPENSSL_cleanse(s, sizeof *s);
    free(s);
}

void srtp_out_set_rtcp_index(struct srtp_out *s, uint32_t last) { s->rtcp_index = last; }

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

int srtp_out_protect_rtp(struct srtp_out *s, uint8_t *pkt, size_t *len, size_t cap, uint32_t roc)
{
    size_t n = *len;
    int hlen = srtp_common_rtp_header_len(pkt, n);
    if (hlen < 0 || n > (size_t)INT32_MAX)
        return -SQ_EMALFORMED;
    uint32_t ssrc = srtp_common_be32(pkt + 8);
    uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);

    if (s->profile == SRTP_PROFILE_AEAD_AES_128_GCM) {
        uint8_t iv[12];
        if (cap < n + SRTP_GCM_TAG_LEN)
            return -SQ_ENOSPACE;
        srtp_common_gcm_rtp_iv(iv, s->rtp.salt, ssrc, roc, seq);
        int err = gcm_seal(s->rtp.cipher, iv, pkt, (size_t)hlen, NULL, 0, pkt + hlen,
                           n - (size_t)hlen, pkt + n);
        if (err)
            return err;
        *len = n + SRTP_GCM_TAG_LEN;
        return 0;
    }

    uint8_t iv[16], roc_be[4];
    if (cap < n + SRTP_CM_TAG_LEN)
        return -SQ_ENOSPACE;
    srtp_common_cm_iv(iv, s->rtp.salt, ssrc, (uint64_t)roc << 16 | seq);
    int err = srtp_common_ctr(s->rtp.cipher, iv, pkt + hlen, n - (size_t)hlen);
    if (err)
        return err;
    /* RFC 3711 sec. 4.2: the tag covers the packet and the ROC. */
    srtp_common_put_be32(roc_be, roc);
    srtp_common_hmac_tag(&s->rtp.auth, pkt, n, roc_be, pkt + n);
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
    uint32_t index = s->rtcp_index + 1, ssrc = srtp_common_be32(pkt + 4);
    uint8_t e_index[4];
    srtp_common_put_be32(e_index, 0x80000000u | index); /* E: the payload is encrypted */

    int err;
    if (is_gcm) {
        uint8_t iv[12];
        srtp_common_gcm_rtcp_iv(iv, s->rtcp.salt, ssrc, index);
        /* RFC 7714 sec. 9.2: AAD = header || E|index; the index follows the tag. */
        err = gcm_seal(s->rtcp.cipher, iv, pkt, 8, e_index, 4, pkt + 8, n - 8, pkt + n);
        if (err)
            return err;
        memcpy(pkt + n + SRTP_GCM_TAG_LEN, e_index, 4);
    } else {
        uint8_t iv[16];
        srtp_common_cm_iv(iv, s->rtcp.salt, ssrc, index);
        err = srtp_common_ctr(s->rtcp.cipher, iv, pkt + 8, n - 8);
        if (err)
            return err;
        memcpy(pkt + n, e_index, 4);
        srtp_common_hmac_tag(&s->rtcp.auth, pkt, n + 4, NULL, pkt + n + 4);
    }
    s->rtcp_index = index;
    *len = n + trailer;
    return 0;
}
