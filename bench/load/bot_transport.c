/* bench/load: one bot transport (one RTCPeerConnection's worth of network):
 * a UDP socket, ICE as the controlling full agent against ICE-lite Sabaq
 * (RFC 8445: Binding requests with USE-CANDIDATE, then consent freshness
 * checks, RFC 7675), DTLS client (RFC 5764) and SRTP/SRTCP (RFC 3711) with
 * the keys it exports. Datagrams are told apart by their first byte
 * (RFC 7983). Every retry is bounded in count and time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bot.h"
#include "sabaq/dtls.h"
#include "sabaq/error.h"
#include "sabaq/rtp.h"
#include "sabaq/srtp_session.h"
#include "sabaq/stun.h"

#define STUN_RETRY_US 100000u     /* Binding request retransmission while connecting, */
#define STUN_SLOW_RETRY_US 500000u /* ... and after the first 2 s (a busy server answers late) */
#define STUN_FAST_TRIES 20
#define STUN_MAX_TRIES 76         /* 2 s + 28 s, about what browsers wait, then failed */
#define CONSENT_US 2000000u       /* consent freshness: Sabaq drops us after 30 s */
#define DTLS_LIMIT_US 15000000u   /* a handshake that takes longer has failed */
#define RCVBUF (1 << 20)

int bot_transport_open(struct bot_transport *t, struct bot *b, bool is_publish)
{
    memset(t, 0, sizeof(*t));
    t->bot = b;
    t->is_publish = is_publish;
    t->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (t->fd < 0)
        return -1;
    int rcvbuf = RCVBUF;
    setsockopt(t->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
    struct sockaddr_in local = {.sin_family = AF_INET};
    inet_pton(AF_INET, b->proc->cfg->host, &local.sin_addr);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = t};
    if (bind(t->fd, (struct sockaddr *)&local, sizeof(local)) != 0 ||
        epoll_ctl(b->proc->epfd, EPOLL_CTL_ADD, t->fd, &ev) != 0 ||
        !(t->dtls = dtls_conn_new(b->proc->cert, DTLS_ROLE_CLIENT))) {
        bot_transport_close(t);
        return -1;
    }
    bot_random_token(t->local_ufrag, sizeof(t->local_ufrag));
    bot_random_token(t->local_pwd, sizeof(t->local_pwd));
    return 0;
}

void bot_transport_close(struct bot_transport *t)
{
    if (t->fd >= 0) {
        epoll_ctl(t->bot->proc->epfd, EPOLL_CTL_DEL, t->fd, NULL);
        close(t->fd);
    }
    dtls_conn_free(t->dtls);
    srtp_in_free(t->srtp_in);
    srtp_out_free(t->srtp_out);
    struct bot *b = t->bot;
    bool is_publish = t->is_publish;
    memset(t, 0, sizeof(*t));
    t->bot = b;
    t->is_publish = is_publish;
    t->fd = -1;
}

static void send_raw(struct bot_transport *t, const uint8_t *buf, size_t len)
{
    /* A full socket buffer on loopback drops the datagram, as a network would. */
    sendto(t->fd, buf, len, 0, (const struct sockaddr *)&t->remote, sizeof(t->remote));
}

static void send_binding(struct bot_transport *t)
{
    uint8_t out[256];
    char username[sizeof(t->remote_ufrag) + sizeof(t->local_ufrag) + 1];
    snprintf(username, sizeof(username), "%s:%s", t->remote_ufrag, t->local_ufrag);
    for (size_t i = 0; i < sizeof(t->txid); i++)
        t->txid[i] = (uint8_t)random();
    uint64_t tie = (uint64_t)random() << 32 | (uint64_t)random();
    /* Host candidate priority (RFC 8445 5.1.2.1): type 126, local 65535, component 1. */
    int n = stun_binding_request_write(out, sizeof(out), t->txid, username, 2130706431u, tie,
                                       true, (const uint8_t *)t->remote_pwd,
                                       strlen(t->remote_pwd));
    if (n > 0)
        send_raw(t, out, (size_t)n);
}

static void fail(struct bot_transport *t, const char *why)
{
    char text[160];
    snprintf(text, sizeof(text), "%s transport: %s", t->is_publish ? "publish" : "subscribe", why);
    t->state = TR_FAILED;
    bot_fail(t->bot, text);
}

static void flush_dtls(struct bot_transport *t)
{
    uint8_t out[2048];
    for (int i = 0; i < 64; i++) {
        int n = dtls_conn_poll_transmit(t->dtls, out, sizeof(out));
        if (n <= 0)
            return;
        send_raw(t, out, (size_t)n);
    }
}

void bot_transport_start(struct bot_transport *t, uint64_t now_us)
{
    if (t->state != TR_NONE)
        return;
    if (dtls_conn_set_remote_fingerprint(t->dtls, "sha-256", t->remote_fp) != 0) {
        fail(t, "bad fingerprint");
        return;
    }
    t->state = TR_ICE;
    t->stun_tries = 0;
    t->next_stun_us = now_us;
    bot_transport_timers(t, now_us);
}

