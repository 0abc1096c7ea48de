/* STUN (RFC 5389/8489) for ICE-lite (RFC 8445 sec. 2.5): parse Binding
 * requests, verify short-term MESSAGE-INTEGRITY (HMAC-SHA1) and FINGERPRINT
 * (CRC-32 XOR 0x5354554e), write Binding responses. Sans-IO; parsed views
 * borrow the caller's buffer. Test vectors: RFC 5769. */
#include "sabaq/stun.h"

#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sabaq/error.h"

#define ATTR_HDR 4
#define MI_LEN 20
#define FP_LEN 4
#define FP_XOR 0x5354554eu
#define USERNAME_MAX 513     /* RFC 8489 sec. 14.3 */
#define REASON_MAX 127       /* RFC 8489 sec. 14.8: fewer than 128 characters */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static size_t pad4(size_t n) { return (n + 3) & ~(size_t)3; }

/* CRC-32 (ISO-HDLC, reflected 0xEDB88320) a nibble at a time: a 16-entry table
 * is enough for the few hundred bytes a STUN message has. */
static const uint32_t crc_nibble[16] = {
    0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4,
    0x4DB26158, 0x5005713C, 0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
    0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
};

static uint32_t crc32(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = crc_nibble[crc & 0xF] ^ (crc >> 4);
        crc = crc_nibble[crc & 0xF] ^ (crc >> 4);
    }
    return ~crc;
}

/* The HMAC algorithm is fetched once: OpenSSL 3 fetches are costly and the
 * fetched object is safe to share between threads. */
static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;
static void hmac_fetch(void) { hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL); }

/* HMAC-SHA1 over hdr (20 bytes, already carrying the adjusted length) then rest. */
static int hmac_sha1(uint8_t mac[MI_LEN], const uint8_t *key, size_t key_len,
                     const uint8_t *hdr, const uint8_t *rest, size_t rest_len)
{
    static const uint8_t empty_key[1];
    char digest[] = "SHA1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    size_t out_len = 0;
    int ok;

    pthread_once(&hmac_once, hmac_fetch);
    if (!hmac_alg)
        return -SQ_ECRYPTO;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac_alg);
    if (!ctx)
        return -SQ_ENOMEM;
    /* OpenSSL refuses a NULL key; an empty key is still a valid HMAC key. */
    ok = EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, params) &&
         EVP_MAC_update(ctx, hdr, STUN_HEADER_LEN) &&
         EVP_MAC_update(ctx, rest, rest_len) &&
         EVP_MAC_final(ctx, mac, &out_len, MI_LEN) && out_len == MI_LEN;
    EVP_MAC_CTX_free(ctx);
    return ok ? 0 : -SQ_ECRYPTO;
}

/* HMAC of msg[0..mi_off) with the header length rewritten to end after MI. */
static int integrity_of(uint8_t mac[MI_LEN], const uint8_t *msg, size_t mi_off,
                        const uint8_t *key, size_t key_len)
{
    uint8_t hdr[STUN_HEADER_LEN];
    memcpy(hdr, msg, STUN_HEADER_LEN);
    wr16(hdr + 2, (uint16_t)(mi_off + ATTR_HDR + MI_LEN - STUN_HEADER_LEN));
    return hmac_sha1(mac, key, key_len, hdr, msg + STUN_HEADER_LEN, mi_off - STUN_HEADER_LEN);
}

bool stun_is_message(const uint8_t *buf, size_t len)
{
    /* RFC 7983: first byte 0..3; the cookie tells STUN from other traffic there. */
    return len >= STUN_HEADER_LEN && buf[0] < 4 && rd32(buf + 4) == STUN_MAGIC_COOKIE;
}

