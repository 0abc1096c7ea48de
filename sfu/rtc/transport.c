/* One peer connection (see transport.h): RFC 7983 demultiplexing of what
 * the peer sends, ICE-lite (ice_lite.c), the DTLS server (RFC 5763/5764:
 * Sabaq is always a=setup:passive, so DTLS server) and SRTP (RFC 3711) for
 * everything after it. */
#include "rtc/transport.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/clock.h"
#include "sabaq/error.h"
#include "sabaq/rtp.h"
#include "rtc/bwe.h"
#include "rtc/consumer.h"
#include "rtc/feedback.h"
#include "rtc/probe.h"
#include "rtc/producer.h"
#include "rtc/rtcp_handler.h"
#include "rtc/twcc_recorder.h"

static struct transport *alloc_transport(struct rtc_env *env, uint32_t id)
{
    struct transport *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->id = id;
    t->env = env;
    t->state = TRANSPORT_NEW;
    /* Any fixed value works for the RTCP we originate; deriving it from the
     * id keeps transports apart in captures. */
    t->rtcp_ssrc = (id * 2654435761u) ^ 0x5AB0C0DEu;
    list_init(&t->producers);
    list_init(&t->consumers);
    list_init(&t->core_link);
    list_init(&t->handshake_link);
    return t;
}

int transport_create(struct transport **out, struct rtc_env *env, uint32_t id, const char *ufrag,
                     const char *pwd, const char *fp_alg, const char *fp, uint64_t now_us)
{
    struct transport *t = alloc_transport(env, id);
    int rc;
    if (!t)
        return -SQ_ENOMEM;
    t->has_ice = true;
    rc = ice_lite_init(&t->ice, ufrag, pwd, env->consent_timeout_ms, now_us);
    if (rc < 0)
        goto fail;
    t->dtls = dtls_conn_new(env->cert, DTLS_ROLE_SERVER);
    if (!t->dtls) {
        rc = -SQ_ENOMEM;
        goto fail;
    }
    if (!fp_alg || !fp || (rc = dtls_conn_set_remote_fingerprint(t->dtls, fp_alg, fp)) < 0) {
        rc = rc < 0 ? rc : -SQ_EINVAL;
        goto fail;
    }
    rc = demux_add_ufrag(&env->demux, &t->ufrag_node, t->ice.ufrag, t);
    if (rc < 0)
        goto fail;
    *out = t;
    return 0;
fail:
    dtls_conn_free(t->dtls);
    free(t);
    return rc;
}

static int make_srtp(struct transport *t, const struct srtp_keys *keys)
{
    t->srtp_in = srtp_in_new(keys);
    t->srtp_out = srtp_out_new(keys);
    return t->srtp_in && t->srtp_out ? 0 : -SQ_ECRYPTO;
}

static void free_srtp(struct transport *t)
{
    if (t->srtp_in)
        srtp_in_free(t->srtp_in);
    if (t->srtp_out)
        srtp_out_free(t->srtp_out);
    t->srtp_in = NULL;
    t->srtp_out = NULL;
}

int transport_create_connected(struct transport **out, struct rtc_env *env, uint32_t id,
                               const struct srtp_keys *keys, const struct sockaddr_storage *remote,
                               socklen_t remote_len, uint64_t now_us)
{
    struct transport *t = alloc_transport(env, id);
    int rc;
    if (!t)
        return -SQ_ENOMEM;
    ice_lite_init_fixed(&t->ice, remote, remote_len);
    rc = make_srtp(t, keys);
    if (rc == 0)
        rc = demux_add_addr(&env->demux, &t->path_nodes[0], remote, remote_len, t);
    if (rc < 0) {
        free_srtp(t);
        free(t);
        return rc;
    }
    t->state = TRANSPORT_CONNECTED;
    t->next_twcc_us = now_us + FEEDBACK_TWCC_INTERVAL_US;
    t->next_report_us = now_us + FEEDBACK_REPORT_INTERVAL_US;
    *out = t;
    return 0;
}

