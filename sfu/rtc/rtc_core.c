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
#include "rtc/mesh.h"
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
    /* Holds the mirrors of other workers' producers (rtc/mesh.h): never
     * connected, never ticked as a transport, sends nothing. */
    struct transport mirror_host;
    size_t n_mirrors;
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
    c->mirror_host.env = &c->env;
    c->mirror_host.state = TRANSPORT_CLOSED;
    list_init(&c->mirror_host.producers);
    list_init(&c->mirror_host.consumers);
    c->next_tick_us = SQ_NEVER;
    uint32_t seed = (uint32_t)(uintptr_t)c ^ 0x9E3779B9u;
    if (!c->env.twcc_scratch || demux_init(&c->env.demux, seed) < 0 ||
        mesh_init(&c->env.mesh, cfg->mesh, cfg->mesh_arg, cfg->worker_index, seed * 2654435761u) < 0 ||
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
    if (c->mirror_host.env) {
        list_for_each_safe(pos, tmp, &c->mirror_host.producers) {
            struct producer *p = list_entry(pos, struct producer, transport_link);
            idmap_remove(&c->producers, p->id);
            producer_free(p);
        }
    }
    mesh_destroy(&c->env.mesh);
    idmap_destroy(&c->transports);
    idmap_destroy(&c->producers);
    idmap_destroy(&c->consumers);
    demux_destroy(&c->env.demux);
    free(c->env.twcc_scratch);
    free(c);
}

static bool forward(struct rtc_core *c, unsigned worker, const uint8_t *buf, size_t len,
                    const struct sockaddr_storage *from, socklen_t from_len);

/* STUN is matched by the ufrag in USERNAME, not by address: that is how a
 * peer's first check finds its transport (and how a new path is learnt). */
static void receive_stun(struct rtc_core *c, const uint8_t *buf, size_t len,
                         const struct sockaddr_storage *from, socklen_t from_len, int from_worker,
                         uint64_t now_us)
{
    struct stun_message m;
    const uint8_t *local, *remote;
    size_t local_len, remote_len;
    if (from_worker < 0)
        c->env.stats.rx_stun++;  /* a forwarded one was counted where it arrived */
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
        int w = from_worker < 0 ? mesh_find_ufrag(&c->env.mesh, local, local_len) : -1;
        if (w >= 0 && forward(c, (unsigned)w, buf, len, from, from_len))
            return;
        c->env.stats.drop_stun_auth++;
        return;
    }
    transport_receive_stun(t, &m, from, from_len, now_us);
    /* Valid checks from a path another worker's socket receives: that
     * worker forwards the path's datagrams from now on (and again after
     * each consent check, which keeps its route fresh). */
    if (from_worker >= 0 && demux_find_addr(&c->env.demux, from, from_len) == t) {
        c->env.mesh.claims++;
        c->env.mesh.ops->claim(c->env.mesh.arg, (unsigned)from_worker, from, from_len);
    }
}

/* Hands a datagram to the worker whose transport it belongs to: false when
 * that is this one (a stale route) or there is no mesh. */
static bool forward(struct rtc_core *c, unsigned worker, const uint8_t *buf, size_t len,
                    const struct sockaddr_storage *from, socklen_t from_len)
{
    struct mesh *m = &c->env.mesh;
    if (!m->ops || worker == m->self) {
        m->drop_loop++;
        return false;
    }
    m->forwarded++;
    m->ops->forward(m->arg, worker, buf, len, from, from_len);
    return true;
}

/* from_worker: -1 from this worker's socket, else the worker that received
 * and forwarded it (which is never forwarded again). */
static void receive(struct rtc_core *c, uint8_t *buf, size_t len,
                    const struct sockaddr_storage *from, socklen_t from_len, int from_worker,
                    uint64_t now_us)
{
    c->env.now_us = now_us;
    if (from_worker < 0) {
        c->env.stats.rx_packets++;
        c->env.stats.rx_bytes += len;
    }
    enum transport_kind kind = transport_classify(buf, len);
    if (kind == TRANSPORT_PKT_UNKNOWN) {
        c->env.stats.drop_not_demuxable++;
        return;
    }
    if (kind == TRANSPORT_PKT_STUN) {
        receive_stun(c, buf, len, from, from_len, from_worker, now_us);
        return;
    }
    struct transport *t = demux_find_addr(&c->env.demux, from, from_len);
    if (!t) {
        int w = from_worker < 0 ? mesh_find_addr(&c->env.mesh, from, from_len) : -1;
        if (w >= 0 && forward(c, (unsigned)w, buf, len, from, from_len))
            return;
        c->env.stats.drop_unknown_source++;
        return;
    }
    transport_receive(t, buf, len, now_us);
}

void rtc_core_receive(struct rtc_core *c, uint8_t *buf, size_t len,
                      const struct sockaddr_storage *from, socklen_t from_len, uint64_t now_us)
{
    receive(c, buf, len, from, from_len, -1, now_us);
}

void rtc_core_receive_forwarded(struct rtc_core *c, uint8_t *buf, size_t len,
                                const struct sockaddr_storage *from, socklen_t from_len,
                                unsigned from_worker, uint64_t now_us)
{
    if (!c->env.mesh.ops)
        return;
    receive(c, buf, len, from, from_len, (int)from_worker, now_us);
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
    list_for_each_safe(ppos, ptmp, &c->mirror_host.producers)
        producer_tick_layers(list_entry(ppos, struct producer, transport_link), now_us);
}

/* Mirrors are not on a transport that ticks: their keyframe requests (to
 * the owner) wait for the rate limit here, and stale claims expire. */
