/* Simulated network for rtc_core tests (see sim.h). */
#include "sim.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/demux.h"

static void capture(struct tx_batch *b, void *arg)
{
    struct sim *s = arg;
    for (size_t i = 0; i < b->n; i++) {
        if (s->n_pending == s->cap_pending) {
            size_t cap = s->cap_pending ? s->cap_pending * 2 : 256;
            struct sim_pending *p = realloc(s->pending, cap * sizeof(*p));
            if (!p)
                abort();
            s->pending = p;
            s->cap_pending = cap;
        }
        struct sim_pending *p = &s->pending[s->n_pending++];
        p->to = b->slots[i].to;
        p->to_len = b->slots[i].to_len;
        p->len = b->slots[i].len;
        memcpy(p->data, b->slots[i].data, p->len);
        s->n_sent++;
    }
    b->n = 0;
}

static void record_event(void *arg, const struct sfu_event *ev)
{
    struct sim *s = arg;
    if (s->n_events < SIM_MAX_EVENTS)
        s->events[s->n_events++] = *ev;
}

int sim_init(struct sim *s, uint32_t consent_timeout_ms)
{
    memset(s, 0, sizeof(*s));
    s->now_us = 1000000;
    s->cert = dtls_cert_generate();
    if (!s->cert)
        return -1;
    s->tx.slots = s->slots;
    s->tx.cap = SIM_TX_SLOTS;
    s->tx.flush = capture;
    s->tx.flush_arg = s;
    struct rtc_core_config cfg = {
        .cert = s->cert,
        .tx = &s->tx,
        .consent_timeout_ms = consent_timeout_ms,
        .emit = record_event,
        .emit_arg = s,
    };
    s->core = rtc_core_new(&cfg);
    return s->core ? 0 : -1;
}

void sim_destroy(struct sim *s)
{
    rtc_core_free(s->core);
    dtls_cert_free(s->cert);
    free(s->pending);
    memset(s, 0, sizeof(*s));
}

void sim_add_peer(struct sim *s, struct sim_peer *p)
{
    if (s->n_peers < SIM_MAX_PEERS)
        s->peers[s->n_peers++] = p;
}

static struct sim_peer *peer_at(struct sim *s, const struct sockaddr_storage *a, socklen_t len)
{
    uint8_t k1[DEMUX_KEY_LEN], k2[DEMUX_KEY_LEN];
    if (demux_addr_key(k1, a, len) < 0)
        return NULL;
    for (size_t i = 0; i < s->n_peers; i++)
        if (demux_addr_key(k2, &s->peers[i]->addr, s->peers[i]->addr_len) == 0 &&
            memcmp(k1, k2, sizeof k1) == 0)
            return s->peers[i];
    return NULL;
}

void sim_deliver(struct sim *s)
{
    for (int round = 0; round < 1000; round++) {
        bool moved = false;
        tx_batch_flush(&s->tx);
        /* Peers may answer while we walk: take the batch first. */
        size_t n = s->n_pending;
        struct sim_pending *batch = s->pending;
        s->pending = NULL;
        s->n_pending = s->cap_pending = 0;
        for (size_t i = 0; i < n; i++) {
            struct sim_peer *p = peer_at(s, &batch[i].to, batch[i].to_len);
            if (p)
                sim_peer_receive(p, batch[i].data, batch[i].len, s->now_us);
            else
                s->n_unroutable++;
            moved = true;
        }
        free(batch);
        for (size_t i = 0; i < s->n_peers; i++) {
            struct sim_peer *p = s->peers[i];
            for (size_t j = 0; j < p->n_out; j++) {
                rtc_core_receive(s->core, p->out[j].data, p->out[j].len, &p->addr, p->addr_len,
                                 s->now_us);
                moved = true;
            }
            p->n_out = 0;
        }
        if (!moved)
            return;
    }
}

void sim_run_ms(struct sim *s, uint64_t ms)
{
    for (uint64_t i = 0; i < ms; i++) {
        s->now_us += 1000;
        if (rtc_core_next_deadline_us(s->core) <= s->now_us)
            rtc_core_handle_timeouts(s->core, s->now_us);
        for (size_t j = 0; j < s->n_peers; j++)
            if (sim_peer_next_deadline_us(s->peers[j]) <= s->now_us)
                sim_peer_handle_timeouts(s->peers[j], s->now_us);
        sim_deliver(s);
    }
}

size_t sim_count_events(const struct sim *s, enum sfu_event_type type, uint32_t id,
                        const char **detail)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_events; i++) {
        if (s->events[i].type == type && (!id || s->events[i].id == id)) {
            n++;
            if (detail)
                *detail = s->events[i].detail;
        }
    }
    return n;
}

socklen_t sim_addr_v4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof(*ss));
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    inet_pton(AF_INET, ip, &in->sin_addr);
    return sizeof(*in);
}

socklen_t sim_addr_v4_mapped(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    char mapped[64];
    memset(ss, 0, sizeof(*ss));
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    snprintf(mapped, sizeof mapped, "::ffff:%s", ip);
    inet_pton(AF_INET6, mapped, &in6->sin6_addr);
    return sizeof(*in6);
}
