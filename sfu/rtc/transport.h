/* One peer connection (a "transport", DESIGN principle 4): ICE-lite, a DTLS
 * server, then SRTP in both directions, and the producers and consumers that
 * use it. It demultiplexes what arrives from its peer by the first byte
 * (RFC 7983) and is the only way anything is sent to that peer. */
#ifndef SABAQ_RTC_TRANSPORT_H
#define SABAQ_RTC_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sabaq/dtls.h"
#include "sabaq/srtp_session.h"
#include "sabaq/stun.h"
#include "rtc/datagram.h"
#include "rtc/demux.h"
#include "rtc/ice_lite.h"
#include "rtc/list.h"
#include "rtc/rtc_env.h"

struct producer;
struct consumer;
struct twcc_recorder;
struct bwe;

enum transport_state {
    TRANSPORT_NEW,               /* waiting for ICE and the DTLS handshake */
    TRANSPORT_CONNECTED,         /* SRTP keys in place */
    TRANSPORT_CLOSED,            /* consent lost or DTLS ended: silent until freed */
};

/* RFC 7983 sec. 7: what the first byte of a datagram says it is. */
enum transport_kind { TRANSPORT_PKT_STUN, TRANSPORT_PKT_DTLS, TRANSPORT_PKT_RTP,
                      TRANSPORT_PKT_UNKNOWN };

static inline enum transport_kind transport_classify(const uint8_t *buf, size_t len)
{
    if (len == 0)
        return TRANSPORT_PKT_UNKNOWN;
    if (buf[0] <= 3)
        return TRANSPORT_PKT_STUN;
    if (buf[0] >= 20 && buf[0] <= 63)
        return TRANSPORT_PKT_DTLS;
    if (buf[0] >= 128 && buf[0] <= 191)
        return TRANSPORT_PKT_RTP;
    return TRANSPORT_PKT_UNKNOWN;
}

struct transport {
    uint32_t id;
    struct rtc_env *env;         /* borrowed: the core outlives its transports */
    enum transport_state state;
    bool has_ice;                /* false when made pre-connected */
    struct ice_lite ice;
    struct demux_ufrag_node ufrag_node;
    struct demux_addr_node path_nodes[ICE_MAX_PATHS]; /* one per ICE path slot */
    struct dtls_conn *dtls;      /* owned; NULL when pre-connected or closed */
    struct srtp_in *srtp_in;     /* owned, once connected */
    struct srtp_out *srtp_out;   /* owned, once connected */
    uint32_t rtcp_ssrc;          /* sender SSRC of the RTCP we originate */
    struct list producers;       /* struct producer.transport_link */
    struct list consumers;       /* struct consumer.transport_link */
    struct list core_link;       /* in the core's list of all transports */
    struct list handshake_link;  /* in the core's list while DTLS runs */
    /* Transport-wide CC (publish side): made with the first producer that
     * negotiated it. */
    struct twcc_recorder *twcc;  /* owned */
    uint8_t twcc_ext_id;
    uint32_t twcc_media_ssrc;
    uint64_t next_twcc_us, next_report_us;
    /* What subscribers tell us about their downlink, stored for later use. */
    uint64_t remote_remb_bps;
    uint8_t remote_twcc_fb_count;
    uint64_t remote_twcc_packets;
    /* Subscribe side: the downlink estimate (bwe.h), made with the first
     * consumer; every RTP packet sent then carries a transport-wide seq. */
    struct bwe *bwe;             /* owned */
    /* The downlink bandwidth simulcast layer selection shares out
     * (rtc_core_transport_set_estimate_bps); 0 = use the bwe's estimate once it has one,
     * else no limit. */
    uint64_t estimate_bps;
};

/* A transport running ICE-lite with local ufrag/pwd and a DTLS server that
 * checks the peer's fingerprint. 0 or -SQ_EINVAL / -SQ_EEXIST (ufrag in use)
 * / -SQ_ENOMEM / -SQ_ECRYPTO. */
int transport_create(struct transport **out, struct rtc_env *env, uint32_t id, const char *ufrag,
                     const char *pwd, const char *fp_alg, const char *fp, uint64_t now_us);

/* Already connected to `remote` with these SRTP keys (bench/ and tests). */
int transport_create_connected(struct transport **out, struct rtc_env *env, uint32_t id,
                               const struct srtp_keys *keys, const struct sockaddr_storage *remote,
                               socklen_t remote_len, uint64_t now_us);

/* Sends a DTLS close_notify when connected and frees everything. Its
 * producers and consumers must have been freed first. */
void transport_free(struct transport *t);

/* Goes silent (CLOSED), leaves the demux tables and emits
 * SFU_EVENT_TRANSPORT_CLOSED with `reason`. Idempotent. */
void transport_close(struct transport *t, const char *reason);

/* ICE restart: new local credentials (ice_lite_restart), found by the new
 * ufrag from now on. DTLS, SRTP and the paths stay. 0, -SQ_EINVAL,
 * -SQ_EEXIST (another transport has that ufrag; nothing changes then) or
 * -SQ_ESTATE (closed, or made without ICE). */
int transport_restart_ice(struct transport *t, const char *ufrag, const char *pwd,
                          uint64_t now_us);

/* A Binding request whose USERNAME names this transport's ufrag. */
void transport_receive_stun(struct transport *t, const struct stun_message *m,
                            const struct sockaddr_storage *from, socklen_t from_len,
                            uint64_t now_us);

/* A DTLS/RTP/RTCP datagram from one of this transport's valid paths. The
 * buffer is decrypted in place. */
void transport_receive(struct transport *t, uint8_t *buf, size_t len, uint64_t now_us);

uint64_t transport_dtls_deadline_us(const struct transport *t);
void transport_handle_dtls_timeout(struct transport *t, uint64_t now_us);

/* The periodic tick: consent, then RTCP reports and feedback. */
void transport_tick(struct transport *t, uint64_t now_us);

/* The slot to write an outgoing packet into, NULL when the transport cannot
 * send (not connected, no path). Commit it with one of the two below, or
 * leave it: an uncommitted slot is simply reused. */
struct datagram *transport_tx_slot(struct transport *t);
/* Protects in place (SRTP with this ROC, or SRTCP) and commits to the
 * selected path. 0 or the protect error (the slot is then not sent). */
int transport_commit_rtp(struct transport *t, struct datagram *d, size_t len, uint32_t roc);
int transport_commit_rtcp(struct transport *t, struct datagram *d, size_t len);

struct producer *transport_find_producer(const struct transport *t, uint32_t ssrc, bool *is_rtx);
struct consumer *transport_find_consumer(const struct transport *t, uint32_t ssrc);

#endif