static void mesh_tick(struct rtc_core *c, uint64_t now_us)
{
    struct list *pos, *tmp;
    list_for_each_safe(pos, tmp, &c->mirror_host.producers)
        producer_flush_keyframe_requests(list_entry(pos, struct producer, transport_link), now_us);
    mesh_expire(&c->env.mesh, now_us);
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
    mesh_tick(c, now_us);
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

int rtc_core_transport_restart_ice(struct rtc_core *c, uint32_t transport_id, const char *local_ufrag,
                                   const char *local_pwd, uint64_t now_us)
{
    struct transport *t = idmap_get(&c->transports, transport_id);
    if (!t)
        return -SQ_ENOTFOUND;
    return transport_restart_ice(t, local_ufrag, local_pwd, now_us);
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
    if (p->is_mirror)
        c->n_mirrors--;
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
    out->producers = c->producers.n - c->n_mirrors;
    out->consumers = c->consumers.n;
}

/* ---- Cross-worker parts (rtc/mesh.h) ----------------------------------- */

int rtc_core_mirror_create(struct rtc_core *c, uint32_t producer_id, unsigned owner,
                           const struct sdp_track *track, uint64_t now_us)
{
    struct producer *p;
    if (owner >= MESH_MAX_WORKERS || owner == c->env.mesh.self)
        return -SQ_EINVAL;
    if (idmap_get(&c->producers, producer_id))
        return -SQ_EEXIST;
    /* Transport-wide CC is the publisher's transport's business, on the owner. */
    struct sdp_track copy = *track;
    copy.feedback &= ~SDP_FB_TRANSPORT_CC;
    int rc = producer_create(&p, &c->mirror_host, producer_id, &copy, now_us);
    if (rc < 0)
        return rc;
    p->is_mirror = true;
    p->owner_worker = (uint8_t)owner;
    rc = idmap_put(&c->producers, producer_id, p);
    if (rc < 0) {
        producer_free(p);
        return rc;
    }
    c->n_mirrors++;
    return 0;
}

int rtc_core_producer_share(struct rtc_core *c, uint32_t producer_id, unsigned worker, bool on)
{
    struct producer *p = idmap_get(&c->producers, producer_id);
    if (!p || p->is_mirror)
        return -SQ_ENOTFOUND;
    if (worker >= MESH_MAX_WORKERS || worker == c->env.mesh.self)
        return -SQ_EINVAL;
    if (on)
        p->mesh_workers |= 1u << worker;
    else
        p->mesh_workers &= ~(1u << worker);
    return 0;
}

int rtc_core_mirror_receive(struct rtc_core *c, uint32_t producer_id, const uint8_t *buf,
                            size_t len, uint8_t layer, uint64_t now_us)
{
    struct producer *p = idmap_get(&c->producers, producer_id);
    struct rtp_packet rtp;
    c->env.now_us = now_us;
    if (!p || !p->is_mirror || layer >= p->n_layers)
        return -SQ_ENOTFOUND;
    if (rtp_packet_parse(&rtp, buf, len) < 0)
        return -SQ_EMALFORMED;
    /* The owner bound the SSRC to the layer; the mirror follows. */
    p->layers[layer].ssrc = rtp.ssrc;
    /* Not RTX, so the producer never writes into the buffer, which other
     * workers may be reading at the same time. */
    producer_receive_rtp(p, (uint8_t *)(uintptr_t)buf, len, &rtp, false, now_us);
    return 0;
}

int rtc_core_mirror_sender_report(struct rtc_core *c, uint32_t producer_id,
                                  const struct rtcp_sender_report *sr, uint64_t now_us)
{
    struct producer *p = idmap_get(&c->producers, producer_id);
    if (!p || !p->is_mirror)
        return -SQ_ENOTFOUND;
    producer_on_sender_report(p, sr, now_us);
    return 0;
}

int rtc_core_remote_keyframe(struct rtc_core *c, uint32_t producer_id, uint8_t layer,
                             uint64_t now_us)
{
    struct producer *p = idmap_get(&c->producers, producer_id);
    c->env.now_us = now_us;
    if (!p || p->is_mirror || layer >= p->n_layers)
        return -SQ_ENOTFOUND;
    int rc = producer_request_layer_keyframe(p, layer, now_us);
    /* Not sendable yet (SSRC still unknown): the tick sends it once it is. */
    if (rc < 0)
        p->layers[layer].wants_keyframe = true;
    return rc < 0 ? rc : 0;
}

int rtc_core_remote_wanted(struct rtc_core *c, uint32_t producer_id, uint8_t layers,
                           uint64_t now_us)
{
    struct producer *p = idmap_get(&c->producers, producer_id);
    if (!p || p->is_mirror)
        return -SQ_ENOTFOUND;
    for (uint8_t i = 0; i < p->n_layers; i++)
        if (layers & (1u << i))
            p->layers[i].wanted_us = now_us;
    return 0;
}

bool rtc_core_owns_producer(const struct rtc_core *c, uint32_t producer_id)
{
    const struct producer *p = idmap_get(&c->producers, producer_id);
    return p && !p->is_mirror;
}

int rtc_core_route_ufrag(struct rtc_core *c, const char *ufrag, unsigned worker)
{
    return mesh_route_ufrag(&c->env.mesh, ufrag, worker);
}

void rtc_core_unroute_ufrag(struct rtc_core *c, const char *ufrag)
{
    mesh_unroute_ufrag(&c->env.mesh, ufrag);
}

int rtc_core_route_addr(struct rtc_core *c, const struct sockaddr_storage *a, socklen_t len,
                        unsigned worker, bool is_static, uint64_t now_us)
{
    if (worker == c->env.mesh.self)
        return -SQ_EINVAL;
    return mesh_route_addr(&c->env.mesh, a, len, worker, is_static, now_us);
}

const struct mesh *rtc_core_mesh(const struct rtc_core *c)
{
    return &c->env.mesh;
}
