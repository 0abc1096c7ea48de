/* What the SRTP files share: profile names, the RFC 3711 sec. 4.3 AES-CM key
 * derivation (RFC 7714 sec. 11 keeps it for GCM), the cipher and HMAC
 * contexts both directions key once per session, the IVs (RFC 3711 sec.
 * 4.1.1, RFC 7714 sec. 8.1 / 9.1), and the libsrtp2 set-up of the reference
 * sessions. The per-packet helpers here never allocate. */

/* The low-level SHA1_* calls are deprecated in OpenSSL 3.0 but are the only way
 * to copy a keyed HMAC state without an allocation or a provider round trip. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "crypto/srtp_common.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sabaq/error.h"

const char *srtp_profile_name(enum srtp_profile p)
{
    switch (p) {
    case SRTP_PROFILE_AES128_CM_SHA1_80: return "SRTP_AES128_CM_HMAC_SHA1_80";
    case SRTP_PROFILE_AEAD_AES_128_GCM: return "SRTP_AEAD_AES_128_GCM";
    }
    return "unknown";
}

bool srtp_common_keys_valid(const struct srtp_keys *keys)
{
    if (!keys || keys->key_len != 16)
        return false;
    switch (keys->profile) {
    case SRTP_PROFILE_AES128_CM_SHA1_80: return keys->salt_len == 14;
    case SRTP_PROFILE_AEAD_AES_128_GCM: return keys->salt_len == 12;
    }
    return false;
}

int srtp_common_keystream(const uint8_t key[16], const uint8_t iv[16], uint8_t *out, size_t n)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, key, iv) == 1;
    memset(out, 0, n);
    while (ok && n > 0) {
        int chunk = n > INT_MAX / 2 ? INT_MAX / 2 : (int)n, outl = 0;
        ok = EVP_EncryptUpdate(ctx, out, &outl, out, chunk) == 1 && outl == chunk;
        out += chunk;
        n -= (size_t)chunk;
    }
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -SQ_ECRYPTO;
}

void srtp_common_cm_iv(uint8_t iv[16], const uint8_t salt[14], uint32_t ssrc, uint64_t index)
{
    memcpy(iv, salt, 14);
    iv[14] = iv[15] = 0;
    for (int i = 0; i < 4; i++)
        iv[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
    for (int i = 0; i < 6; i++)
        iv[8 + i] ^= (uint8_t)(index >> (40 - 8 * i));
}

void srtp_common_gcm_rtp_iv(uint8_t iv[12], const uint8_t salt[12], uint32_t ssrc, uint32_t roc,
                            uint16_t seq)
{
    iv[0] = iv[1] = 0;
    srtp_common_put_be32(iv + 2, ssrc);
    srtp_common_put_be32(iv + 6, roc);
    iv[10] = (uint8_t)(seq >> 8);
    iv[11] = (uint8_t)seq;
    for (int i = 0; i < 12; i++)
        iv[i] ^= salt[i];
}

void srtp_common_gcm_rtcp_iv(uint8_t iv[12], const uint8_t salt[12], uint32_t ssrc,
                             uint32_t index)
{
    iv[0] = iv[1] = iv[6] = iv[7] = 0;
    srtp_common_put_be32(iv + 2, ssrc);
    srtp_common_put_be32(iv + 8, index);
    for (int i = 0; i < 12; i++)
        iv[i] ^= salt[i];
}

void srtp_common_hmac_init(struct srtp_common_hmac *h, const uint8_t key[SRTP_AUTH_KEY_LEN])
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

void srtp_common_hmac_tag(const struct srtp_common_hmac *h, const uint8_t *msg, size_t len,
                          const uint8_t trailer[4], uint8_t tag[SRTP_CM_TAG_LEN])
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

int srtp_common_ctx_init(struct srtp_common_ctx *c, enum srtp_profile p,
                         const struct srtp_session_keys *k, bool is_sealing)
{
    bool is_gcm = p == SRTP_PROFILE_AEAD_AES_128_GCM;
    memset(c, 0, sizeof *c);
    c->cipher = EVP_CIPHER_CTX_new();
    /* CTR is its own inverse: a CM context always runs "encrypt". */
    if (!c->cipher ||
        EVP_CipherInit_ex(c->cipher, is_gcm ? EVP_aes_128_gcm() : EVP_aes_128_ctr(), NULL, k->enc,
                          NULL, is_gcm ? is_sealing : 1) != 1)
        return -SQ_ECRYPTO;
    memcpy(c->salt, k->salt, sizeof c->salt);
    if (!is_gcm)
        srtp_common_hmac_init(&c->auth, k->auth);
    return 0;
}

