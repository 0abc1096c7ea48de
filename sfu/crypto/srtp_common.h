/* Internals shared by srtp_in.c, srtp_out.c, srtp_ref.c, srtp_ref_in.c and
 * their tests: the RFC 3711 sec. 4.3 key derivation (also used for GCM, RFC
 * 7714 sec. 11), the per-direction cipher and HMAC contexts keyed once per
 * session, the IVs of RFC 3711 sec. 4.1.1 and RFC 7714 sec. 8.1 / 9.1, the
 * libsrtp2 glue, and the constructors that take session keys directly (the
 * RFC test vectors are given as session keys). */
#ifndef SABAQ_CRYPTO_SRTP_COMMON_H
#define SABAQ_CRYPTO_SRTP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libsrtp's SRTP_MAX_KEY_LEN (64, its own buffer size) clashes with ours (16):
 * keep whichever definition was there before, in either include order. */
#pragma push_macro("SRTP_MAX_KEY_LEN")
#undef SRTP_MAX_KEY_LEN
#include <srtp2/srtp.h>
#undef SRTP_MAX_KEY_LEN
#pragma pop_macro("SRTP_MAX_KEY_LEN")

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "sabaq/error.h"
#include "sabaq/srtp_session.h"

/* RFC 3711 sec. 4.3.2 key derivation labels. */
enum srtp_label {
    SRTP_LABEL_RTP_ENC = 0,
    SRTP_LABEL_RTP_AUTH = 1,
    SRTP_LABEL_RTP_SALT = 2,
    SRTP_LABEL_RTCP_ENC = 3,
    SRTP_LABEL_RTCP_AUTH = 4,
    SRTP_LABEL_RTCP_SALT = 5,
};

#define SRTP_AUTH_KEY_LEN 20 /* HMAC-SHA1 session key */
#define SRTP_CM_TAG_LEN 10
#define SRTP_GCM_TAG_LEN 16
#define SRTCP_INDEX_LEN 4
#define SRTCP_MAX_INDEX 0x7fffffffu

/* srtp_in keeps receive state for this many SSRCs per session (RTP and RTCP
 * each); a further SSRC gets -SQ_ELIMIT. */
#define SRTP_IN_MAX_SSRCS 32
/* Replay window of srtp_in, in packets (RTP) or SRTCP indexes; a power of 2
 * and a multiple of 64. libsrtp2's is 1024 too for RTP (128 for SRTCP). */
#define SRTP_IN_WINDOW 1024

/* Session keys for RTP or for RTCP of one direction. */
struct srtp_session_keys {
    uint8_t enc[SRTP_MAX_KEY_LEN];
    uint8_t auth[SRTP_AUTH_KEY_LEN]; /* unused by GCM */
    uint8_t salt[SRTP_MAX_SALT_LEN]; /* 14 (CM) or 12 (GCM) bytes used */
};

static inline void srtp_common_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t srtp_common_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline size_t srtp_common_tag_len(enum srtp_profile p)
{
    return p == SRTP_PROFILE_AEAD_AES_128_GCM ? SRTP_GCM_TAG_LEN : SRTP_CM_TAG_LEN;
}

/* Length of the RTP header (fixed part, CSRCs, extension), which SRTP leaves
 * in the clear; -SQ_EMALFORMED when the packet is not that long. */
static inline int srtp_common_rtp_header_len(const uint8_t *pkt, size_t len)
{
    if (len < 12 || (pkt[0] >> 6) != 2)
        return -SQ_EMALFORMED;
    size_t hlen = 12 + 4 * (size_t)(pkt[0] & 0x0f);
    if (pkt[0] & 0x10) {
        if (hlen + 4 > len)
            return -SQ_EMALFORMED;
        hlen += 4 + 4 * (size_t)((pkt[hlen + 2] << 8) | pkt[hlen + 3]);
    }
    return hlen <= len ? (int)hlen : -SQ_EMALFORMED;
}

/* True when keys names a supported profile with its key and salt lengths. */
bool srtp_common_keys_valid(const struct srtp_keys *keys);

/* AES-128 counter-mode keystream from a 16-byte initial counter. 0 or -SQ_ECRYPTO. */
int srtp_common_keystream(const uint8_t key[16], const uint8_t iv[16], uint8_t *out, size_t n);

/* RFC 3711 sec. 4.1.1 IV: (salt * 2^16) XOR (ssrc * 2^64) XOR (index * 2^16). */
void srtp_common_cm_iv(uint8_t iv[16], const uint8_t salt[14], uint32_t ssrc, uint64_t index);

