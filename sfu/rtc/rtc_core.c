/* One worker's media plane (see rtc_core.h): the id tables behind the
 * commands, the entry point for received datagrams, and the timers. Timers
 * are one periodic tick (RTC_CORE_TICK_US) that visits every transport for
 * consent and RTCP, plus the DTLS retransmission timers of the transports
 * still handshaking, so the next deadline costs O(handshaking) not
 * O(transports). */
#include "rtc/rtc_core.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/clock.h"
#include "sabaq/error.h"
#include "sabaq/stun.h"
#include "record/record_tap.h"
#include "rtc/bwe.h"
#include "rtc/consumer.h"
#include "rtc/idmap.h"
#include "rtc/producer.h"
#include "rtc/rtc_env.h"
#include "rtc/transport.h"

#define RTC_CORE_TICK_US 20000
/* Simulcast layer choice and the wanted-layers report, every few ticks. */
#define RTC_CORE_LAYER_TICK_US 100000

struct rtc_core {
    struct rtc_env env;
    struct idmap transports, producers, consumers;
    struct list all;             /* struct transport.core_link */
    struct list handshaking;     /* struct transport.handshake_link */
    uint64_t next_tick_us;
    uint64_t next_layer_tick_us;
};

struct rtc_core *rtc_core_new(const struct rtc_core_config *cfg)
{
    if (!cfg || !cfg->tx || !cfg->tx->flush || !cfg->tx->cap)
        return NULL;
    struct rtc_core *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->env.tx = cfg->tx;
    c->env.cert = cfg->cert;
    c->env.consent_timeout_ms = cfg->consent_timeout_ms ? cfg->consent_timeout_ms : 30000;
    c->env.wallclock_offset_us = cfg->wallclock_offset_us;
    c->env.emit = cfg->emit;
    c->env.emit_arg = cfg->emit_arg;
    c->env.record_tap = cfg->record_tap;
    c->env.twcc_scratch = malloc(sizeof(*c->env.twcc_scratch));
    list_init(&c->all);
    list_init(&c->handshaking);
    c->next_tick_us = SQ_NEVER;
    if (!c->env.twcc_scratch || demux_init(&c->env.demux, (uint32_t)(uintptr_t)c ^ 0x9E3779B9u) < 0 ||
        idmap_init(&c->transports) < 0 || idmap_init(&c->producers) < 0 ||
        idmap_init(&c->consumers) < 0) {
        rtc_core_free(c);
        return NULL;
    }
    return c;
}

static void free_transport(struct rtc_core *c, struct transport *t)
{
    struct list *pos, *tmp;
    list_for_each_safe(pos, tmp, &t->consumers) {
        struct consumer *k = list_entry(pos, struct consumer, transport_link);
        idmap_remove(&c->consumers, k->id);
        consumer_free(k);
    }
    list_for_each_safe(pos, tmp, &t->producers) {
        struct producer *p = list_entry(pos, struct producer, transport_link);
        idmap_remove(&c->producers, p->id);
        producer_free(p);
    }
    idmap_remove(&c->transports, t->id);
    transport_free(t);
}

void rtc_core_free(struct rtc_core *c)
{
    struct list *pos, *tmp;
    if (!c)
        return;
    list_for_each_safe(pos, tmp, &c->all)
        free_transport(c, list_entry(pos, struct transport, core_link));
    idmap_destroy(&c->transports);
    idmap_destroy(&c->producers);
    idmap_destroy(&c->consumers);
    demux_destroy(&c->env.demux);
    free(c->env.twcc_scratch);
    free(c);
}

/* STUN is matched by the ufrag in USERNAME, not by address: that is how a
 * peer's first check finds its transport (and how a new path is learnt). */
static void receive_stun(struct rtc_core *c, const uint8_t *buf, size_t len,
                         const struct sockaddr_storage *from, socklen_t from_len, uint64_t now_us)
{
    struct stun_message m;
    const uint8_t *local, *remote;
    size_t local_len, remote_len;
    c->env.stats.rx_stun++;
    if (stun_message_parse(&m, buf, len) < 0) {
        c->env.stats.drop_malformed_stun++;
        return;
    }
    if (m.type != STUN_BINDING_REQUEST)
        return;                  /* indications (keepalives) and stray responses */
    if (!m.username || stun_username_split(&m, &local, &local_len, &remote, &remote_len) < 0) {
        c->env.stats.drop_stun_auth++;
        return;
    }
    struct transport *t = demux_find_ufrag(&c->env.demux, local, local_len);
    if (!t) {
        c->env.stats.drop_stun_auth++;
        return;
    }
    transport_receive_stun(t, &m, from, from_len, now_us);
}