void srtp_common_ctx_clear(struct srtp_common_ctx *c)
{
    EVP_CIPHER_CTX_free(c->cipher);
    OPENSSL_cleanse(c, sizeof *c);
}

int srtp_common_ctr(EVP_CIPHER_CTX *ctx, const uint8_t iv[16], uint8_t *buf, size_t len)
{
    int outl = 0;
    if (len > INT_MAX || EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1)
        return -SQ_ECRYPTO;
    if (len > 0 && EVP_EncryptUpdate(ctx, buf, &outl, buf, (int)len) != 1)
        return -SQ_ECRYPTO;
    return 0;
}

int srtp_common_kdf(const uint8_t key[16], const uint8_t *salt, size_t salt_len,
                    enum srtp_label label, uint8_t *out, size_t n)
{
    uint8_t x[14] = {0}, iv[16];
    if (salt_len > sizeof x)
        return -SQ_EINVAL;
    memcpy(x, salt, salt_len);
    /* key_id = label || r with r = 0 (KDR 0): the label lands in octet 7. */
    x[7] ^= (uint8_t)label;
    srtp_common_cm_iv(iv, x, 0, 0);
    int err = srtp_common_keystream(key, iv, out, n);
    OPENSSL_cleanse(x, sizeof x);
    return err;
}

int srtp_common_derive(const uint8_t key[16], const uint8_t *salt, size_t salt_len,
                       struct srtp_session_keys *rtp, struct srtp_session_keys *rtcp)
{
    memset(rtp, 0, sizeof *rtp);
    memset(rtcp, 0, sizeof *rtcp);
    if (srtp_common_kdf(key, salt, salt_len, SRTP_LABEL_RTP_ENC, rtp->enc, 16) ||
        srtp_common_kdf(key, salt, salt_len, SRTP_LABEL_RTP_AUTH, rtp->auth,
                        SRTP_AUTH_KEY_LEN) ||
        srtp_common_kdf(key, salt, salt_len, SRTP_LABEL_RTP_SALT, rtp->salt, salt_len) ||
        srtp_common_kdf(key, salt, salt_len, SRTP_LABEL_RTCP_ENC, rtcp->enc, 16) ||
        srtp_common_kdf(key, salt, salt_len, SRTP_LABEL_RTCP_AUTH, rtcp->auth,
                        SRTP_AUTH_KEY_LEN) ||
        srtp_common_kdf(key, salt, salt_len, SRTP_LABEL_RTCP_SALT, rtcp->salt, salt_len))
        return -SQ_ECRYPTO;
    return 0;
}

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t lib_status = srtp_err_status_init_fail;

static void lib_init_once(void) { lib_status = srtp_init(); }

int srtp_library_init(void)
{
    pthread_once(&lib_once, lib_init_once);
    return lib_status == srtp_err_status_ok ? 0 : -SQ_ECRYPTO;
}

srtp_t srtp_common_lib_create(enum srtp_profile profile, const uint8_t *key, const uint8_t *salt,
                              size_t salt_len, bool outbound)
{
    uint8_t master[16 + SRTP_MAX_SALT_LEN];
    srtp_policy_t policy;
    srtp_t session = NULL;

    if (srtp_library_init() != 0 || salt_len > SRTP_MAX_SALT_LEN)
        return NULL;
    memset(&policy, 0, sizeof policy);
    if (profile == SRTP_PROFILE_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
    } else {
        srtp_crypto_policy_set_rtp_default(&policy.rtp);
        srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
    }
    memcpy(master, key, 16);
    memcpy(master + 16, salt, salt_len);
    policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    policy.key = master;
    policy.window_size = 1024;
    /* The sender may protect a retransmission again (as srtp_out can); the
     * receiver must refuse a repeated index. */
    policy.allow_repeat_tx = outbound ? 1 : 0;
    if (srtp_create(&session, &policy) != srtp_err_status_ok)
        session = NULL;
    OPENSSL_cleanse(master, sizeof master);
    return session;
}

int srtp_common_lib_error(srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok: return 0;
    case srtp_err_status_auth_fail: return -SQ_EAUTH;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old: return -SQ_EREPLAY;
    default: return -SQ_EMALFORMED;
    }
}
