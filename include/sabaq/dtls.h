/* DTLS 1.2 for DTLS-SRTP (RFC 5764) on OpenSSL, sans-IO through BIO_s_mem:
 * datagrams in with dtls_conn_receive(), datagrams out with
 * dtls_conn_poll_transmit(). The one exception to "protocol code never reads
 * the clock" is OpenSSL's own retransmission timer: it is turned into a
 * deadline by dtls_conn_next_deadline_us() and fired by dtls_conn_handle_timeout(). */
#ifndef SABAQ_DTLS_H
#define SABAQ_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/clock.h"
#include "sabaq/srtp_session.h"

/* An ECDSA P-256 self-signed certificate made at start-up, shared by every
 * connection (read-only after creation, so workers may share it). */
struct dtls_cert;
struct dtls_cert *dtls_cert_generate(void);
void dtls_cert_free(struct dtls_cert *c);
/* "AB:CD:..." (SHA-256, upper-case hex, 95 chars) for a=fingerprint:sha-256. */
const char *dtls_cert_fingerprint(const struct dtls_cert *c);

enum dtls_role { DTLS_ROLE_SERVER, DTLS_ROLE_CLIENT };
enum dtls_state { DTLS_STATE_NEW, DTLS_STATE_HANDSHAKING, DTLS_STATE_CONNECTED,
                  DTLS_STATE_FAILED, DTLS_STATE_CLOSED };

struct dtls_conn;
/* The connection borrows `cert` (it must outlive the connection). */
struct dtls_conn *dtls_conn_new(struct dtls_cert *cert, enum dtls_role role);
void dtls_conn_free(struct dtls_conn *c);

/* The peer's a=fingerprint (alg "sha-256", value "AB:CD:..."); checked against
 * its certificate during the handshake. Without it any certificate is refused. */
int dtls_conn_set_remote_fingerprint(struct dtls_conn *c, const char *alg, const char *value);

/* Client role: start the handshake (queues the ClientHello). */
int dtls_conn_connect(struct dtls_conn *c, uint64_t now_us);

/* Feeds one datagram of DTLS records. 0, or a negative code when the record
 * is malformed or the handshake failed (the state then says FAILED).
 * Application data is not used by WebRTC media and is dropped. */
int dtls_conn_receive(struct dtls_conn *c, const uint8_t *buf, size_t len, uint64_t now_us);

/* Copies the next datagram to send into out: its length, 0 when none, or
 * -SQ_ENOSPACE. Call until it returns 0 after every receive/timeout. */
int dtls_conn_poll_transmit(struct dtls_conn *c, uint8_t *out, size_t cap);

/* When dtls_conn_handle_timeout() should be called next; SQ_NEVER when idle. */
uint64_t dtls_conn_next_deadline_us(const struct dtls_conn *c);
int dtls_conn_handle_timeout(struct dtls_conn *c, uint64_t now_us);

enum dtls_state dtls_conn_state(const struct dtls_conn *c);

/* After CONNECTED: the negotiated SRTP profile and keys (RFC 5764 sec. 4.2),
 * "local" being what this side protects with. 0 or -SQ_ESTATE. */
int dtls_conn_srtp_keys(const struct dtls_conn *c, struct srtp_keys *out);

/* Sends close_notify (queued for poll_transmit). */
void dtls_conn_close(struct dtls_conn *c);

#endif
