/* DTLS-SRTP: two connections (or one and a plain OpenSSL client) in memory,
 * datagrams shuttled by hand on a virtual clock. */
#include "test.h"

#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "sabaq/clock.h"
#include "sabaq/dtls.h"
#include "sabaq/error.h"
#include "sabaq/srtp_session.h"

#define MTU 1200

struct pair {
    struct dtls_cert *server_cert, *client_cert;
    struct dtls_conn *server, *client;
    uint64_t now_us;
    size_t max_datagram;
    int datagrams;
};

static bool pair_init(struct pair *p)
{
    memset(p, 0, sizeof *p);
    p->now_us = 1000000;
    p->server_cert = dtls_cert_generate();
    p->client_cert = dtls_cert_generate();
    if (!p->server_cert || !p->client_cert)
        return false;
    p->server = dtls_conn_new(p->server_cert, DTLS_ROLE_SERVER);
    p->client = dtls_conn_new(p->client_cert, DTLS_ROLE_CLIENT);
    return p->server && p->client &&
           dtls_conn_set_remote_fingerprint(p->server, "sha-256",
                                            dtls_cert_fingerprint(p->client_cert)) == 0 &&
           dtls_conn_set_remote_fingerprint(p->client, "sha-256",
                                            dtls_cert_fingerprint(p->server_cert)) == 0;
}

static void pair_free(struct pair *p)
{
    dtls_conn_free(p->server);
    dtls_conn_free(p->client);
    dtls_cert_free(p->server_cert);
    dtls_cert_free(p->client_cert);
}

/* Moves every queued datagram from one side to the other, or drops them all.
 * Returns how many there were; *last_err gets the receiver's last result. */
static int shuttle(struct pair *p, struct dtls_conn *from, struct dtls_conn *to, bool drop,
                   int *last_err)
{
    uint8_t buf[2048];
    int n = 0, len;
    while ((len = dtls_conn_poll_transmit(from, buf, sizeof buf)) > 0) {
        n++;
        p->datagrams++;
        if ((size_t)len > p->max_datagram)
            p->max_datagram = (size_t)len;
        if (!drop) {
            int err = dtls_conn_receive(to, buf, (size_t)len, p->now_us);
            if (last_err && err)
                *last_err = err;
        }
    }
    return n;
}

static bool is_done(const struct pair *p)
{
    enum dtls_state s = dtls_conn_state(p->server), c = dtls_conn_state(p->client);
    return (s == DTLS_STATE_CONNECTED && c == DTLS_STATE_CONNECTED) ||
           s == DTLS_STATE_FAILED || c == DTLS_STATE_FAILED;
}

static void run(struct pair *p, int rounds, int *server_err, int *client_err)
{
    for (int i = 0; i < rounds && !is_done(p); i++) {
        p->now_us += 10000;
        shuttle(p, p->client, p->server, false, server_err);
        shuttle(p, p->server, p->client, false, client_err);
    }
    /* The last flight may still be queued: deliver it. */
    shuttle(p, p->client, p->server, false, server_err);
    shuttle(p, p->server, p->client, false, client_err);
}

static bool keys_mirror(const struct srtp_keys *a, const struct srtp_keys *b)
{
    return a->profile == b->profile && a->salt_len == b->salt_len &&
           memcmp(a->local_key, b->remote_key, 16) == 0 &&
           memcmp(a->remote_key, b->local_key, 16) == 0 &&
           memcmp(a->local_salt, b->remote_salt, a->salt_len) == 0 &&
           memcmp(a->remote_salt, b->local_salt, a->salt_len) == 0 &&
           memcmp(a->local_key, a->remote_key, 16) != 0;
}