void bot_transport_timers(struct bot_transport *t, uint64_t now_us)
{
    if (t->fd < 0 || t->state == TR_NONE || t->state == TR_FAILED)
        return;
    if (t->state == TR_DTLS && now_us >= dtls_conn_next_deadline_us(t->dtls)) {
        dtls_conn_handle_timeout(t->dtls, now_us);
        flush_dtls(t);
        if (dtls_conn_state(t->dtls) == DTLS_STATE_FAILED)
            fail(t, "DTLS handshake failed");
    }
    if (now_us < t->next_stun_us)
        return;
    if (t->state == TR_ICE && t->stun_tries >= STUN_MAX_TRIES) {
        fail(t, "no STUN answer");
        return;
    }
    if (t->state == TR_DTLS && t->stun_tries > DTLS_LIMIT_US / CONSENT_US + STUN_MAX_TRIES) {
        fail(t, "DTLS handshake timed out");
        return;
    }
    t->stun_tries++;
    send_binding(t);
    t->next_stun_us = now_us + (t->state != TR_ICE              ? CONSENT_US
                                : t->stun_tries < STUN_FAST_TRIES ? STUN_RETRY_US
                                                                  : STUN_SLOW_RETRY_US);
}

static void receive_stun(struct bot_transport *t, const uint8_t *buf, size_t len,
                         uint64_t now_us)
{
    struct stun_message m;
    if (stun_message_parse(&m, buf, len) != 0 || m.type != STUN_BINDING_SUCCESS ||
        t->state != TR_ICE || memcmp(m.txid, t->txid, sizeof(t->txid)) != 0)
        return;
    if (stun_message_check_integrity(&m, (const uint8_t *)t->remote_pwd,
                                     strlen(t->remote_pwd)) != 0) {
        fail(t, "STUN answer failed MESSAGE-INTEGRITY");
        return;
    }
    t->state = TR_DTLS;
    t->next_stun_us = now_us + CONSENT_US;
    if (dtls_conn_connect(t->dtls, now_us) != 0) {
        fail(t, "DTLS connect failed");
        return;
    }
    flush_dtls(t);
}

static void receive_dtls(struct bot_transport *t, const uint8_t *buf, size_t len,
                         uint64_t now_us)
{
    if (t->state != TR_DTLS && t->state != TR_UP)
        return;
    dtls_conn_receive(t->dtls, buf, len, now_us);
    flush_dtls(t);
    enum dtls_state st = dtls_conn_state(t->dtls);
    if (st == DTLS_STATE_FAILED) {
        fail(t, "DTLS failed");
        return;
    }
    if (t->state != TR_DTLS || st != DTLS_STATE_CONNECTED)
        return;
    struct srtp_keys keys;
    if (dtls_conn_srtp_keys(t->dtls, &keys) != 0 || !(t->srtp_in = srtp_in_new(&keys)) ||
        !(t->srtp_out = srtp_out_new(&keys))) {
        fail(t, "no SRTP keys");
        return;
    }
    t->state = TR_UP;
    bot_transport_up(t, now_us);
}

void bot_transport_receive(struct bot_transport *t, uint8_t *buf, size_t len, uint64_t now_us)
{
    struct bot *b = t->bot;
    if (len == 0)
        return;
    if (buf[0] <= 3) {
        receive_stun(t, buf, len, now_us);
    } else if (buf[0] >= 20 && buf[0] <= 63) {
        receive_dtls(t, buf, len, now_us);
    } else if (buf[0] >= 128 && buf[0] <= 191 && t->state == TR_UP) {
        bool rtcp = rtp_is_rtcp(buf, len);
        int rc = rtcp ? srtp_in_unprotect_rtcp(t->srtp_in, buf, &len)
                      : srtp_in_unprotect_rtp(t->srtp_in, buf, &len);
        if (rc != 0) {
            /* A replay is what a duplicate is; anything else is an error. */
            if (rc != -SQ_EREPLAY)
                b->proc->ctr->srtp_errors++;
            return;
        }
        if (rtcp && t->is_publish)
            bot_tx_rtcp(b, buf, len, now_us);
        else if (rtcp)
            bot_rx_rtcp(b, buf, len);
        else if (!t->is_publish)
            bot_rx_rtp(b, buf, len, now_us);
    }
}

int bot_transport_send_rtp(struct bot_transport *t, uint8_t *pkt, size_t len, size_t cap,
                           uint32_t roc)
{
    if (t->state != TR_UP || srtp_out_protect_rtp(t->srtp_out, pkt, &len, cap, roc) != 0)
        return -1;
    send_raw(t, pkt, len);
    return 0;
}

int bot_transport_send_rtcp(struct bot_transport *t, uint8_t *pkt, size_t len, size_t cap)
{
    if (t->state != TR_UP || srtp_out_protect_rtcp(t->srtp_out, pkt, &len, cap) != 0)
        return -1;
    send_raw(t, pkt, len);
    return 0;
}