static void leave_demux(struct transport *t)
{
    demux_remove_ufrag(&t->env->demux, &t->ufrag_node);
    for (size_t i = 0; i < ICE_MAX_PATHS; i++)
        demux_remove_addr(&t->env->demux, &t->path_nodes[i]);
}

/* Sends what DTLS has queued to the selected path. */
static void flush_dtls(struct transport *t)
{
    const struct ice_path *path = ice_lite_send_path(&t->ice);
    for (;;) {
        struct datagram *d = tx_batch_next(t->env->tx);
        int n = dtls_conn_poll_transmit(t->dtls, d->data, DATAGRAM_MAX);
        if (n <= 0)
            return;
        if (path)
            rtc_env_commit(t->env, (size_t)n, &path->addr, path->addr_len);
    }
}

void transport_free(struct transport *t)
{
    if (!t)
        return;
    if (t->dtls && t->state == TRANSPORT_CONNECTED) {
        dtls_conn_close(t->dtls);
        flush_dtls(t);
    }
    leave_demux(t);
    list_remove(&t->core_link);
    list_remove(&t->handshake_link);
    dtls_conn_free(t->dtls);
    free_srtp(t);
    twcc_recorder_free(t->twcc);
    bwe_free(t->bwe);
    free(t);
}

void transport_close(struct transport *t, const char *reason)
{
    if (t->state == TRANSPORT_CLOSED)
        return;
    t->state = TRANSPORT_CLOSED;
    leave_demux(t);
    list_remove(&t->handshake_link);
    dtls_conn_free(t->dtls);
    t->dtls = NULL;
    free_srtp(t);
    rtc_env_emit(t->env, SFU_EVENT_TRANSPORT_CLOSED, t->id, reason);
}

int transport_restart_ice(struct transport *t, const char *ufrag, const char *pwd,
                          uint64_t now_us)
{
    struct demux *d = &t->env->demux;
    if (!t->has_ice || t->state == TRANSPORT_CLOSED)
        return -SQ_ESTATE;
    if (!ufrag || !pwd)
        return -SQ_EINVAL;
    void *owner = demux_find_ufrag(d, (const uint8_t *)ufrag, strlen(ufrag));
    if (owner && owner != t)
        return -SQ_EEXIST;
    /* The node hashes the ufrag it points at (inside t->ice): unlink it
     * before that text changes. A refused restart links the old one again. */
    demux_remove_ufrag(d, &t->ufrag_node);
    int rc = ice_lite_restart(&t->ice, ufrag, pwd, now_us);
    int linked = demux_add_ufrag(d, &t->ufrag_node, t->ice.ufrag, t);
    return rc < 0 ? rc : linked;
}

void transport_receive_stun(struct transport *t, const struct stun_message *m,
                            const struct sockaddr_storage *from, socklen_t from_len,
                            uint64_t now_us)
{
    struct rtc_env *env = t->env;
    struct ice_lite_result res;
    if (t->state == TRANSPORT_CLOSED || !t->has_ice)
        return;
    struct datagram *d = tx_batch_next(env->tx);
    int rc = ice_lite_handle(&t->ice, m, from, from_len, now_us, d->data, DATAGRAM_MAX, &res);
    if (rc < 0) {
        env->stats.drop_stun_auth++;
        if (rc == -SQ_EAUTH && res.response_len)
            env->more.stun_error_sent++;
    }
    if (res.response_len)
        rtc_env_commit(env, res.response_len, from, from_len);
    if (rc == 0 && res.is_new_path)
        demux_add_addr(&env->demux, &t->path_nodes[res.path], from, from_len, t);
}