TEST(dtls_cert_fingerprint_is_uppercase_sha256)
{
    struct dtls_cert *a = dtls_cert_generate(), *b = dtls_cert_generate();
    ASSERT(a && b);
    const char *fa = dtls_cert_fingerprint(a);
    int bad = strlen(fa) != 95;
    for (size_t i = 0; i < 95 && !bad; i++) {
        char ch = fa[i];
        bad = i % 3 == 2 ? ch != ':' : !((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F'));
    }
    int same = strcmp(fa, dtls_cert_fingerprint(b)) == 0;
    dtls_cert_free(a);
    dtls_cert_free(b);
    ASSERT(!bad);
    ASSERT(!same);
}

TEST(dtls_handshake_exports_mirrored_gcm_keys)
{
    struct pair p;
    int serr = 0, cerr = 0;
    ASSERT(pair_init(&p));
    struct srtp_keys sk, ck;
    ASSERT_EQ(-SQ_ESTATE, dtls_conn_srtp_keys(p.server, &sk));
    ASSERT(SQ_NEVER == dtls_conn_next_deadline_us(p.client));
    ASSERT_EQ(0, dtls_conn_connect(p.client, p.now_us));
    ASSERT(dtls_conn_next_deadline_us(p.client) <= p.now_us + 1000000);
    run(&p, 10, &serr, &cerr);
    ASSERT_EQ(0, serr);
    ASSERT_EQ(0, cerr);
    ASSERT_EQ(DTLS_STATE_CONNECTED, dtls_conn_state(p.server));
    ASSERT_EQ(DTLS_STATE_CONNECTED, dtls_conn_state(p.client));
    ASSERT_EQ(0, dtls_conn_srtp_keys(p.server, &sk));
    ASSERT_EQ(0, dtls_conn_srtp_keys(p.client, &ck));
    ASSERT_EQ(SRTP_PROFILE_AEAD_AES_128_GCM, sk.profile);
    ASSERT_EQ(12, sk.salt_len);
    ASSERT_EQ(16, sk.key_len);
    ASSERT(keys_mirror(&sk, &ck));
    ASSERT(p.max_datagram > 0 && p.max_datagram <= MTU);

    /* The exported keys carry media from one side to the other. */
    struct srtp_out *out = srtp_out_new(&sk);
    struct srtp_in *in = srtp_in_new(&ck);
    uint8_t pkt[200] = {0x80, 96, 0, 1, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 'h', 'i'};
    size_t len = 14;
    int e1 = srtp_out_protect_rtp(out, pkt, &len, sizeof pkt, 0);
    int e2 = srtp_in_unprotect_rtp(in, pkt, &len);
    srtp_out_free(out);
    srtp_in_free(in);
    pair_free(&p);
    ASSERT_EQ(0, e1);
    ASSERT_EQ(0, e2);
    ASSERT_EQ(14, len);
    ASSERT_MEM_EQ("hi", pkt + 12, 2);
}

TEST(dtls_wrong_remote_fingerprint_fails_the_handshake)
{
    struct pair p;
    int serr = 0, cerr = 0;
    ASSERT(pair_init(&p));
    /* The client expects its own certificate, not the server's. */
    ASSERT_EQ(0, dtls_conn_set_remote_fingerprint(p.client, "SHA-256",
                                                  dtls_cert_fingerprint(p.client_cert)));
    ASSERT_EQ(0, dtls_conn_connect(p.client, p.now_us));
    run(&p, 10, &serr, &cerr);
    enum dtls_state c = dtls_conn_state(p.client), s = dtls_conn_state(p.server);
    struct srtp_keys k;
    int kerr = dtls_conn_srtp_keys(p.client, &k);
    uint64_t deadline = dtls_conn_next_deadline_us(p.client);
    pair_free(&p);
    ASSERT_EQ(DTLS_STATE_FAILED, c);
    ASSERT_EQ(-SQ_EAUTH, cerr);
    ASSERT(s != DTLS_STATE_CONNECTED); /* the client's alert reaches the server */
    ASSERT_EQ(-SQ_ESTATE, kerr);
    ASSERT(SQ_NEVER == deadline);
}

TEST(dtls_server_refuses_client_with_wrong_or_no_fingerprint)
{
    for (int variant = 0; variant < 2; variant++) {
        struct pair p;
        int serr = 0, cerr = 0;
        ASSERT(pair_init(&p));
        if (variant == 0) {
            ASSERT_EQ(0, dtls_conn_set_remote_fingerprint(p.server, "sha-256",
                                                          dtls_cert_fingerprint(p.server_cert)));
        } else { /* a fresh server that was never told a fingerprint */
            dtls_conn_free(p.server);
            p.server = dtls_conn_new(p.server_cert, DTLS_ROLE_SERVER);
        }
        ASSERT_EQ(0, dtls_conn_connect(p.client, p.now_us));
        run(&p, 10, &serr, &cerr);
        enum dtls_state s = dtls_conn_state(p.server), c = dtls_conn_state(p.client);
        pair_free(&p);
        ASSERT_EQ(DTLS_STATE_FAILED, s);
        ASSERT_EQ(-SQ_EAUTH, serr);
        ASSERT(c != DTLS_STATE_CONNECTED);
    }
}

TEST(dtls_retransmits_a_lost_flight_after_the_timeout)
{
    struct pair p;
    int serr = 0, cerr = 0;
    ASSERT(pair_init(&p));
    ASSERT_EQ(0, dtls_conn_connect(p.client, p.now_us));
    shuttle(&p, p.client, p.server, false, &serr);
    ASSERT_EQ(DTLS_STATE_HANDSHAKING, dtls_conn_state(p.server));
    ASSERT(shuttle(&p, p.server, p.client, true, NULL) > 0); /* the server's flight is lost */
    uint64_t deadline = dtls_conn_next_deadline_us(p.server);
    ASSERT(deadline > p.now_us && deadline <= p.now_us + 1000000);

    /* Before the deadline nothing happens. */
    ASSERT_EQ(0, dtls_conn_handle_timeout(p.server, deadline - 500000));
    ASSERT_EQ(0, shuttle(&p, p.server, p.client, true, NULL));

    /* OpenSSL times its retransmissions on its own clock: let 1 s pass. */
    struct timespec ts = {1, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    p.now_us = deadline + 20000;
    ASSERT_EQ(0, dtls_conn_handle_timeout(p.server, p.now_us));
    ASSERT(shuttle(&p, p.server, p.client, false, &cerr) > 0);
    ASSERT(dtls_conn_next_deadline_us(p.server) > p.now_us + 1000000); /* backed off */
    run(&p, 10, &serr, &cerr);
    enum dtls_state s = dtls_conn_state(p.server), c = dtls_conn_state(p.client);
    size_t max = p.max_datagram;
    pair_free(&p);
    ASSERT_EQ(0, serr);
    ASSERT_EQ(0, cerr);
    ASSERT_EQ(DTLS_STATE_CONNECTED, s);
    ASSERT_EQ(DTLS_STATE_CONNECTED, c);
    ASSERT(max <= MTU);
}

/* The server's last flight (ChangeCipherSpec, Finished) carries no timer of
 * its own: when it is lost, the client's retransmitted flight must make the
 * already connected server send it again. */
TEST(dtls_connected_server_resends_its_lost_last_flight)
{
    struct pair p;
    int serr = 0, cerr = 0;
    ASSERT(pair_init(&p));
    ASSERT_EQ(0, dtls_conn_connect(p.client, p.now_us));
    shuttle(&p, p.client, p.server, false, &serr);
    shuttle(&p, p.server, p.client, false, &cerr);
    shuttle(&p, p.client, p.server, false, &serr);
    ASSERT_EQ(DTLS_STATE_CONNECTED, dtls_conn_state(p.server));
    ASSERT(shuttle(&p, p.server, p.client, true, NULL) > 0); /* lost */
    ASSERT_EQ(DTLS_STATE_HANDSHAKING, dtls_conn_state(p.client));
    uint64_t deadline = dtls_conn_next_deadline_us(p.client);
    ASSERT(deadline <= p.now_us + 1000000);

    struct timespec ts = {1, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    p.now_us = deadline + 20000;
    ASSERT_EQ(0, dtls_conn_handle_timeout(p.client, p.now_us));
    ASSERT(shuttle(&p, p.client, p.server, false, &serr) > 0);
    ASSERT(shuttle(&p, p.server, p.client, false, &cerr) > 0);
    enum dtls_state s = dtls_conn_state(p.server), c = dtls_conn_state(p.client);
    struct srtp_keys sk, ck;
    int e1 = dtls_conn_srtp_keys(p.server, &sk), e2 = dtls_conn_srtp_keys(p.client, &ck);
    pair_free(&p);
    ASSERT_EQ(0, serr);
    ASSERT_EQ(0, cerr);
    ASSERT_EQ(DTLS_STATE_CONNECTED, s);
    ASSERT_EQ(DTLS_STATE_CONNECTED, c);
    ASSERT_EQ(0, e1);
    ASSERT_EQ(0, e2);
    ASSERT(keys_mirror(&sk, &ck));
}

/* Datagrams that are not DTLS at all, or whose records are cut short, are
 * refused before OpenSSL sees them; well-formed records with nonsense inside
 * are OpenSSL's to discard. Neither may crash or break the handshake. */
TEST(dtls_survives_garbage_and_truncated_records)
{
    struct pair p;
    int serr = 0, cerr = 0;
    uint8_t hello[2048], buf[2048];
    ASSERT(pair_init(&p));
    ASSERT_EQ(-SQ_EMALFORMED, dtls_conn_receive(p.server, (const uint8_t *)"", 0, p.now_us));
    ASSERT_EQ(0, dtls_conn_connect(p.client, p.now_us));
    int hlen = dtls_conn_poll_transmit(p.client, hello, sizeof hello);
    ASSERT(hlen > 13);
    ASSERT_EQ(0, dtls_conn_poll_transmit(p.client, buf, sizeof buf));

    for (int cut = 1; cut < hlen; cut += 7)
        ASSERT_EQ(-SQ_EMALFORMED, dtls_conn_receive(p.server, hello, (size_t)cut, p.now_us));
    srand(7);
    for (int i = 0; i < 2000; i++) {
        size_t n = (size_t)(rand() % 300);
        for (size_t j = 0; j < n; j++)
            buf[j] = (uint8_t)rand();
        if (i % 2 && n >= 13) { /* a plausible record header over random content */
            buf[0] = (uint8_t)(20 + i % 4);
            buf[1] = 0xfe;
            buf[2] = 0xfd;
            buf[11] = (uint8_t)((n - 13) >> 8);
            buf[12] = (uint8_t)(n - 13);
        }
        ASSERT(dtls_conn_receive(p.server, buf, n, p.now_us) <= 0);
        ASSERT(dtls_conn_state(p.server) != DTLS_STATE_FAILED);
    }
    ASSERT_EQ(0, dtls_conn_receive(p.server, hello, (size_t)hlen, p.now_us));
    run(&p, 10, &serr, &cerr);
    ASSERT_EQ(DTLS_STATE_CONNECTED, dtls_conn_state(p.server));
    ASSERT_EQ(DTLS_STATE_CONNECTED, dtls_conn_state(p.client));

    /* Connected: a forged application-data record is dropped quietly. */
    memcpy(buf, hello, 13);
    buf[0] = 23;
    buf[4] = 1;
    buf[11] = 0;
    buf[12] = 40;
    memset(buf + 13, 0x55, 40);
    ASSERT_EQ(0, dtls_conn_receive(p.client, buf, 53, p.now_us));
    ASSERT_EQ(-SQ_EMALFORMED, dtls_conn_receive(p.client, buf, 52, p.now_us));
    ASSERT_EQ(DTLS_STATE_CONNECTED, dtls_conn_state(p.client));
    pair_free(&p);
}

TEST(dtls_close_notify_closes_the_peer)
{
    struct pair p;
    int serr = 0, cerr = 0;
    ASSERT(pair_init(&p));
    ASSERT_EQ(0, dtls_conn_connect(p.client, p.now_us));
    run(&p, 10, &serr, &cerr);
    ASSERT_EQ(DTLS_STATE_CONNECTED, dtls_conn_state(p.server));
    dtls_conn_close(p.client);
    ASSERT_EQ(DTLS_STATE_CLOSED, dtls_conn_state(p.client));
    ASSERT_EQ(1, shuttle(&p, p.client, p.server, false, &serr));
    enum dtls_state s = dtls_conn_state(p.server);
    uint64_t deadline = dtls_conn_next_deadline_us(p.server);
    pair_free(&p);
    ASSERT_EQ(0, serr);
    ASSERT_EQ(DTLS_STATE_CLOSED, s);
    ASSERT(SQ_NEVER == deadline);
}

TEST(dtls_remote_fingerprint_is_validated)
{
    struct dtls_cert *cert = dtls_cert_generate();
    ASSERT(cert);
    struct dtls_conn *c = dtls_conn_new(cert, DTLS_ROLE_SERVER);
    ASSERT(c);
    char lower[96];
    strcpy(lower, dtls_cert_fingerprint(cert));
    for (char *s = lower; *s; s++)
        if (*s >= 'A' && *s <= 'F')
            *s = (char)(*s - 'A' + 'a');
    int ok = dtls_conn_set_remote_fingerprint(c, "sha-256", lower);
    int alg = dtls_conn_set_remote_fingerprint(c, "sha-1", lower);
    lower[5] = '-';
    int sep = dtls_conn_set_remote_fingerprint(c, "sha-256", lower);
    int shortfp = dtls_conn_set_remote_fingerprint(c, "sha-256", "AB:CD");
    int state = dtls_conn_connect(c, 0); /* a server does not connect */
    dtls_conn_free(c);
    dtls_cert_free(cert);
    ASSERT_EQ(0, ok);
    ASSERT_EQ(-SQ_EUNSUPPORTED, alg);
    ASSERT_EQ(-SQ_EINVAL, sep);
    ASSERT_EQ(-SQ_EINVAL, shortfp);
    ASSERT_EQ(-SQ_ESTATE, state);
}

TEST(dtls_poll_transmit_reports_a_small_buffer)
{
    struct pair p;
    uint8_t small[16], buf[2048];
    ASSERT(pair_init(&p));
    ASSERT_EQ(0, dtls_conn_connect(p.client, p.now_us));
    int e1 = dtls_conn_poll_transmit(p.client, small, sizeof small);
    int n = dtls_conn_poll_transmit(p.client, buf, sizeof buf);
    pair_free(&p);
    ASSERT_EQ(-SQ_ENOSPACE, e1);
    ASSERT(n > 16); /* still queued after the refusal */
}

/* ---- a plain OpenSSL client offering only AES_CM_128_HMAC_SHA1_80, as aiortc does ---- */

struct raw_client {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio, *wbio;
    char fingerprint[96];
};

static bool raw_client_init(struct raw_client *r)
{
    memset(r, 0, sizeof *r);
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    uint8_t md[32];
    unsigned md_len = 0;
    bool ok = key && x && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
              X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
              X509_gmtime_adj(X509_getm_notAfter(x), 3600) && X509_set_pubkey(x, key) &&
              X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                         (const unsigned char *)"raw", -1, -1, 0) &&
              X509_set_issuer_name(x, X509_get_subject_name(x)) &&
              X509_sign(x, key, EVP_sha256()) > 0 && X509_digest(x, EVP_sha256(), md, &md_len);
    for (unsigned i = 0; ok && i < md_len; i++)
        snprintf(r->fingerprint + 3 * i, 4, i + 1 < md_len ? "%02X:" : "%02X", md[i]);
    r->ctx = ok ? SSL_CTX_new(DTLS_client_method()) : NULL;
    ok = r->ctx && SSL_CTX_use_certificate(r->ctx, x) == 1 &&
         SSL_CTX_use_PrivateKey(r->ctx, key) == 1 &&
         SSL_CTX_set_tlsext_use_srtp(r->ctx, "SRTP_AES128_CM_SHA1_80") == 0;
    X509_free(x);
    EVP_PKEY_free(key);
    if (!ok)
        return false;
    r->ssl = SSL_new(r->ctx);
    r->rbio = BIO_new(BIO_s_mem());
    r->wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(r->rbio, -1);
    SSL_set_bio(r->ssl, r->rbio, r->wbio);
    SSL_set_options(r->ssl, SSL_OP_NO_QUERY_MTU);
    SSL_set_mtu(r->ssl, MTU);
    SSL_set_connect_state(r->ssl);
    return true;
}

static void raw_client_free(struct raw_client *r)
{
    SSL_free(r->ssl);
    SSL_CTX_free(r->ctx);
}

TEST(dtls_server_gives_a_cm_only_client_cm)
{
    struct dtls_cert *cert = dtls_cert_generate();
    struct raw_client r;
    ASSERT(cert);
    ASSERT(raw_client_init(&r));
    struct dtls_conn *server = dtls_conn_new(cert, DTLS_ROLE_SERVER);
    ASSERT(server);
    ASSERT_EQ(0, dtls_conn_set_remote_fingerprint(server, "sha-256", r.fingerprint));
    uint8_t buf[4096];
    int done = 0, err = 0;
    for (int round = 0; round < 10 && done != 1; round++) {
        done = SSL_do_handshake(r.ssl);
        int n = BIO_read(r.wbio, buf, sizeof buf); /* the client's whole flight in one go */
        if (n > 0 && (err = dtls_conn_receive(server, buf, (size_t)n, 1000)) != 0)
            break;
        while ((n = dtls_conn_poll_transmit(server, buf, sizeof buf)) > 0)
            BIO_write(r.rbio, buf, n);
    }
    struct srtp_keys k;
    int kerr = dtls_conn_srtp_keys(server, &k);
    uint8_t m[60];
    int exported = SSL_export_keying_material(r.ssl, m, sizeof m, "EXTRACTOR-dtls_srtp", 19,
                                              NULL, 0, 0);
    const SRTP_PROTECTION_PROFILE *prof = SSL_get_selected_srtp_profile(r.ssl);
    long prof_id = prof ? (long)prof->id : -1;
    enum dtls_state st = dtls_conn_state(server);
    dtls_conn_free(server);
    dtls_cert_free(cert);
    raw_client_free(&r);
    ASSERT_EQ(0, err);
    ASSERT_EQ(1, done);
    ASSERT_EQ(DTLS_STATE_CONNECTED, st);
    ASSERT_EQ(0, kerr);
    ASSERT_EQ(SRTP_PROFILE_AES128_CM_SHA1_80, k.profile);
    ASSERT_EQ(SRTP_AES128_CM_SHA1_80, prof_id);
    ASSERT_EQ(14, k.salt_len);
    ASSERT_EQ(1, exported);
    /* RFC 5764 sec. 4.2 layout seen from the server: local is the server half. */
    ASSERT_MEM_EQ(m, k.remote_key, 16);
    ASSERT_MEM_EQ(m + 16, k.local_key, 16);
    ASSERT_MEM_EQ(m + 32, k.remote_salt, 14);
    ASSERT_MEM_EQ(m + 46, k.local_salt, 14);
}