/* RFC 7714 sec. 8.1: salt XOR (00 00 || SSRC || ROC || SEQ). */
void srtp_common_gcm_rtp_iv(uint8_t iv[12], const uint8_t salt[12], uint32_t ssrc, uint32_t roc,
                            uint16_t seq);
/* RFC 7714 sec. 9.1: salt XOR (00 00 || SSRC || 00 00 || 0 || SRTCP index). */
void srtp_common_gcm_rtcp_iv(uint8_t iv[12], const uint8_t salt[12], uint32_t ssrc,
                             uint32_t index);

/* HMAC-SHA1 keyed once: the SHA-1 states after the padded key, so a packet
 * costs two struct copies instead of a fetch, a context and two key blocks. */
struct srtp_common_hmac {
    SHA_CTX inner; /* after SHA1 of (key XOR ipad) */
    SHA_CTX outer; /* after SHA1 of (key XOR opad) */
};

void srtp_common_hmac_init(struct srtp_common_hmac *h, const uint8_t key[SRTP_AUTH_KEY_LEN]);
/* HMAC-SHA1(msg || trailer) truncated to 10 bytes into tag; trailer (4 bytes,
 * the ROC of RFC 3711 sec. 4.2) may be NULL. */
void srtp_common_hmac_tag(const struct srtp_common_hmac *h, const uint8_t *msg, size_t len,
                          const uint8_t trailer[4], uint8_t tag[SRTP_CM_TAG_LEN]);

/* What one direction needs for RTP, or for RTCP: a cipher context keyed with
 * the session key (only its IV changes per packet), the session salt, and the
 * HMAC states (CM only). */
struct srtp_common_ctx {
    EVP_CIPHER_CTX *cipher; /* owned: AES-128-CTR (CM) or AES-128-GCM */
    uint8_t salt[SRTP_MAX_SALT_LEN];
    struct srtp_common_hmac auth;
};

/* Keys c for profile p; a GCM context is made for sealing (is_sealing) or for
 * opening. 0 or -SQ_ECRYPTO; either way srtp_common_ctx_clear releases c. */
int srtp_common_ctx_init(struct srtp_common_ctx *c, enum srtp_profile p,
                         const struct srtp_session_keys *k, bool is_sealing);
void srtp_common_ctx_clear(struct srtp_common_ctx *c);

/* AES-CTR in place from a 16-byte IV with a keyed CM context. 0 or -SQ_ECRYPTO. */
int srtp_common_ctr(EVP_CIPHER_CTX *ctx, const uint8_t iv[16], uint8_t *buf, size_t len);

/* The AES-CM PRF with key_derivation_rate 0: n bytes for `label`. A 12-byte
 * (GCM) master salt is padded with zeros to 14, as libsrtp does. */
int srtp_common_kdf(const uint8_t key[16], const uint8_t *salt, size_t salt_len,
                    enum srtp_label label, uint8_t *out, size_t n);

/* Derives RTP and RTCP session keys from a master key and salt. 0 or -SQ_ECRYPTO. */
int srtp_common_derive(const uint8_t key[16], const uint8_t *salt, size_t salt_len,
                       struct srtp_session_keys *rtp, struct srtp_session_keys *rtcp);

/* A libsrtp2 session for one direction, keyed with key||salt, for every SSRC
 * (ssrc_any_inbound or ssrc_any_outbound). NULL on failure. */
srtp_t srtp_common_lib_create(enum srtp_profile profile, const uint8_t *key, const uint8_t *salt,
                              size_t salt_len, bool outbound);
/* libsrtp status -> 0 or -SQ_EAUTH / -SQ_EREPLAY / -SQ_EMALFORMED. */
int srtp_common_lib_error(srtp_err_status_t st);

/* srtp_out from session keys (no KDF): what the RFC 7714 vectors need. */
struct srtp_out *srtp_out_new_session(enum srtp_profile profile,
                                      const struct srtp_session_keys *rtp,
                                      const struct srtp_session_keys *rtcp);
/* The next SRTCP packet gets index last + 1 (RFC 7714 vectors start mid-session). */
void srtp_out_set_rtcp_index(struct srtp_out *s, uint32_t last);

/* srtp_in from session keys (no KDF), for the same vectors. */
struct srtp_in *srtp_in_new_session(enum srtp_profile profile,
                                    const struct srtp_session_keys *rtp,
                                    const struct srtp_session_keys *rtcp);

#endif