static void on_dtls_connected(struct transport *t, uint64_t now_us)
{
    struct srtp_keys keys;
    struct list *pos, *tmp;
    if (dtls_conn_srtp_keys(t->dtls, &keys) < 0 || make_srtp(t, &keys) < 0) {
        transport_close(t, "srtp setup failed");
        return;
    }
    t->state = TRANSPORT_CONNECTED;
    list_remove(&t->handshake_link);
    t->next_twcc_us = now_us + FEEDBACK_TWCC_INTERVAL_US;
    t->next_report_us = now_us + FEEDBACK_REPORT_INTERVAL_US;
    rtc_env_emit(t->env, SFU_EVENT_TRANSPORT_CONNECTED, t->id, srtp_profile_name(keys.profile));
    /* Video consumers made before the subscriber could receive need a
     * keyframe now. */
    list_for_each_safe(pos, tmp, &t->consumers) {
        struct consumer *c = list_entry(pos, struct consumer, transport_link);
        if (c->is_video)
            consumer_request_keyframe(c, now_us);
    }
}

static void check_dtls(struct transport *t, uint64_t now_us)
{
    switch (dtls_conn_state(t->dtls)) {
    case DTLS_STATE_CONNECTED:
        if (t->state == TRANSPORT_NEW)
            on_dtls_connected(t, now_us);
        break;
    case DTLS_STATE_FAILED:
        transport_close(t, "dtls failed");
        break;
    case DTLS_STATE_CLOSED:
        transport_close(t, "dtls closed");
        break;
    default:
        break;
    }
}

static void receive_dtls(struct transport *t, const uint8_t *buf, size_t len, uint64_t now_us)
{
    if (!t->dtls) {
        t->env->stats.drop_malformed_dtls++;
        return;
    }
    if (dtls_conn_receive(t->dtls, buf, len, now_us) < 0)
        t->env->stats.drop_malformed_dtls++;
    flush_dtls(t);
    check_dtls(t, now_us);
}

static void receive_rtp(struct transport *t, uint8_t *buf, size_t len, uint64_t now_us)
{
    struct sfu_stats *st = &t->env->stats;
    struct rtp_packet rtp;
    bool is_rtx = false;
    size_t n = len;
    int rc = srtp_in_unprotect_rtp(t->srtp_in, buf, &n);
    if (rc < 0) {
        if (rc == -SQ_EMALFORMED)
            st->drop_malformed_rtp++;
        else
            st->drop_srtp++;
        return;
    }
    if (rtp_packet_parse(&rtp, buf, n) < 0) {
        st->drop_malformed_rtp++;
        return;
    }
    struct producer *p = transport_find_producer(t, rtp.ssrc, &is_rtx);
    if (!p)
        p = producer_learn_ssrc(t, &rtp, &is_rtx);
    if (t->twcc && rtp.ext_profile) {
        const uint8_t *v;
        size_t vlen;
        if (rtp_packet_find_ext(&rtp, t->twcc_ext_id, &v, &vlen) == 1 && vlen == 2)
            feedback_record_twcc(t, (uint16_t)(v[0] << 8 | v[1]), now_us);
    }
    if (!p) {
        st->drop_unknown_ssrc++;
        return;
    }
    producer_receive_rtp(p, buf, n, &rtp, is_rtx, now_us);
}

static void receive_rtcp(struct transport *t, uint8_t *buf, size_t len, uint64_t now_us)
{
    size_t n = len;
    int rc = srtp_in_unprotect_rtcp(t->srtp_in, buf, &n);
    if (rc < 0) {
        if (rc == -SQ_EMALFORMED)
            t->env->stats.drop_malformed_rtcp++;
        else
            t->env->stats.drop_srtp++;
        return;
    }
    rtcp_handler_receive(t, buf, n, now_us);
}