void rtc_core_receive(struct rtc_core *c, uint8_t *buf, size_t len,
                      const struct sockaddr_storage *from, socklen_t from_len, uint64_t now_us)
{
    c->env.now_us = now_us;
    c->env.stats.rx_packets++;
    c->env.stats.rx_bytes += len;
    enum transport_kind kind = transport_classify(buf, len);
    if (kind == TRANSPORT_PKT_UNKNOWN) {
        c->env.stats.drop_not_demuxable++;
        return;
    }
    if (kind == TRANSPORT_PKT_STUN) {
        receive_stun(c, buf, len, from, from_len, now_us);
        return;
    }
    struct transport *t = demux_find_addr(&c->env.demux, from, from_len);
    if (!t) {
        c->env.stats.drop_unknown_source++;
        return;
    }
    transport_receive(t, buf, len, now_us);
}

uint64_t rtc_core_next_deadline_us(const struct rtc_core *c)
{
    uint64_t next = c->next_tick_us;
    struct list *pos, *tmp;
    list_for_each_safe(pos, tmp, &c->handshaking) {
        uint64_t d = transport_dtls_deadline_us(list_entry(pos, struct transport, handshake_link));
        if (d < next)
            next = d;
    }
    return next;
}

/* Every subscriber chooses its layers first, then each producer sums up
 * which of its layers someone wants. */
static void layer_tick(struct rtc_core *c, uint64_t now_us)
{
    struct list *pos, *tmp, *ppos, *ptmp;
    list_for_each_safe(pos, tmp, &c->all)
        consumer_simulcast_update(list_entry(pos, struct transport, core_link), now_us);
    list_for_each_safe(pos, tmp, &c->all) {
        struct transport *t = list_entry(pos, struct transport, core_link);
        list_for_each_safe(ppos, ptmp, &t->producers)
            producer_tick_layers(list_entry(ppos, struct producer, transport_link), now_us);
    }
}

void rtc_core_handle_timeouts(struct rtc_core *c, uint64_t now_us)
{
    struct list *pos, *tmp;
    c->env.now_us = now_us;
    list_for_each_safe(pos, tmp, &c->handshaking) {
        struct transport *t = list_entry(pos, struct transport, handshake_link);
        if (transport_dtls_deadline_us(t) <= now_us)
            transport_handle_dtls_timeout(t, now_us);
    }
    if (now_us < c->next_tick_us)
        return;
    list_for_each_safe(pos, tmp, &c->all)
        transport_tick(list_entry(pos, struct transport, core_link), now_us);
    if (now_us >= c->next_layer_tick_us) {
        c->next_layer_tick_us = now_us + RTC_CORE_LAYER_TICK_US;
        layer_tick(c, now_us);
    }
    c->next_tick_us = list_is_empty(&c->all) ? SQ_NEVER : now_us + RTC_CORE_TICK_US;
}

static void added_transport(struct rtc_core *c, struct transport *t, uint64_t now_us)
{
    list_add_tail(&c->all, &t->core_link);
    if (t->state == TRANSPORT_NEW)
        list_add_tail(&c->handshaking, &t->handshake_link);
    if (c->next_tick_us == SQ_NEVER)
        c->next_tick_us = now_us + RTC_CORE_TICK_US;
}

int rtc_core_transport_create(struct rtc_core *c, uint32_t transport_id, const char *local_ufrag,
                              const char *local_pwd, const char *remote_fp_alg,
                              const char *remote_fp, uint64_t now_us)
{
    struct transport *t;
    if (idmap_get(&c->transports, transport_id))
        return -SQ_EEXIST;
    int rc = transport_create(&t, &c->env, transport_id, local_ufrag, local_pwd, remote_fp_alg,
                              remote_fp, now_us);
    if (rc < 0)
        return rc;
    rc = idmap_put(&c->transports, transport_id, t);
    if (rc < 0) {
        transport_free(t);
        return rc;
    }
    added_transport(c, t, now_us);
    return 0;
}

int rtc_core_transport_create_connected(struct rtc_core *c, uint32_t transport_id,
                                        const struct srtp_keys *keys,
                                        const struct sockaddr_storage *remote, socklen_t remote_len,
                                        uint64_t now_us)
{
    struct transport *t;
    if (idmap_get(&c->transports, transport_id))
        return -SQ_EEXIST;
    int rc = transport_create_connected(&t, &c->env, transport_id, keys, remote, remote_len, now_us);
    if (rc < 0)
        return rc;
    rc = idmap_put(&c->transports, transport_id, t);
    if (rc < 0) {
        transport_free(t);
        return rc;
    }
    added_transport(c, t, now_us);
    return 0;
}

int rtc_core_transport_close(struct rtc_core *c, uint32_t transport_id)
{
    struct transport *t = idmap_get(&c->transports, transport_id);
    if (!t)
        return -SQ_ENOTFOUND;
    free_transport(c, t);
    if (list_is_empty(&c->all))
        c->next_tick_us = SQ_NEVER;
    return 0;
}