static int parse_xor_address(struct stun_message *m, const uint8_t *v, size_t len)
{
    uint16_t port;
    if (len < 4)
        return -SQ_EMALFORMED;
    port = rd16(v + 2) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16);
    memset(&m->xor_mapped_address, 0, sizeof m->xor_mapped_address);
    if (v[1] == 0x01 && len == 8) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&m->xor_mapped_address;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        sin->sin_addr.s_addr = htonl(rd32(v + 4) ^ STUN_MAGIC_COOKIE);
    } else if (v[1] == 0x02 && len == 20) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&m->xor_mapped_address;
        uint8_t mask[16];
        wr32(mask, STUN_MAGIC_COOKIE);
        memcpy(mask + 4, m->txid, STUN_TXID_LEN);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        for (int i = 0; i < 16; i++)
            sin6->sin6_addr.s6_addr[i] = v[4 + i] ^ mask[i];
    } else {
        return -SQ_EMALFORMED;
    }
    m->has_xor_mapped_address = true;
    return 0;
}

/* One attribute before MESSAGE-INTEGRITY. Duplicates: the first one wins. */
static int parse_attr(struct stun_message *m, uint16_t type, const uint8_t *v, size_t len)
{
    switch (type) {
    case STUN_ATTR_USERNAME:
        if (len > USERNAME_MAX)
            return -SQ_EMALFORMED;
        if (!m->username) {
            m->username = v;
            m->username_len = len;
        }
        return 0;
    case STUN_ATTR_PRIORITY:
        if (len != 4)
            return -SQ_EMALFORMED;
        if (!m->has_priority) {
            m->has_priority = true;
            m->priority = rd32(v);
        }
        return 0;
    case STUN_ATTR_USE_CANDIDATE:
        if (len != 0)
            return -SQ_EMALFORMED;
        m->use_candidate = true;
        return 0;
    case STUN_ATTR_ICE_CONTROLLED:
    case STUN_ATTR_ICE_CONTROLLING:
        if (len != 8)
            return -SQ_EMALFORMED;
        if (!m->ice_controlled && !m->ice_controlling) {
            m->tie_breaker = (uint64_t)rd32(v) << 32 | rd32(v + 4);
            if (type == STUN_ATTR_ICE_CONTROLLED)
                m->ice_controlled = true;
            else
                m->ice_controlling = true;
        }
        return 0;
    case STUN_ATTR_XOR_MAPPED_ADDRESS:
        return m->has_xor_mapped_address ? 0 : parse_xor_address(m, v, len);
    case STUN_ATTR_ERROR_CODE:
        if (len < 4 || (v[2] & 7) < 3 || (v[2] & 7) > 6 || v[3] > 99)
            return -SQ_EMALFORMED;
        if (!m->error_code)
            m->error_code = (uint16_t)((v[2] & 7) * 100 + v[3]);
        return 0;
    default:
        return 0; /* SOFTWARE, MAPPED-ADDRESS and unknown ones: nothing ICE-lite needs */
    }
}

int stun_message_parse(struct stun_message *out, const uint8_t *buf, size_t len)
{
    size_t off = STUN_HEADER_LEN;

    memset(out, 0, sizeof *out);
    if (!stun_is_message(buf, len))
        return -SQ_EMALFORMED;
    size_t body = rd16(buf + 2);
    /* One datagram holds exactly one message, and attributes stay 4-aligned. */
    if (body % 4 != 0 || STUN_HEADER_LEN + body != len)
        return -SQ_EMALFORMED;
    out->type = rd16(buf);
    out->txid = buf + 8;
    out->buf = buf;
    out->len = len;

    while (off < len) {
        if (len - off < ATTR_HDR)
            return -SQ_EMALFORMED;
        uint16_t type = rd16(buf + off);
        size_t alen = rd16(buf + off + 2);
        if (pad4(alen) > len - off - ATTR_HDR)
            return -SQ_EMALFORMED;
        const uint8_t *v = buf + off + ATTR_HDR;

        if (out->fingerprint_offset)
            return -SQ_EMALFORMED; /* FINGERPRINT must be the last attribute */
        if (type == STUN_ATTR_FINGERPRINT) {
            if (alen != FP_LEN)
                return -SQ_EMALFORMED;
            out->fingerprint_offset = off;
        } else if (type == STUN_ATTR_MESSAGE_INTEGRITY) {
            if (alen != MI_LEN)
                return -SQ_EMALFORMED;
            if (!out->integrity_offset)
                out->integrity_offset = off;
        } else if (!out->integrity_offset) {
            /* Attributes after MESSAGE-INTEGRITY are not covered by it: ignored. */
            int rc = parse_attr(out, type, v, alen);
            if (rc < 0)
                return rc;
        }
        off += ATTR_HDR + pad4(alen);
    }

    if (out->fingerprint_offset) {
        size_t fp = out->fingerprint_offset;
        /* FINGERPRINT is last, so the header length already includes it. */
        if ((crc32(buf, fp) ^ FP_XOR) != rd32(buf + fp + ATTR_HDR))
            return -SQ_EAUTH;
    }
    return 0;
}

