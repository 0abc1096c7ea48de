/* DTLS 1.2 for DTLS-SRTP (RFC 6347, RFC 5764, RFC 8827 fingerprints) on
 * OpenSSL 3.0, sans-IO.
 *
 * Incoming datagrams go through a BIO_s_mem, one datagram at a time. Outgoing
 * records go through a small custom BIO that keeps datagram boundaries: each
 * BIO write joins the datagram being built (while it fits the 1200-byte MTU)
 * and a flush closes it, so a flight leaves as a few datagrams of at most
 * 1200 bytes. They wait in a fixed queue in the connection for
 * dtls_conn_poll_transmit().
 *
 * The one exception to "protocol code never reads the clock": OpenSSL times
 * its retransmissions with its own clock (gettimeofday). As in mediasoup, the
 * time it has left (DTLSv1_get_timeout) is turned into a deadline on the
 * caller's clock, and DTLSv1_handle_timeout() is called once that passes;
 * if OpenSSL's clock disagrees it does nothing and the deadline is
 * recomputed. */
#include "sabaq/dtls.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "sabaq/clock.h"
#include "sabaq/error.h"

#define DTLS_MTU 1200
#define QUEUE_SLOTS 16
#define SLOT_SIZE 1500
#define FINGERPRINT_LEN 32 /* SHA-256 */
#define RECORD_HEADER_LEN 13

/* Chromium's and Firefox's choices; RSA suites too for peers with RSA keys. */
#define CIPHERS                                                                   \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"                  \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"                  \
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"                  \
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:"         \
    "ECDHE-RSA-AES256-SHA"
/* As server OpenSSL takes the first of these that the client offers. */
#define SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"

struct dtls_cert {
    SSL_CTX *ctx; /* owned: holds the key and the certificate; only SSL_new after creation */
    char fingerprint[FINGERPRINT_LEN * 3];
};

struct slot {
    uint16_t len;
    uint8_t data[SLOT_SIZE];
};

struct dtls_conn {
    struct dtls_cert *cert; /* borrowed: outlives the connection */
    SSL *ssl;               /* owned; owns both BIOs */
    BIO *rbio;              /* owned by ssl */
    enum dtls_role role;
    enum dtls_state state;
    bool has_remote_fp;
    bool is_fp_mismatch;
    bool has_keys;
    uint8_t remote_fp[FINGERPRINT_LEN];
    struct srtp_keys keys;
    uint64_t deadline_us;
    /* Outgoing datagrams, oldest at head; the newest is still open to more
     * records until OpenSSL flushes. */
    unsigned head, count;
    bool is_open;
    uint32_t dropped; /* records lost to a full queue; retransmission covers them */
    struct slot queue[QUEUE_SLOTS];
};

/* ---- outgoing BIO ---- */

static int bio_write(BIO *b, const char *data, int len)
{
    struct dtls_conn *c = BIO_get_data(b);
    if (len <= 0)
        return 0;
    if (c->is_open && c->count > 0) {
        struct slot *last = &c->queue[(c->head + c->count - 1) % QUEUE_SLOTS];
        if ((size_t)last->len + (size_t)len <= DTLS_MTU) {
            memcpy(last->data + last->len, data, (size_t)len);
            last->len = (uint16_t)(last->len + len);
            return len;
        }
    }
    if (c->count == QUEUE_SLOTS || len > SLOT_SIZE) {
        c->dropped++;
        return len; /* as if lost on the wire */
    }
    struct slot *s = &c->queue[(c->head + c->count) % QUEUE_SLOTS];
    memcpy(s->data, data, (size_t)len);
    s->len = (uint16_t)len;
    c->count++;
    c->is_open = true;
    return len;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    struct dtls_conn *c = BIO_get_data(b);
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        c->is_open = false;
        return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_MTU:
        return DTLS_MTU;
    case BIO_CTRL_DGRAM_SET_CONNECTED:
    case BIO_CTRL_DGRAM_SET_PEER:
        return 1;
    case BIO_CTRL_WPENDING:          /* queued datagrams count as sent */
    case BIO_CTRL_PENDING:
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
    default:
        return 0;
    }
}

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