void transport_receive(struct transport *t, uint8_t *buf, size_t len, uint64_t now_us)
{
    struct sfu_stats *st = &t->env->stats;
    switch (transport_classify(buf, len)) {
    case TRANSPORT_PKT_DTLS:
        st->rx_dtls++;
        receive_dtls(t, buf, len, now_us);
        return;
    case TRANSPORT_PKT_RTP:
        if (rtp_is_rtcp(buf, len)) {
            st->rx_rtcp++;
            if (t->state != TRANSPORT_CONNECTED)
                st->drop_srtp++;
            else
                receive_rtcp(t, buf, len, now_us);
        } else {
            st->rx_rtp++;
            if (t->state != TRANSPORT_CONNECTED)
                st->drop_srtp++;
            else
                receive_rtp(t, buf, len, now_us);
        }
        return;
    default:
        st->drop_not_demuxable++;
        return;
    }
}

uint64_t transport_dtls_deadline_us(const struct transport *t)
{
    return t->dtls && t->state == TRANSPORT_NEW ? dtls_conn_next_deadline_us(t->dtls) : SQ_NEVER;
}

void transport_handle_dtls_timeout(struct transport *t, uint64_t now_us)
{
    if (!t->dtls || t->state != TRANSPORT_NEW)
        return;
    dtls_conn_handle_timeout(t->dtls, now_us);
    flush_dtls(t);
    check_dtls(t, now_us);
}

void transport_tick(struct transport *t, uint64_t now_us)
{
    if (t->state == TRANSPORT_CLOSED)
        return;
    if (t->has_ice && now_us >= ice_lite_consent_deadline_us(&t->ice)) {
        transport_close(t, "consent expired");
        return;
    }
    if (t->state != TRANSPORT_CONNECTED)
        return;
    feedback_tick(t, now_us);
    probe_tick(t, now_us);
    /* Speakers whose packets stopped altogether stop speaking too. */
    struct list *pos, *tmp;
    list_for_each_safe(pos, tmp, &t->producers) {
        struct producer *p = list_entry(pos, struct producer, transport_link);
        speaking_tick(&p->speaking, t->env, p->id, now_us);
    }
}

struct datagram *transport_tx_slot(struct transport *t)
{
    if (t->state != TRANSPORT_CONNECTED || !ice_lite_send_path(&t->ice))
        return NULL;
    return tx_batch_next(t->env->tx);
}

int transport_commit_rtp(struct transport *t, struct datagram *d, size_t len, uint32_t roc)
{
    const struct ice_path *path = ice_lite_send_path(&t->ice);
    int rc = srtp_out_protect_rtp(t->srtp_out, d->data, &len, DATAGRAM_MAX, roc);
    if (rc < 0)
        return rc;
    if (t->bwe)
        bwe_on_sent(t->bwe, t->env->now_us, len); /* it carries bwe_next_seq() */
    rtc_env_commit(t->env, len, &path->addr, path->addr_len);
    return 0;
}

int transport_commit_rtcp(struct transport *t, struct datagram *d, size_t len)
{
    const struct ice_path *path = ice_lite_send_path(&t->ice);
    int rc = srtp_out_protect_rtcp(t->srtp_out, d->data, &len, DATAGRAM_MAX);
    if (rc < 0)
        return rc;
    rtc_env_commit(t->env, len, &path->addr, path->addr_len);
    return 0;
}

struct producer *transport_find_producer(const struct transport *t, uint32_t ssrc, bool *is_rtx)
{
    struct list *pos, *tmp;
    list_for_each_safe(pos, tmp, &t->producers) {
        struct producer *p = list_entry(pos, struct producer, transport_link);
        if (producer_has_ssrc(p, ssrc, is_rtx))
            return p;
    }
    return NULL;
}

struct consumer *transport_find_consumer(const struct transport *t, uint32_t ssrc)
{
    struct list *pos, *tmp;
    list_for_each_safe(pos, tmp, &t->consumers) {
        struct consumer *c = list_entry(pos, struct consumer, transport_link);
        if (c->out.ssrc == ssrc)
            return c;
    }
    return NULL;
}