int stun_message_check_integrity(const struct stun_message *m, const uint8_t *key, size_t key_len)
{
    uint8_t mac[MI_LEN];
    size_t off = m->integrity_offset;
    int rc;

    if (!off)
        return -SQ_ENOTFOUND;
    if (off < STUN_HEADER_LEN || off + ATTR_HDR + MI_LEN > m->len)
        return -SQ_EMALFORMED;
    rc = integrity_of(mac, m->buf, off, key, key_len);
    if (rc < 0)
        return rc;
    return CRYPTO_memcmp(mac, m->buf + off + ATTR_HDR, MI_LEN) == 0 ? 0 : -SQ_EAUTH;
}

int stun_username_split(const struct stun_message *m, const uint8_t **local, size_t *local_len,
                        const uint8_t **remote, size_t *remote_len)
{
    const uint8_t *colon;

    if (!m->username || m->username_len == 0)
        return -SQ_EMALFORMED;
    colon = memchr(m->username, ':', m->username_len);
    if (!colon)
        return -SQ_EMALFORMED;
    *local = m->username;
    *local_len = (size_t)(colon - m->username);
    *remote = colon + 1;
    *remote_len = m->username_len - *local_len - 1;
    return 0;
}

/* ---- writers ---------------------------------------------------------- */

static void put_header(uint8_t *out, uint16_t type, const uint8_t txid[STUN_TXID_LEN])
{
    wr16(out, type);
    wr16(out + 2, 0);
    wr32(out + 4, STUN_MAGIC_COOKIE);
    memcpy(out + 8, txid, STUN_TXID_LEN);
}

/* Appends an attribute with zero padding; the caller has checked the space. */
static size_t put_attr(uint8_t *out, size_t off, uint16_t type, const void *val, size_t len)
{
    wr16(out + off, type);
    wr16(out + off + 2, (uint16_t)len);
    if (len)
        memcpy(out + off + ATTR_HDR, val, len);
    memset(out + off + ATTR_HDR + len, 0, pad4(len) - len);
    return off + ATTR_HDR + pad4(len);
}

/* Appends MESSAGE-INTEGRITY (when key is set) and FINGERPRINT, fixing the
 * header length before each as RFC 8489 sec. 14.5 and 14.7 require. */
static int finish(uint8_t *out, size_t off, const uint8_t *key, size_t key_len, bool with_mi)
{
    if (with_mi) {
        uint8_t mac[MI_LEN];
        int rc = integrity_of(mac, out, off, key, key_len);
        if (rc < 0)
            return rc;
        off = put_attr(out, off, STUN_ATTR_MESSAGE_INTEGRITY, mac, MI_LEN);
    }
    wr16(out + 2, (uint16_t)(off + ATTR_HDR + FP_LEN - STUN_HEADER_LEN));
    uint8_t fp[FP_LEN];
    wr32(fp, crc32(out, off) ^ FP_XOR);
    off = put_attr(out, off, STUN_ATTR_FINGERPRINT, fp, FP_LEN);
    return (int)off;
}