int rtc_core_producer_create(struct rtc_core *c, uint32_t producer_id, uint32_t transport_id,
                             const struct sdp_track *track, uint64_t now_us)
{
    struct transport *t = idmap_get(&c->transports, transport_id);
    struct producer *p;
    if (!t)
        return -SQ_ENOTFOUND;
    if (idmap_get(&c->producers, producer_id))
        return -SQ_EEXIST;
    int rc = producer_create(&p, t, producer_id, track, now_us);
    if (rc < 0)
        return rc;
    rc = idmap_put(&c->producers, producer_id, p);
    if (rc < 0)
        producer_free(p);
    return rc;
}

int rtc_core_producer_close(struct rtc_core *c, uint32_t producer_id)
{
    struct producer *p = idmap_remove(&c->producers, producer_id);
    if (!p)
        return -SQ_ENOTFOUND;
    producer_free(p);
    return 0;
}

int rtc_core_producer_set_paused(struct rtc_core *c, uint32_t producer_id, bool paused)
{
    struct producer *p = idmap_get(&c->producers, producer_id);
    if (!p)
        return -SQ_ENOTFOUND;
    producer_set_paused(p, paused);
    return 0;
}

int rtc_core_producer_request_keyframe(struct rtc_core *c, uint32_t producer_id, uint64_t now_us)
{
    struct producer *p = idmap_get(&c->producers, producer_id);
    if (!p)
        return -SQ_ENOTFOUND;
    int rc = producer_request_keyframe(p, now_us);
    return rc < 0 ? rc : 0;
}

int rtc_core_consumer_create(struct rtc_core *c, uint32_t consumer_id, uint32_t transport_id,
                             uint32_t producer_id, const struct sdp_outgoing *out, uint64_t now_us)
{
    struct transport *t = idmap_get(&c->transports, transport_id);
    struct producer *p = producer_id ? idmap_get(&c->producers, producer_id) : NULL;
    struct consumer *k;
    if (!t || (producer_id && !p))
        return -SQ_ENOTFOUND;
    if (idmap_get(&c->consumers, consumer_id))
        return -SQ_EEXIST;
    int rc = consumer_create(&k, t, p, consumer_id, out, now_us);
    if (rc < 0)
        return rc;
    if (!t->bwe)
        t->bwe = bwe_new(now_us); /* NULL (no memory): it just sends without transport-cc */
    rc = idmap_put(&c->consumers, consumer_id, k);
    if (rc < 0)
        consumer_free(k);
    return rc;
}

int rtc_core_producer_set_recorded(struct rtc_core *c, uint32_t producer_id, bool on,
                                   uint64_t now_us)
{
    struct producer *p = idmap_get(&c->producers, producer_id);
    if (!p)
        return -SQ_ENOTFOUND;
    c->env.now_us = now_us;
    record_tap_producer(p, on, now_us);
    return 0;
}

void rtc_core_set_record_tap(struct rtc_core *c, struct record_tap *tap)
{
    c->env.record_tap = tap;
}

int rtc_core_consumer_close(struct rtc_core *c, uint32_t consumer_id)
{
    struct consumer *k = idmap_remove(&c->consumers, consumer_id);
    if (!k)
        return -SQ_ENOTFOUND;
    consumer_free(k);
    return 0;
}

int rtc_core_consumer_set_producer(struct rtc_core *c, uint32_t consumer_id, uint32_t producer_id,
                                   uint64_t now_us)
{
    struct consumer *k = idmap_get(&c->consumers, consumer_id);
    struct producer *p = producer_id ? idmap_get(&c->producers, producer_id) : NULL;
    if (!k || (producer_id && !p))
        return -SQ_ENOTFOUND;
    return consumer_set_producer(k, p, now_us);
}

int rtc_core_consumer_set_preferred_size(struct rtc_core *c, uint32_t consumer_id, uint16_t width,
                                         uint16_t height, uint64_t now_us)
{
    struct consumer *k = idmap_get(&c->consumers, consumer_id);
    if (!k)
        return -SQ_ENOTFOUND;
    return consumer_set_preferred_size(k, width, height, now_us);
}

int rtc_core_transport_set_estimate_bps(struct rtc_core *c, uint32_t transport_id,
                                        uint64_t bps, uint64_t now_us)
{
    struct transport *t = idmap_get(&c->transports, transport_id);
    if (!t)
        return -SQ_ENOTFOUND;
    t->estimate_bps = bps;
    consumer_simulcast_update(t, now_us);
    return 0;
}

struct bwe *rtc_core_transport_bwe(struct rtc_core *c, uint32_t transport_id)
{
    struct transport *t = idmap_get(&c->transports, transport_id);
    return t ? t->bwe : NULL;
}

const struct rtc_counters *rtc_core_counters(const struct rtc_core *c)
{
    return &c->env.more;
}

void rtc_core_stats(const struct rtc_core *c, struct sfu_stats *out)
{
    *out = c->env.stats;
    out->transports = c->transports.n;
    out->producers = c->producers.n;
    out->consumers = c->consumers.n;
}
