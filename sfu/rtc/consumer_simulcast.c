/* Simulcast layer switching for consumers (see consumer.h); the rewriting
 * itself is consumer.c's.
 *
 * Per packet: a consumer forwards only its current layer. When its target
 * differs, it switches at the first packet of a keyframe of the target
 * layer. If a frame of the current layer is half sent then (libwebrtc's
 * pacer interleaves the layers' packets, so this is common) the switch
 * waits for that frame to end (its marker, a newer frame, or
 * CONSUMER_MID_FRAME_TIMEOUT_US of silence) and the keyframe's packets
 * received meanwhile are replayed from the target layer's NACK cache: no
 * buffer of our own, no half frame, and no wait for another keyframe.
 * The switch is a source change for consumer.c:
 * seq + 1, PictureID + 1, TL0PICIDX + 1, and the timestamp of the new
 * layer mapped into the old one's clock. Browsers stamp every layer of a
 * frame with the same RTP timestamp (one capture time, one time base), so
 * the mapping is the identity unless both layers' sender reports say
 * otherwise; a mapping that lands far off falls back to the wall clock.
 *
 * Per subscriber transport (consumer_simulcast_update, ~10 times a second
 * and on every change of its inputs): the bandwidth estimate (bwe.c's once
 * the subscriber has reported; none before: no limit), less what
 * audio and single-stream video use (audio is never starved), is shared out
 * among the simulcast videos, the largest view first, each keeping room for
 * the lowest layer of the ones after it; layer_select() then picks each
 * one's layer with hysteresis. The wanted layer may be one the publisher
 * has paused: the best active layer below it is sent meanwhile, and the
 * wanted one is reported (producer_tick_layers) so the publisher resumes
 * it. What the views would take regardless of bandwidth goes to the
 * estimator, which probes toward it. */
#include "rtc/consumer.h"

#include "rtc/bwe.h"
#include "rtc/producer.h"
#include "rtc/transport.h"

_Static_assert(PRODUCER_MAX_LAYERS == LAYER_SELECT_MAX, "one timer per layer");

/* Subscribers see few videos at once (stage, screen, last-N): more
 * simulcast consumers than this on one transport get no layer. */
#define MAX_PER_TRANSPORT 32
/* A publisher starts its layers within a frame or two of each other: this
 * long after the first packet, a layer never seen yet still counts as
 * coming (a subscriber does not start on a lower layer for a few ms). */
#define STARTUP_GRACE_US 500000

