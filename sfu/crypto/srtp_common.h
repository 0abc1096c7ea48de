/* Internals shared by srtp_in.c, srtp_out.c, srtp_ref.c and their tests: the
 * RFC 3711 sec. 4.3 key derivation (also used for GCM, RFC 7714 sec. 11), the
 * libsrtp2 glue, and the packet-layer constructor of srtp_out that takes
 * session keys directly (the RFC test vectors are given as session keys). */
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

/* Session keys for RTP or for RTCP of one direction. */
struct srtp_session_keys {
    uint8_t enc[SRTP_MAX_KEY_LEN];
    uint8_t auth[SRTP_AUTH_KEY_LEN]; /* unused by GCM */
    uint8_t salt[SRTP_MAX_SALT_LEN]; /* 14 (CM) or 12 (GCM) bytes used */
};

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

#endif