/* Made once per process, read-only afterwards, never freed. */
static void bio_method_init(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sabaq dtls out");
    if (m && BIO_meth_set_write(m, bio_write) && BIO_meth_set_ctrl(m, bio_ctrl))
        bio_method = m;
    else
        BIO_meth_free(m);
}

/* ---- certificate ---- */

static void format_fingerprint(char *out, const uint8_t md[FINGERPRINT_LEN])
{
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < FINGERPRINT_LEN; i++) {
        out[3 * i] = hex[md[i] >> 4];
        out[3 * i + 1] = hex[md[i] & 15];
        out[3 * i + 2] = i + 1 < FINGERPRINT_LEN ? ':' : '\0';
    }
}

static X509 *make_x509(EVP_PKEY *key)
{
    uint8_t serial[8];
    X509 *x = X509_new();
    BIGNUM *bn = NULL;
    bool ok = x && RAND_bytes(serial, sizeof serial) == 1;
    if (ok) {
        serial[0] &= 0x7f; /* a positive serial */
        bn = BN_bin2bn(serial, sizeof serial, NULL);
        X509_NAME *name = X509_get_subject_name(x);
        ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) &&
             X509_set_version(x, X509_VERSION_3) &&
             X509_gmtime_adj(X509_getm_notBefore(x), -24L * 3600) &&
             X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600) &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                        (const unsigned char *)"sabaq", -1, -1, 0) &&
             X509_set_issuer_name(x, name) && X509_set_pubkey(x, key) &&
             X509_sign(x, key, EVP_sha256()) > 0;
    }
    BN_free(bn);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int verify_cb(int preverify_ok, X509_STORE_CTX *store);

static SSL_CTX *make_ctx(X509 *x, EVP_PKEY *key)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
    if (!ctx)
        return NULL;
    bool ok = SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) &&
              SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
              SSL_CTX_check_private_key(ctx) == 1 &&
              SSL_CTX_set_cipher_list(ctx, CIPHERS) == 1 &&
              SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") == 1 &&
              SSL_CTX_set_tlsext_use_srtp(ctx, SRTP_PROFILES) == 0; /* 0 is success */
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
    /* No session cache: it would be shared state written from every worker. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_read_ahead(ctx, 1);
    return ctx;
}

struct dtls_cert *dtls_cert_generate(void)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    struct dtls_cert *c = calloc(1, sizeof *c);
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = key ? make_x509(key) : NULL;
    if (c && x && X509_digest(x, EVP_sha256(), md, &md_len) == 1 &&
        md_len == FINGERPRINT_LEN) {
        format_fingerprint(c->fingerprint, md);
        c->ctx = make_ctx(x, key);
    }
    X509_free(x);
    EVP_PKEY_free(key);
    ERR_clear_error();
    if (c && !c->ctx) {
        free(c);
        c = NULL;
    }
    return c;
}

void dtls_cert_free(struct dtls_cert *c)
{
    if (!c)
        return;
    SSL_CTX_free(c->ctx);
    free(c);
}

const char *dtls_cert_fingerprint(const struct dtls_cert *c) { return c->fingerprint; }

/* ---- peer verification ---- */

static bool fingerprint_matches(const struct dtls_conn *c, X509 *peer)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    return c->has_remote_fp && peer && X509_digest(peer, EVP_sha256(), md, &md_len) == 1 &&
           md_len == FINGERPRINT_LEN && CRYPTO_memcmp(md, c->remote_fp, FINGERPRINT_LEN) == 0;
}

/* Self-signed certificates are the norm in WebRTC: the chain proves nothing,
 * the leaf's fingerprint from the signaled SDP decides. */
