/* SRTP/SRTCP (RFC 3711, RFC 7714 for GCM) for one transport.
 *   inbound  (unprotect): OpenSSL EVP, contexts made once per session, with
 *                         RFC 3711 index estimation and a 1024-packet replay
 *                         window per SSRC in a fixed table;
 *   outbound (protect):   OpenSSL EVP with contexts made once per session.
 * Both are hand-written because Debian's libsrtp2 runs on NSS and builds a
 * PK11 context per packet: about 4.5 us and 14 heap allocations per 1200-byte
 * AES_CM_128_HMAC_SHA1_80 packet, against about 1 us and none on OpenSSL.
 * They are proven equal to libsrtp2 (srtp_ref_*) by round trips and the
 * RFC 3711 / RFC 7714 test vectors. No allocation, lock or log per packet. */
#ifndef SABAQ_SRTP_SESSION_H
#define SABAQ_SRTP_SESSION_H

#include <stddef.h>
#include <stdint.h>

/* IANA DTLS-SRTP protection profile numbers. */
enum srtp_profile {
    SRTP_PROFILE_AES128_CM_SHA1_80 = 0x0001,
    SRTP_PROFILE_AEAD_AES_128_GCM = 0x0007,
};

#define SRTP_MAX_KEY_LEN 16
#define SRTP_MAX_SALT_LEN 14
/* Bytes protect may add: 10-byte tag (CM) or 16-byte tag (GCM), plus the
 * 4-byte SRTCP index. Leave this much room after a packet. */
#define SRTP_MAX_TRAILER 20

struct srtp_keys {
    enum srtp_profile profile;
    uint8_t key_len;             /* 16 */
    uint8_t salt_len;            /* 14 (CM) or 12 (GCM) */
    uint8_t local_key[SRTP_MAX_KEY_LEN];
    uint8_t local_salt[SRTP_MAX_SALT_LEN];
    uint8_t remote_key[SRTP_MAX_KEY_LEN];
    uint8_t remote_salt[SRTP_MAX_SALT_LEN];
};

const char *srtp_profile_name(enum srtp_profile p);

/* Inbound: unprotects what the peer sent (keys->remote_*). */
struct srtp_in;
struct srtp_in *srtp_in_new(const struct srtp_keys *keys);
void srtp_in_free(struct srtp_in *s);
/* In place; *len shrinks. 0, -SQ_EAUTH, -SQ_EREPLAY or -SQ_EMALFORMED; also
 * -SQ_ELIMIT for a packet of a 33rd SSRC (the receive-state table is full).
 * A packet that fails leaves the session's state (and the packet) as it was. */
int srtp_in_unprotect_rtp(struct srtp_in *s, uint8_t *pkt, size_t *len);
int srtp_in_unprotect_rtcp(struct srtp_in *s, uint8_t *pkt, size_t *len);

/* Outbound: protects what Sabaq sends (keys->local_*). */
struct srtp_out;
struct srtp_out *srtp_out_new(const struct srtp_keys *keys);
void srtp_out_free(struct srtp_out *s);
/* In place; `cap` is the buffer size (need len + SRTP_MAX_TRAILER). `roc` is
 * the rollover counter of the packet's SSRC: the sender knows it exactly
 * because it numbers the packets itself. Returns 0 and sets *len, or
 * -SQ_ENOSPACE / -SQ_EMALFORMED / -SQ_ECRYPTO. */
int srtp_out_protect_rtp(struct srtp_out *s, uint8_t *pkt, size_t *len, size_t cap, uint32_t roc);
/* SRTCP index kept inside the session. */
int srtp_out_protect_rtcp(struct srtp_out *s, uint8_t *pkt, size_t *len, size_t cap);

/* A libsrtp2-only outbound session: the reference the tests compare against
 * and the baseline bench/fwd measures. Same contract as srtp_out_protect_rtp
 * (libsrtp tracks the ROC itself). */
struct srtp_ref_out;
struct srtp_ref_out *srtp_ref_out_new(const struct srtp_keys *keys);
void srtp_ref_out_free(struct srtp_ref_out *s);
int srtp_ref_out_protect_rtp(struct srtp_ref_out *s, uint8_t *pkt, size_t *len, size_t cap);
int srtp_ref_out_protect_rtcp(struct srtp_ref_out *s, uint8_t *pkt, size_t *len, size_t cap);

/* A libsrtp2-only inbound session (ssrc_any_inbound, 1024-packet window):
 * the reference srtp_in is tested against. Same contract as srtp_in_*, but
 * it allocates per packet (NSS) and has no SSRC limit. */
struct srtp_ref_in;
struct srtp_ref_in *srtp_ref_in_new(const struct srtp_keys *keys);
void srtp_ref_in_free(struct srtp_ref_in *s);
int srtp_ref_in_unprotect_rtp(struct srtp_ref_in *s, uint8_t *pkt, size_t *len);
int srtp_ref_in_unprotect_rtcp(struct srtp_ref_in *s, uint8_t *pkt, size_t *len);

/* Calls srtp_init() once per process (thread-safe). */
int srtp_library_init(void);

#endif