static uint64_t sub_sat(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

static bool is_mid_frame(const struct consumer *c, uint64_t now_us)
{
    return c->current_layer >= 0 && c->in_frame &&
           now_us - c->last_forward_us < CONSUMER_MID_FRAME_TIMEOUT_US;
}

/* `to`'s RTP time minus `from`'s at one instant, from their sender reports
 * (0 without both: the layers share one time base). */
static uint32_t layer_ts_delta(const struct producer *p, uint8_t from, uint8_t to)
{
    const struct producer_layer *a = &p->layers[from], *b = &p->layers[to];
    if (from == to || !a->has_sr || !b->has_sr)
        return 0;
    /* The NTP 32.32 difference in RTP units, rounded: whole seconds, then
     * the fraction (below 2^32 times a clock rate below 2^32: no overflow). */
    int64_t d_ntp = (int64_t)(b->sr_ntp - a->sr_ntp);
    uint64_t rate = p->track.clock_rate;
    int64_t units = (d_ntp >> 32) * (int64_t)rate +
                    (int64_t)((((uint64_t)d_ntp & 0xffffffffu) * rate + 0x80000000u) >> 32);
    return a->sr_rtp + (uint32_t)units - b->sr_rtp;
}

static uint8_t newest_segment_layer(const struct consumer *c)
{
    uint8_t i = (uint8_t)((c->segment_next + CONSUMER_SEGMENTS - 1) % CONSUMER_SEGMENTS);
    return c->segments[i].layer;
}

static void start_layer(struct consumer *c, const struct rtc_packet *pkt)
{
    struct producer *p = c->producer;
    if (c->current_layer >= 0 && c->current_layer != pkt->layer) {
        c->layer_switches++;
        c->transport->env->more.layer_switches++;
    }
    c->current_layer = (int8_t)pkt->layer;
    c->needs_sync = true;
    if (c->has_sent && c->n_segments) {
        c->has_ts_hint = true;
        c->ts_hint_delta = layer_ts_delta(p, newest_segment_layer(c), pkt->layer);
    }
}

static void forward(struct consumer *c, const struct rtc_packet *pkt, uint64_t now_us)
{
    c->in_frame = !pkt->rtp.marker;
    c->frame_ts = pkt->rtp.timestamp;
    c->last_forward_us = now_us;
    consumer_send_rtp(c, pkt, now_us);
}

/* The half-sent frame has ended: over to the target layer, from the first
 * packet of its keyframe up to the newest one received (each replayed from
 * the cache in order; one lost on the way is repaired by NACK later). */
static void finish_switch(struct consumer *c, uint64_t now_us)
{
    struct producer *p = c->producer;
    uint8_t layer = (uint8_t)c->target_layer;
    uint64_t from = c->pending_from_ext, to = p->layers[layer].rx.max_ext;
    struct rtc_packet pkt;
    c->has_pending_switch = false;
    if (to < from || to - from >= PRODUCER_LAYER_CACHE_SLOTS ||
        producer_cached_packet(p, layer, from, &pkt) < 0 || !pkt.is_keyframe) {
        /* Gone from the cache: the next keyframe will do. */
        producer_request_layer_keyframe(p, layer, now_us);
        return;
    }
    start_layer(c, &pkt);
    for (uint64_t ext = from; ext <= to; ext++)
        if (producer_cached_packet(p, layer, ext, &pkt) == 0)
            forward(c, &pkt, now_us);
}

static void count_unsent(struct consumer *c, const struct rtc_packet *pkt)
{
    struct rtc_counters *more = &c->transport->env->more;
    /* Counted once per frame time, as the cheapest copy would have been. */
    if (c->target_layer >= 0 || pkt->layer != c->producer->rank[0])
        return;
    if (c->is_hidden)
        more->drop_hidden++;
    else
        more->drop_no_layer++;
}

void consumer_simulcast_send(struct consumer *c, const struct rtc_packet *pkt, uint64_t now_us)
{
    if (c->current_layer >= 0 && pkt->layer == c->current_layer) {
        if (c->has_pending_switch && c->in_frame && pkt->rtp.timestamp != c->frame_ts) {
            /* A new frame: the half one's end was lost. This packet is
             * the old layer's: not sent. */
            finish_switch(c, now_us);
            return;
        }
        if (c->needs_sync && pkt->is_keyframe)
            start_layer(c, pkt); /* a restart on the same layer (the producer was paused) */
        forward(c, pkt, now_us);
        if (c->has_pending_switch && pkt->rtp.marker)
            finish_switch(c, now_us);
        return;
    }
    if (pkt->layer != c->target_layer || c->target_layer < 0) {
        count_unsent(c, pkt);
        return;
    }
    if (c->has_pending_switch) {
        /* The half frame stopped coming altogether. The packet is in the
         * cache already (stored before routing): the replay sends it. */
        if (!is_mid_frame(c, now_us))
            finish_switch(c, now_us);
        return;
    }
    if (!pkt->is_keyframe) {
        if (c->current_layer < 0)
            c->transport->env->more.drop_waiting_keyframe++;
        return;
    }
    if (is_mid_frame(c, now_us)) {
        c->has_pending_switch = true;
        c->pending_from_ext = pkt->ext_seq;
        return;
    }
    start_layer(c, pkt);
    forward(c, pkt, now_us);
}

/* Stops at once; a new target waits for its keyframe, asked for now. */
static void set_target(struct consumer *c, int layer, uint64_t now_us)
{
    struct producer *p = c->producer;
    if (layer != c->target_layer) {
        c->target_layer = (int8_t)layer;
        c->has_pending_switch = false;
        if (layer < 0) {
            c->current_layer = -1;
            c->needs_sync = true;
            return;
        }
        if (layer != c->current_layer)
            producer_request_layer_keyframe(p, (uint8_t)layer, now_us);
        return;
    }
    if (layer >= 0 && layer != c->current_layer &&
        now_us - p->layers[layer].last_keyframe_request_us >= PRODUCER_KEYFRAME_RETRY_US)
        p->layers[layer].wants_keyframe = true;
}

static bool is_usable(const struct producer *p, uint8_t layer, uint64_t now_us)
{
    const struct producer_layer *l = &p->layers[layer];
    if (producer_layer_is_active(l, now_us))
        return true;
    return !l->rate.has_data && (!p->is_active || now_us - p->active_us < STARTUP_GRACE_US);
}

static bool fits(uint64_t bps, uint64_t share_bps)
{
    return share_bps == LAYER_SELECT_UNLIMITED || bps <= share_bps;
}

/* layer_select() over the producer's layers in rank order; sets the
 * desired and target layers. Returns the target (-1 none); adds to *wanted
 * (when not NULL) the bitrate of the layer the view's size alone allows. */
static int choose(struct consumer *c, uint64_t share_bps, uint64_t now_us, uint64_t *wanted)
{
    struct producer *p = c->producer;
    struct layer_select_layer ls[LAYER_SELECT_MAX];
    struct layer_select_input in = {
        .share_bps = share_bps,
        .has_view = c->has_view,
        .view_width = c->view_width,
        .view_height = c->view_height,
        .current = -1,
    };
    uint8_t n = p->n_layers;
    for (uint8_t r = 0; r < n; r++) {
        const struct producer_layer *l = &p->layers[p->rank[r]];
        ls[r] = (struct layer_select_layer){producer_layer_bitrate_bps(l, now_us), l->width,
                                            l->height, c->fits_since_us[p->rank[r]]};
        if (p->rank[r] == c->desired_layer)
            in.current = r;
    }
    if (wanted && n && !layer_select_is_hidden(&in))
        *wanted += ls[layer_select_size_cap(ls, n, &in)].bitrate_bps;
    int d = layer_select(ls, n, &in, now_us);
    for (uint8_t r = 0; r < n; r++)
        c->fits_since_us[p->rank[r]] = ls[r].fits_since_us;
    c->desired_layer = (int8_t)(d >= 0 ? p->rank[d] : -1);
    /* What can be sent now: the best active layer up to the wanted one,
     * else the lowest active one above it that still fits. */
    int target = -1;
    for (int r = d; r >= 0 && target < 0; r--)
        if (is_usable(p, p->rank[r], now_us))
            target = p->rank[r];
    for (int r = d + 1; d >= 0 && r < n && target < 0; r++)
        if (is_usable(p, p->rank[r], now_us) && fits(ls[r].bitrate_bps, share_bps))
            target = p->rank[r];
    set_target(c, target, now_us);
    return target;
}

struct candidate {
    struct consumer *c;
    uint64_t area;               /* pixels shown; UINT64_MAX when not told */
    uint64_t min_bps;            /* the lowest layer's bitrate */
};

/* What the rest of the transport already uses: audio and single-stream
 * video cannot step down, so they come off the estimate first. */
static uint64_t fixed_use(struct transport *t, uint64_t now_us)
{
    struct list *pos, *tmp;
    uint64_t sum = 0;
    list_for_each_safe(pos, tmp, &t->consumers) {
        const struct consumer *c = list_entry(pos, struct consumer, transport_link);
        const struct producer *p = c->producer;
        if (p && !c->is_simulcast && !c->is_hidden && !p->is_paused)
            sum += producer_layer_bitrate_bps(&p->layers[0], now_us);
    }
    return sum;
}

static size_t collect(struct transport *t, struct candidate *v, uint64_t now_us)
{
    struct list *pos, *tmp;
    size_t n = 0;
    list_for_each_safe(pos, tmp, &t->consumers) {
        struct consumer *c = list_entry(pos, struct consumer, transport_link);
        const struct producer *p = c->producer;
        if (!c->is_simulcast || !p)
            continue;
        if (n == MAX_PER_TRANSPORT) {
            choose(c, 0, now_us, NULL);
            continue;
        }
        v[n].c = c;
        v[n].area = !c->has_view ? UINT64_MAX : (uint64_t)c->view_width * c->view_height;
        v[n].min_bps = v[n].area ? producer_layer_bitrate_bps(&p->layers[p->rank[0]], now_us) : 0;
        /* Largest view first (insertion sort: a handful of entries). */
        size_t j = n++;
        for (; j > 0 && v[j - 1].area < v[j].area; j--) {
            struct candidate x = v[j - 1];
            v[j - 1] = v[j];
            v[j] = x;
        }
    }
    return n;
}

/* The downlink to share out: the one set from outside (tests) wins, else
 * the estimator's once the subscriber has reported anything; 0 = none. */
static uint64_t estimate_bps(const struct transport *t)
{
    if (t->estimate_bps)
        return t->estimate_bps;
    return bwe_has_estimate(t->bwe) ? bwe_estimate_bps(t->bwe) : 0;
}

void consumer_simulcast_update(struct transport *t, uint64_t now_us)
{
    struct candidate v[MAX_PER_TRANSPORT];
    size_t n = collect(t, v, now_us);
    uint64_t estimate = estimate_bps(t), wanted = 0;
    if (!n) {
        if (t->bwe)
            bwe_set_wanted_bps(t->bwe, 0);
        return;
    }
    uint64_t budget = estimate ? sub_sat(estimate, fixed_use(t, now_us)) : LAYER_SELECT_UNLIMITED;
    uint64_t reserve = 0;
    for (size_t i = 0; i < n; i++)
        reserve += v[i].min_bps;
    for (size_t i = 0; i < n; i++) {
        struct consumer *c = v[i].c;
        reserve -= v[i].min_bps;
        uint64_t share = budget == LAYER_SELECT_UNLIMITED ? budget : sub_sat(budget, reserve);
        int layer = choose(c, share, now_us, &wanted);
        if (layer >= 0 && budget != LAYER_SELECT_UNLIMITED)
            budget = sub_sat(budget, producer_layer_bitrate_bps(&c->producer->layers[layer], now_us));
    }
    /* What the views would take were bandwidth no limit (audio and
     * single-stream video on top): the estimator probes toward it, once
     * the subscriber reports on what it receives (else probing is blind). */
    if (t->bwe)
        bwe_set_wanted_bps(t->bwe, wanted && bwe_has_estimate(t->bwe)
                                       ? wanted + fixed_use(t, now_us) : 0);
}

void consumer_simulcast_producer_changed(struct producer *p, uint64_t now_us)
{
    struct list *pos, *tmp;
    list_for_each_safe(pos, tmp, &p->consumers)
        consumer_simulcast_update(list_entry(pos, struct consumer, producer_link)->transport, now_us);
}