static int verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
    (void)preverify_ok;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct dtls_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
    if (!c)
        return 0;
    if (X509_STORE_CTX_get_error_depth(store) > 0)
        return 1;
    if (!fingerprint_matches(c, X509_STORE_CTX_get_current_cert(store))) {
        c->is_fp_mismatch = true;
        return 0;
    }
    return 1;
}

static int parse_fingerprint(uint8_t out[FINGERPRINT_LEN], const char *s)
{
    if (strlen(s) != FINGERPRINT_LEN * 3 - 1)
        return -SQ_EINVAL;
    for (int i = 0; i < FINGERPRINT_LEN; i++) {
        int v = 0;
        for (int j = 0; j < 2; j++) {
            char ch = s[3 * i + j];
            int d = ch >= '0' && ch <= '9'   ? ch - '0'
                    : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                    : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                             : -1;
            if (d < 0)
                return -SQ_EINVAL;
            v = v << 4 | d;
        }
        if (i + 1 < FINGERPRINT_LEN && s[3 * i + 2] != ':')
            return -SQ_EINVAL;
        out[i] = (uint8_t)v;
    }
    return 0;
}

int dtls_conn_set_remote_fingerprint(struct dtls_conn *c, const char *alg, const char *value)
{
    if (!alg || !value)
        return -SQ_EINVAL;
    if (strcasecmp(alg, "sha-256") != 0)
        return -SQ_EUNSUPPORTED;
    uint8_t fp[FINGERPRINT_LEN];
    int err = parse_fingerprint(fp, value);
    if (err)
        return err;
    memcpy(c->remote_fp, fp, sizeof fp);
    c->has_remote_fp = true;
    return 0;
}

/* ---- connection ---- */

/* RFC 6347 sec. 4.2.4.1 starts at 1 s and doubles; a cap of 4 s instead of
 * 60 s suits a live call, as in mediasoup. */
static unsigned int timer_cb(SSL *ssl, unsigned int timer_us)
{
    (void)ssl;
    if (timer_us == 0)
        return 1000000;
    return timer_us >= 2000000 ? 4000000 : 2 * timer_us;
}

struct dtls_conn *dtls_conn_new(struct dtls_cert *cert, enum dtls_role role)
{
    if (!cert || pthread_once(&bio_once, bio_method_init) != 0 || !bio_method)
        return NULL;
    struct dtls_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->cert = cert;
    c->role = role;
    c->state = DTLS_STATE_NEW;
    c->deadline_us = SQ_NEVER;
    c->ssl = SSL_new(cert->ctx);
    c->rbio = BIO_new(BIO_s_mem());
    BIO *wbio = BIO_new(bio_method);
    if (!c->ssl || !c->rbio || !wbio) {
        BIO_free(c->rbio);
        BIO_free(wbio);
        SSL_free(c->ssl);
        free(c);
        ERR_clear_error();
        return NULL;
    }
    BIO_set_mem_eof_return(c->rbio, -1); /* empty means "wait", not EOF */
    BIO_set_data(wbio, c);
    BIO_set_init(wbio, 1);
    SSL_set_bio(c->ssl, c->rbio, wbio);
    SSL_set_app_data(c->ssl, c);
    SSL_set_mtu(c->ssl, DTLS_MTU);
    DTLS_set_timer_cb(c->ssl, timer_cb);
    if (role == DTLS_ROLE_SERVER)
        SSL_set_accept_state(c->ssl);
    else
        SSL_set_connect_state(c->ssl);
    return c;
}

void dtls_conn_free(struct dtls_conn *c)
{
    if (!c)
        return;
    SSL_free(c->ssl);
    OPENSSL_cleanse(&c->keys, sizeof c->keys);
    free(c);
}

enum dtls_state dtls_conn_state(const struct dtls_conn *c) { return c->state; }