int stun_binding_success_write(uint8_t *out, size_t cap, const uint8_t txid[STUN_TXID_LEN],
                               const struct sockaddr *mapped, const uint8_t *key, size_t key_len)
{
    uint8_t xa[20];
    size_t xa_len;

    xa[0] = 0;
    if (mapped->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)mapped;
        xa[1] = 0x01;
        wr16(xa + 2, ntohs(sin->sin_port) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
        wr32(xa + 4, ntohl(sin->sin_addr.s_addr) ^ STUN_MAGIC_COOKIE);
        xa_len = 8;
    } else if (mapped->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)mapped;
        uint8_t mask[16];
        wr32(mask, STUN_MAGIC_COOKIE);
        memcpy(mask + 4, txid, STUN_TXID_LEN);
        xa[1] = 0x02;
        wr16(xa + 2, ntohs(sin6->sin6_port) ^ (uint16_t)(STUN_MAGIC_COOKIE >> 16));
        for (int i = 0; i < 16; i++)
            xa[4 + i] = sin6->sin6_addr.s6_addr[i] ^ mask[i];
        xa_len = 20;
    } else {
        return -SQ_EINVAL;
    }
    size_t total = STUN_HEADER_LEN + ATTR_HDR + xa_len + ATTR_HDR + MI_LEN + ATTR_HDR + FP_LEN;
    if (cap < total)
        return -SQ_ENOSPACE;
    put_header(out, STUN_BINDING_SUCCESS, txid);
    size_t off = put_attr(out, STUN_HEADER_LEN, STUN_ATTR_XOR_MAPPED_ADDRESS, xa, xa_len);
    return finish(out, off, key, key_len, true);
}

int stun_binding_request_write(uint8_t *out, size_t cap, const uint8_t txid[STUN_TXID_LEN],
                               const char *username, uint32_t priority, uint64_t tie_breaker,
                               bool use_candidate, const uint8_t *key, size_t key_len)
{
    size_t ulen = strlen(username);
    uint8_t v[8];

    if (ulen > USERNAME_MAX)
        return -SQ_EINVAL;
    size_t total = STUN_HEADER_LEN + ATTR_HDR + pad4(ulen) + ATTR_HDR + 4 + ATTR_HDR + 8 +
                   (use_candidate ? ATTR_HDR : 0) + ATTR_HDR + MI_LEN + ATTR_HDR + FP_LEN;
    if (cap < total)
        return -SQ_ENOSPACE;
    put_header(out, STUN_BINDING_REQUEST, txid);
    size_t off = put_attr(out, STUN_HEADER_LEN, STUN_ATTR_USERNAME, username, ulen);
    wr32(v, priority);
    off = put_attr(out, off, STUN_ATTR_PRIORITY, v, 4);
    wr32(v, (uint32_t)(tie_breaker >> 32));
    wr32(v + 4, (uint32_t)tie_breaker);
    off = put_attr(out, off, STUN_ATTR_ICE_CONTROLLING, v, 8);
    if (use_candidate)
        off = put_attr(out, off, STUN_ATTR_USE_CANDIDATE, NULL, 0);
    return finish(out, off, key, key_len, true);
}

int stun_binding_error_write(uint8_t *out, size_t cap, const uint8_t txid[STUN_TXID_LEN],
                             uint16_t code, const char *reason)
{
    uint8_t v[4 + REASON_MAX];
    size_t rlen = reason ? strlen(reason) : 0;

    if (code < 300 || code > 699)
        return -SQ_EINVAL;
    if (rlen > REASON_MAX)
        rlen = REASON_MAX;
    size_t total = STUN_HEADER_LEN + ATTR_HDR + pad4(4 + rlen) + ATTR_HDR + FP_LEN;
    if (cap < total)
        return -SQ_ENOSPACE;
    v[0] = 0;
    v[1] = 0;
    v[2] = (uint8_t)(code / 100);
    v[3] = (uint8_t)(code % 100);
    if (rlen)
        memcpy(v + 4, reason, rlen);
    put_header(out, STUN_BINDING_ERROR, txid);
    size_t off = put_attr(out, STUN_HEADER_LEN, STUN_ATTR_ERROR_CODE, v, 4 + rlen);
    return finish(out, off, NULL, 0, false);
}
