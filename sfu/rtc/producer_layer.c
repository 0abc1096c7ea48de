/* A producer's layers as a whole (see producer.h): each layer's bitrate over
 * a sliding window, their order by quality (RFC 8853 gives the rids but not
 * which is best), and which layers some consumer wants, reported as
 * SFU_EVENT_LAYERS_CHANGED so the control plane can ask the publisher to
 * pause the others (RTCRtpEncodingParameters.active). */
#include "rtc/producer.h"

#include <stdio.h>
#include <string.h>

#include "rtc/consumer.h"
#include "rtc/transport.h"

/* Below this much data the window's span is taken as this long: a layer
 * that starts with a large keyframe does not look expensive for its first
 * moments. */
#define MIN_SPAN_US (4 * PRODUCER_RATE_BUCKET_US)

void producer_layer_count(struct producer_layer *l, size_t len, uint64_t now_us)
{
    struct producer_rate *r = &l->rate;
    uint64_t b = now_us / PRODUCER_RATE_BUCKET_US;
    l->last_packet_us = now_us;
    if (!r->has_data) {
        r->has_data = true;
        r->first_us = now_us;
        r->bucket = b;
    } else if (b > r->bucket) {
        /* Empty the buckets skipped since the newest one. */
        uint64_t gap = b - r->bucket < PRODUCER_RATE_BUCKETS ? b - r->bucket : PRODUCER_RATE_BUCKETS;
        for (uint64_t k = 1; k <= gap; k++)
            r->bytes[(r->bucket + k) % PRODUCER_RATE_BUCKETS] = 0;
        r->bucket = b;
    }
    r->bytes[r->bucket % PRODUCER_RATE_BUCKETS] += (uint32_t)len;
}

static uint64_t window_bps(const struct producer_rate *r, uint64_t now_us)
{
    if (!r->has_data)
        return 0;
    uint64_t b = now_us / PRODUCER_RATE_BUCKET_US;
    if (b < r->bucket)
        b = r->bucket;
    uint64_t oldest = b >= PRODUCER_RATE_BUCKETS - 1 ? b - (PRODUCER_RATE_BUCKETS - 1) : 0;
    uint64_t sum = 0;
    for (uint64_t k = 0; k < PRODUCER_RATE_BUCKETS && k <= r->bucket && r->bucket - k >= oldest; k++)
        sum += r->bytes[(r->bucket - k) % PRODUCER_RATE_BUCKETS];
    uint64_t start = oldest * PRODUCER_RATE_BUCKET_US;
    if (start < r->first_us)
        start = r->first_us;
    uint64_t span = now_us > start ? now_us - start : 0;
    if (span < MIN_SPAN_US)
        span = MIN_SPAN_US;
    return sum * 8 * 1000000 / span;
}

uint64_t producer_layer_bitrate_bps(const struct producer_layer *l, uint64_t now_us)
{
    return producer_layer_is_active(l, now_us) ? window_bps(&l->rate, now_us) : l->known_bps;
}

static uint32_t pixels(const struct producer_layer *l)
{
    return (uint32_t)l->width * l->height;
}

/* Offer order, reversed when the known sizes fall along it (an offer that
 * lists f;h;q); once every size is known, by size (stable, so equal sizes
 * keep the offer's order). */
static void rerank(struct producer *p)
{
    uint8_t n = p->n_layers;
    int rising = 0, falling = 0;
    uint32_t prev = 0;
    bool is_all_known = true;
    for (uint8_t i = 0; i < n; i++) {
        uint32_t px = pixels(&p->layers[i]);
        if (!px) {
            is_all_known = false;
            continue;
        }
        if (prev && px > prev)
            rising++;
        else if (prev && px < prev)
            falling++;
        prev = px;
    }
    for (uint8_t i = 0; i < n; i++)
        p->rank[i] = falling > rising ? (uint8_t)(n - 1 - i) : i;
    if (!is_all_known)
        return;
    for (uint8_t i = 1; i < n; i++) {
        uint8_t v = p->rank[i];
        uint8_t j = i;
        for (; j > 0 && pixels(&p->layers[p->rank[j - 1]]) > pixels(&p->layers[v]); j--)
            p->rank[j] = p->rank[j - 1];
        p->rank[j] = v;
    }
}

void producer_layers_resized(struct producer *p, uint64_t now_us)
{
    rerank(p);
    consumer_simulcast_producer_changed(p, now_us);
}

static void mark_wanted(struct producer *p, int layer, uint64_t now_us)
{
    if (layer >= 0 && layer < p->n_layers)
        p->layers[layer].wanted_us = now_us;
}

/* The control plane's copy: id = producer, value = the mask, detail = the
 * wanted rids ("q,h"). Built here because rtc_env_emit carries no value. */
static void emit_layers(struct producer *p)
{
    struct rtc_env *env = p->transport->env;
    struct sfu_event ev;
    size_t used = 0;
    memset(&ev, 0, sizeof(ev));
    ev.type = SFU_EVENT_LAYERS_CHANGED;
    ev.id = p->id;
    ev.value = p->wanted_mask;
    for (uint8_t i = 0; i < p->n_layers; i++) {
        if (!(p->wanted_mask & (1u << i)))
            continue;
        int n = snprintf(ev.detail + used, sizeof(ev.detail) - used, "%s%s", used ? "," : "",
                         p->layers[i].rid);
        if (n < 0 || (size_t)n >= sizeof(ev.detail) - used)
            break;
        used += (size_t)n;
    }
    if (env->emit)
        env->emit(env->emit_arg, &ev);
}

static void add_layer(uint8_t *mask, int layer)
{
    if (layer >= 0 && layer < PRODUCER_MAX_LAYERS)
        *mask |= (uint8_t)(1u << layer);
}

/* A mirror's consumers count for the owner's wanted layers: it hears of
 * them every tick while some are wanted, and lets them lapse as usual. */
static void report_to_owner(struct producer *p)
{
    struct rtc_env *env = p->transport->env;
    struct list *pos, *tmp;
    uint8_t mask = 0;
    list_for_each_safe(pos, tmp, &p->consumers) {
        const struct consumer *c = list_entry(pos, struct consumer, producer_link);
        add_layer(&mask, c->desired_layer);
        add_layer(&mask, c->target_layer);
        add_layer(&mask, c->current_layer);
    }
    if (mask && env->mesh.ops)
        env->mesh.ops->report_wanted(env->mesh.arg, p->owner_worker, p->id, mask);
}

void producer_tick_layers(struct producer *p, uint64_t now_us)
{
    struct list *pos, *tmp;
    for (uint8_t i = 0; i < p->n_layers; i++) {
        struct producer_layer *l = &p->layers[i];
        if (producer_layer_is_active(l, now_us))
            l->known_bps = window_bps(&l->rate, now_us);
    }
    if (p->n_layers < 2)
        return;
    if (p->is_mirror) {
        report_to_owner(p);
        return;
    }
    list_for_each_safe(pos, tmp, &p->consumers) {
        const struct consumer *c = list_entry(pos, struct consumer, producer_link);
        mark_wanted(p, c->desired_layer, now_us);
        mark_wanted(p, c->target_layer, now_us);
        mark_wanted(p, c->current_layer, now_us);
    }
    uint8_t mask = 0;
    for (uint8_t i = 0; i < p->n_layers; i++)
        if (now_us - p->layers[i].wanted_us < PRODUCER_LAYER_UNWANTED_US)
            mask |= (uint8_t)(1u << i);
    if (mask != p->wanted_mask) {
        p->wanted_mask = mask;
        emit_layers(p);
    }
}