uint64_t dtls_conn_next_deadline_us(const struct dtls_conn *c) { return c->deadline_us; }

static void update_deadline(struct dtls_conn *c, uint64_t now_us)
{
    struct timeval tv;
    bool is_live = c->state == DTLS_STATE_HANDSHAKING || c->state == DTLS_STATE_CONNECTED;
    if (is_live && DTLSv1_get_timeout(c->ssl, &tv) == 1)
        c->deadline_us = now_us + (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
    else
        c->deadline_us = SQ_NEVER;
}

static int fail(struct dtls_conn *c, int err)
{
    c->state = DTLS_STATE_FAILED;
    c->deadline_us = SQ_NEVER;
    ERR_clear_error();
    return err;
}

/* RFC 5764 sec. 4.2: client_key | server_key | client_salt | server_salt. */
static int export_keys(struct dtls_conn *c)
{
    const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(c->ssl);
    if (!p || (p->id != SRTP_AEAD_AES_128_GCM && p->id != SRTP_AES128_CM_SHA1_80))
        return -SQ_EUNSUPPORTED;
    struct srtp_keys *k = &c->keys;
    uint8_t m[2 * (SRTP_MAX_KEY_LEN + SRTP_MAX_SALT_LEN)];
    k->profile = p->id == SRTP_AEAD_AES_128_GCM ? SRTP_PROFILE_AEAD_AES_128_GCM
                                                : SRTP_PROFILE_AES128_CM_SHA1_80;
    k->key_len = 16;
    k->salt_len = p->id == SRTP_AEAD_AES_128_GCM ? 12 : 14;
    size_t kl = k->key_len, sl = k->salt_len;
    if (SSL_export_keying_material(c->ssl, m, 2 * (kl + sl), EXPORTER_LABEL,
                                   strlen(EXPORTER_LABEL), NULL, 0, 0) != 1)
        return -SQ_ECRYPTO;
    bool is_server = c->role == DTLS_ROLE_SERVER;
    memcpy(k->local_key, m + (is_server ? kl : 0), kl);
    memcpy(k->remote_key, m + (is_server ? 0 : kl), kl);
    memcpy(k->local_salt, m + 2 * kl + (is_server ? sl : 0), sl);
    memcpy(k->remote_salt, m + 2 * kl + (is_server ? 0 : sl), sl);
    OPENSSL_cleanse(m, sizeof m);
    c->has_keys = true;
    return 0;
}

static int on_handshake_done(struct dtls_conn *c)
{
    /* verify_cb has checked already; this also covers a peer sending none. */
    if (!fingerprint_matches(c, SSL_get0_peer_certificate(c->ssl)))
        return fail(c, -SQ_EAUTH);
    int err = export_keys(c);
    if (err)
        return fail(c, err);
    c->state = DTLS_STATE_CONNECTED;
    return 0;
}

/* Reads what OpenSSL has after the handshake: alerts, close_notify, the
 * peer's retransmitted last flight (answered by OpenSSL), application data
 * (WebRTC media does not use it: dropped). */
static int drain(struct dtls_conn *c)
{
    uint8_t sink[2048];
    for (;;) {
        int r = SSL_read(c->ssl, sink, sizeof sink);
        if (r > 0)
            continue;
        switch (SSL_get_error(c->ssl, r)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
            return 0;
        case SSL_ERROR_ZERO_RETURN:
            c->state = DTLS_STATE_CLOSED;
            c->deadline_us = SQ_NEVER;
            return 0;
        default:
            return fail(c, -SQ_ECRYPTO);
        }
    }
}

static int advance(struct dtls_conn *c)
{
    ERR_clear_error();
    if (c->state == DTLS_STATE_NEW || c->state == DTLS_STATE_HANDSHAKING) {
        c->state = DTLS_STATE_HANDSHAKING;
        int r = SSL_do_handshake(c->ssl);
        if (r != 1) {
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return 0;
            return fail(c, c->is_fp_mismatch ? -SQ_EAUTH : -SQ_ECRYPTO);
        }
        int err = on_handshake_done(c);
        if (err)
            return err;
    }
    return c->state == DTLS_STATE_CONNECTED ? drain(c) : 0;
}

int dtls_conn_connect(struct dtls_conn *c, uint64_t now_us)
{
    if (c->role != DTLS_ROLE_CLIENT || c->state != DTLS_STATE_NEW)
        return -SQ_ESTATE;
    int err = advance(c);
    update_deadline(c, now_us);
    return err;
}

/* RFC 6347 sec. 4.1: records of 13-byte headers whose lengths add up
 * exactly; RFC 7983 puts DTLS content types at 20-63. */
static bool is_wellformed(const uint8_t *buf, size_t len)
{
    size_t off = 0;
    if (len < RECORD_HEADER_LEN)
        return false;
    while (off < len) {
        if (len - off < RECORD_HEADER_LEN || buf[off] < 20 || buf[off] > 63 ||
            buf[off + 1] != 0xfe)
            return false;
        size_t rlen = (size_t)buf[off + 11] << 8 | buf[off + 12];
        if (rlen > len - off - RECORD_HEADER_LEN)
            return false;
        off += RECORD_HEADER_LEN + rlen;
    }
    return true;
}

int dtls_conn_receive(struct dtls_conn *c, const uint8_t *buf, size_t len, uint64_t now_us)
{
    if (c->state == DTLS_STATE_FAILED || c->state == DTLS_STATE_CLOSED ||
        (c->role == DTLS_ROLE_CLIENT && c->state == DTLS_STATE_NEW))
        return -SQ_ESTATE;
    if (!is_wellformed(buf, len) || len > 0xffff)
        return -SQ_EMALFORMED;
    (void)BIO_reset(c->rbio);
    if (BIO_write(c->rbio, buf, (int)len) != (int)len)
        return fail(c, -SQ_ENOMEM);
    int err = advance(c);
    /* Whatever OpenSSL left unread belongs to this datagram only. */
    (void)BIO_reset(c->rbio);
    update_deadline(c, now_us);
    return err;
}

int dtls_conn_poll_transmit(struct dtls_conn *c, uint8_t *out, size_t cap)
{
    if (c->count == 0)
        return 0;
    struct slot *s = &c->queue[c->head];
    if (s->len > cap)
        return -SQ_ENOSPACE;
    memcpy(out, s->data, s->len);
    c->head = (c->head + 1) % QUEUE_SLOTS;
    if (--c->count == 0)
        c->is_open = false;
    return s->len;
}

int dtls_conn_handle_timeout(struct dtls_conn *c, uint64_t now_us)
{
    bool is_live = c->state == DTLS_STATE_HANDSHAKING || c->state == DTLS_STATE_CONNECTED;
    if (!is_live || now_us < c->deadline_us)
        return 0;
    ERR_clear_error();
    /* < 0: too many retransmissions (OpenSSL gives up after 12). */
    if (DTLSv1_handle_timeout(c->ssl) < 0)
        return fail(c, -SQ_ELIMIT);
    ERR_clear_error();
    update_deadline(c, now_us);
    return 0;
}

int dtls_conn_srtp_keys(const struct dtls_conn *c, struct srtp_keys *out)
{
    if (c->state != DTLS_STATE_CONNECTED || !c->has_keys)
        return -SQ_ESTATE;
    *out = c->keys;
    return 0;
}

void dtls_conn_close(struct dtls_conn *c)
{
    if (c->state == DTLS_STATE_CONNECTED) {
        ERR_clear_error();
        (void)SSL_shutdown(c->ssl);
        ERR_clear_error();
    }
    if (c->state != DTLS_STATE_FAILED)
        c->state = DTLS_STATE_CLOSED;
    c->deadline_us = SQ_NEVER;
}
