/* Send-side bandwidth estimation from transport-wide CC feedback (see
 * bwe.h). The constants follow draft-ietf-rmcat-gcc-02 where it gives them
 * (5 ms groups, gain 4, adaptive threshold k_u = 0.0087 / k_d = 0.039,
 * beta 0.85, +8 %/s, the 2 % / 10 % loss bands); the code is Sabaq's own.
 * Floating point runs per feedback and per packet group, never per packet
 * sent. */
#include "rtc/bwe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/seq.h"

enum { SENT = 1, ACKED = 2, LOST = 3 };

#define GROUP_US 5000            /* packets sent within 5 ms are one burst */
#define SMOOTHING 0.9            /* of the accumulated delay */
#define TREND_GAIN 4.0
#define MAX_DELTAS 60            /* the trend counts as this many deltas at most */
#define OVERUSE_MS 10.0          /* over the threshold this long -> overuse */
#define THRESHOLD_START 12.5
#define K_UP 0.0087
#define K_DOWN 0.039
#define BETA 0.85
#define INCREASE_PER_S 1.08
#define ACKED_WINDOW_US 250000
#define LOSS_WINDOW_US 1000000
#define LOSS_MIN_PACKETS 20
#define PROBE_MIN_BYTES 1500     /* enough packets to time a cluster */
#define PROBE_BACKOFF_US 5000000
#define CLOCK_JUMP_US 3000000    /* receiver reference time wrapped or jumped */

static uint64_t clamp_bps(double v)
{
    if (v < BWE_MIN_BPS)
        return BWE_MIN_BPS;
    if (v > BWE_MAX_BPS)
        return BWE_MAX_BPS;
    return (uint64_t)v;
}

struct bwe *bwe_new(uint64_t now_us)
{
    struct bwe *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->next_ext = 0x10000;
    b->estimate_bps = b->delay_bps = BWE_START_BPS;
    b->loss_bps = BWE_MAX_BPS;
    b->threshold_ms = THRESHOLD_START;
    b->rc = BWE_RC_HOLD;
    b->last_rate_us = now_us;
    b->avg_packet_bytes = 1000;
    b->capacity_var = 0.01;
    b->next_cluster = 1;
    b->next_probe_us = now_us;
    return b;
}

void bwe_free(struct bwe *b) { free(b); }

uint64_t bwe_estimate_bps(const struct bwe *b) { return b ? b->estimate_bps : BWE_START_BPS; }

bool bwe_has_estimate(const struct bwe *b) { return b && (b->has_twcc || b->has_remb); }

uint64_t bwe_video_budget_bps(const struct bwe *b, uint64_t audio_bps)
{
    uint64_t e = bwe_estimate_bps(b);
    return e > audio_bps ? e - audio_bps : 0;
}

void bwe_set_wanted_bps(struct bwe *b, uint64_t bps) { b->wanted_bps = bps; }

void bwe_on_remb(struct bwe *b, uint64_t bps)
{
    if (b->has_twcc)
        return;
    b->has_remb = true;
    b->delay_bps = b->estimate_bps = clamp_bps((double)bps);
}

/* The ring entry of a reported sequence number, NULL when it is not one we
 * sent recently. */
static struct bwe_sent *lookup(struct bwe *b, uint16_t seq, uint64_t *ext_out)
{
    if (b->next_ext == 0x10000)
        return NULL;
    uint64_t ext = seq_extend(b->next_ext - 1, seq);
    if (ext >= b->next_ext || b->next_ext - ext > BWE_HISTORY)
        return NULL;
    *ext_out = ext;
    return &b->sent[ext % BWE_HISTORY];
}

static int64_t send_time(const struct bwe_sent *s, uint64_t now_us)
{
    return (int64_t)(now_us - (uint32_t)((uint32_t)now_us - s->send_lo));
}

/* ---- delay-based detector ---------------------------------------------- */

static double slope(const struct bwe *b)
{
    double mx = 0, my = 0, num = 0, den = 0;
    for (int i = 0; i < BWE_TREND_WINDOW; i++) {
        mx += b->xs[i];
        my += b->ys[i];
    }
    mx /= BWE_TREND_WINDOW;
    my /= BWE_TREND_WINDOW;
    for (int i = 0; i < BWE_TREND_WINDOW; i++) {
        num += (b->xs[i] - mx) * (b->ys[i] - my);
        den += (b->xs[i] - mx) * (b->xs[i] - mx);
    }
    return den > 0 ? num / den : b->trend;
}

/* The threshold follows |trend| slowly upward and faster downward, so a
 * queue kept by a competing loss-based flow does not read as overuse
 * forever; spikes far above it are ignored. */
static void adapt_threshold(struct bwe *b, double modified, double arrival_ms)
{
    double a = fabs(modified);
    double dt = b->last_threshold_ms ? arrival_ms - b->last_threshold_ms : 0;
    b->last_threshold_ms = arrival_ms;
    if (a > b->threshold_ms + 15)
        return;
    if (dt > 100)
        dt = 100;
    if (dt < 0)
        dt = 0;
    b->threshold_ms += (a < b->threshold_ms ? K_DOWN : K_UP) * (a - b->threshold_ms) * dt;
    if (b->threshold_ms < 6)
        b->threshold_ms = 6;
    if (b->threshold_ms > 600)
        b->threshold_ms = 600;
}

static void detect(struct bwe *b, double send_delta_ms, double arrival_ms)
{
    double n = b->n_deltas < MAX_DELTAS ? b->n_deltas : MAX_DELTAS;
    double modified = n * b->trend * TREND_GAIN;
    if (modified > b->threshold_ms) {
        b->overuse_ms += send_delta_ms;
        b->overuse_count++;
        if (b->overuse_ms > OVERUSE_MS && b->overuse_count > 1 && b->trend >= b->prev_trend) {
            b->overuse_ms = 0;
            b->overuse_count = 0;
            b->usage = BWE_USAGE_OVERUSE;
            b->saw_overuse = true;
            b->counters.overuses++;
        }
    } else {
        b->overuse_ms = 0;
        b->overuse_count = 0;
        b->usage = modified < -b->threshold_ms ? BWE_USAGE_UNDERUSE : BWE_USAGE_NORMAL;
    }
    b->prev_trend = b->trend;
    adapt_threshold(b, modified, arrival_ms);
}

static void reset_trend(struct bwe *b)
{
    b->acc_ms = b->smoothed_ms = 0;
    b->n_points = b->n_deltas = 0;
    b->trend = b->prev_trend = 0;
    b->usage = BWE_USAGE_NORMAL;
}

/* One delay variation between consecutive groups. */
static void add_delta(struct bwe *b, const struct bwe_group *prev, const struct bwe_group *cur)
{
    int64_t send_delta = cur->last_send_us - prev->last_send_us;
    int64_t arrival_delta = cur->last_arrival_us - prev->last_arrival_us;
    int64_t d = arrival_delta - send_delta;
    if (d > CLOCK_JUMP_US || d < -CLOCK_JUMP_US) {
        reset_trend(b);
        return;
    }
    if (arrival_delta < 0)
        return;                  /* reordered groups say nothing reliable */
    double arrival_ms = (double)cur->last_arrival_us / 1000.0;
    if (b->n_points == 0)
        b->first_arrival_ms = arrival_ms;
    if (b->n_deltas < 1000)
        b->n_deltas++;
    b->acc_ms += (double)d / 1000.0;
    b->smoothed_ms = SMOOTHING * b->smoothed_ms + (1 - SMOOTHING) * b->acc_ms;
    b->xs[b->n_points % BWE_TREND_WINDOW] = arrival_ms - b->first_arrival_ms;
    b->ys[b->n_points % BWE_TREND_WINDOW] = b->smoothed_ms;
    b->n_points++;
    if (b->n_points < BWE_TREND_WINDOW)
        return;
    b->trend = slope(b);
    detect(b, (double)send_delta / 1000.0, arrival_ms);
}

static void add_to_group(struct bwe *b, int64_t send_us, int64_t arrival_us)
{
    struct bwe_group *g = &b->group;
    if (g->is_set && send_us < g->first_send_us)
        return;                  /* older than the open group: reordered */
    if (g->is_set && send_us - g->first_send_us <= GROUP_US) {
        if (send_us > g->last_send_us)
            g->last_send_us = send_us;
        if (arrival_us > g->last_arrival_us)
            g->last_arrival_us = arrival_us;
        return;
    }
    if (g->is_set) {
        if (b->prev_group.is_set)
            add_delta(b, &b->prev_group, g);
        b->prev_group = *g;
    }
    g->is_set = true;
    g->first_send_us = g->last_send_us = send_us;
    g->last_arrival_us = arrival_us;
}

/* ---- acknowledged rate, probes ----------------------------------------- */

static void add_acked(struct bwe *b, int64_t arrival_us, uint16_t size)
{
    b->avg_packet_bytes = 0.95 * b->avg_packet_bytes + 0.05 * size;
    if (!b->has_window || arrival_us < b->window_start_us ||
        arrival_us - b->window_start_us > 2 * 1000000) {
        b->has_window = true;
        b->window_start_us = arrival_us;
        b->window_bytes = 0;
        return;
    }
    b->window_bytes += size;
    int64_t span = arrival_us - b->window_start_us;
    if (span >= ACKED_WINDOW_US) {
        b->acked_bps = b->window_bytes * 8000000u / (uint64_t)span;
        b->window_start_us = arrival_us;
        b->window_bytes = 0;
    }
}

static void add_probe_arrival(struct bwe *b, int64_t arrival_us, uint16_t size)
{
    if (!b->probe.received || arrival_us < b->probe.first_arrival_us) {
        b->probe.first_arrival_us = arrival_us;
        b->probe.first_recv_size = size;
    }
    if (!b->probe.received || arrival_us > b->probe.last_arrival_us)
        b->probe.last_arrival_us = arrival_us;
    b->probe.received++;
    b->probe.recv_bytes += size;
}

/* What was sent in the cluster, from the history ring. */
static void probe_sent_stats(struct bwe *b, uint64_t first_ext, uint64_t now_us)
{
    b->probe.sent = b->probe.sent_bytes = 0;
    for (uint64_t e = first_ext; e <= b->probe.last_ext && e < b->next_ext; e++) {
        const struct bwe_sent *s = &b->sent[e % BWE_HISTORY];
        if (s->cluster != b->probe.id)
            continue;
        int64_t t = send_time(s, now_us);
        if (!b->probe.sent)
            b->probe.first_send_us = t;
        b->probe.last_send_us = t;
        b->probe.last_sent_size = s->size;
        b->probe.sent++;
        b->probe.sent_bytes += s->size;
    }
}

/* The rate the cluster got through: the lower of its send rate and its
 * receive rate (a link slower than the probe spreads the packets out). */
static void finish_probe(struct bwe *b, uint64_t now_us)
{
    uint64_t first_ext = b->probe.last_ext >= BWE_HISTORY ? b->probe.last_ext - BWE_HISTORY + 1 : 0;
    if (first_ext < b->probe.start_ext)
        first_ext = b->probe.start_ext;
    probe_sent_stats(b, first_ext, now_us);
    double result = 0;
    if (b->probe.sent >= 4 && b->probe.received * 5 >= b->probe.sent * 4 &&
        b->probe.last_arrival_us > b->probe.first_arrival_us) {
        double recv = (double)(b->probe.recv_bytes - b->probe.first_recv_size) * 8e6 /
                      (double)(b->probe.last_arrival_us - b->probe.first_arrival_us);
        double send = b->probe.last_send_us > b->probe.first_send_us
                          ? (double)(b->probe.sent_bytes - b->probe.last_sent_size) * 8e6 /
                                (double)(b->probe.last_send_us - b->probe.first_send_us)
                          : recv;
        result = recv < send ? recv : send;
    }
    if (result * 0.95 > (double)b->delay_bps) {
        b->delay_bps = clamp_bps(result * 0.95);
        /* A cluster that got through without loss lifts the loss bound too. */
        if (b->last_loss_fraction < 0.02 && b->loss_bps < b->delay_bps)
            b->loss_bps = b->delay_bps;
        b->counters.probe_raises++;
    }
    /* Close to the target: the link may take more, probe again at once. */
    b->next_probe_us = result >= 0.7 * (double)b->probe.target_bps ? now_us
                                                                   : now_us + PROBE_BACKOFF_US;
    b->probe.id = 0;
}

static void check_probe(struct bwe *b, uint64_t max_reported_ext, uint64_t now_us)
{
    if (!b->probe.id || now_us < b->probe.end_us)
        return;
    bool none_sent = b->probe.last_ext < b->probe.start_ext;
    if (none_sent || now_us >= b->probe.give_up_us) {
        b->probe.id = 0;
        b->next_probe_us = now_us + PROBE_BACKOFF_US;
        return;
    }
    if (max_reported_ext >= b->probe.last_ext)
        finish_probe(b, now_us);
}

int bwe_probe_plan(struct bwe *b, uint64_t now_us, struct bwe_probe *out)
{
    if (b->probe.id) {
        if (now_us >= b->probe.give_up_us) {
            b->probe.id = 0;
            b->next_probe_us = now_us + PROBE_BACKOFF_US;
        }
        return 0;
    }
    if (!b->wanted_bps || b->estimate_bps >= b->wanted_bps || now_us < b->next_probe_us ||
        b->usage == BWE_USAGE_OVERUSE || (b->counters.decreases && now_us - b->last_decrease_us < 1000000))
        return 0;
    uint64_t target = 2 * b->estimate_bps;
    uint64_t cap = b->wanted_bps + b->wanted_bps / 4;
    if (target > cap)
        target = cap;
    if (target > BWE_MAX_BPS)
        target = BWE_MAX_BPS;
    uint64_t bytes = target * BWE_PROBE_DURATION_US / 8000000u;
    if (bytes < PROBE_MIN_BYTES)
        bytes = PROBE_MIN_BYTES;
    if (++b->next_cluster == 0)
        b->next_cluster = 1;
    memset(&b->probe, 0, sizeof(b->probe));
    b->probe.id = b->next_cluster;
    b->probe.target_bps = target;
    b->probe.start_us = now_us;
    b->probe.end_us = now_us + bytes * 8000000u / target;
    b->probe.give_up_us = b->probe.end_us + 1000000 + b->rtt_us;
    b->probe.start_ext = b->next_ext;
    b->probe.last_ext = 0;
    b->cluster_id = b->probe.id;
    b->cluster_end_us = b->probe.end_us;
    b->counters.probes++;
    out->cluster = b->probe.id;
    out->bps = target;
    out->duration_us = (uint32_t)(b->probe.end_us - now_us);
    out->bytes = (uint32_t)bytes;
    return 1;
}

/* ---- rate control ------------------------------------------------------- */

static double capacity_std(const struct bwe *b) { return b->capacity_bps * sqrt(b->capacity_var); }

/* Where the link saturated: an average of the acknowledged rate at each
 * overuse, restarted when a sample lands far outside it. */
static void note_capacity(struct bwe *b, double acked)
{
    if (b->has_capacity && fabs(acked - b->capacity_bps) > 3 * capacity_std(b))
        b->has_capacity = false;
    if (!b->has_capacity) {
        b->has_capacity = true;
        b->capacity_bps = acked;
        b->capacity_var = 0.01;
        return;
    }
    double dev = (b->capacity_bps - acked) / b->capacity_bps;
    b->capacity_bps = 0.95 * b->capacity_bps + 0.05 * acked;
    b->capacity_var = 0.95 * b->capacity_var + 0.05 * dev * dev;
    if (b->capacity_var < 0.0025)
        b->capacity_var = 0.0025;
    if (b->capacity_var > 0.09)
        b->capacity_var = 0.09;
}

static void decrease(struct bwe *b, uint64_t now_us)
{
    uint64_t guard = b->rtt_us > 100000 ? b->rtt_us : 100000;
    b->rc = BWE_RC_HOLD;
    b->last_rate_us = now_us;
    if (b->counters.decreases && now_us - b->last_decrease_us < guard)
        return;                  /* the last cut has not had time to show */
    double base = b->acked_bps ? (double)b->acked_bps : (double)b->delay_bps;
    double n = BETA * base;
    if (n > (double)b->delay_bps)
        n = (double)b->delay_bps;
    if (b->acked_bps)
        note_capacity(b, (double)b->acked_bps);
    b->delay_bps = clamp_bps(n);
    b->last_decrease_us = now_us;
    b->counters.decreases++;
}

static void increase(struct bwe *b, uint64_t now_us)
{
    double dt = (double)(now_us - b->last_rate_us) / 1e6;
    double est = (double)b->delay_bps, n;
    b->last_rate_us = now_us;
    if (dt > 1)
        dt = 1;
    if (b->has_capacity && (double)b->acked_bps > b->capacity_bps + 3 * capacity_std(b))
        b->has_capacity = false; /* the link got faster */
    if (b->has_capacity) {
        /* Near the known capacity: about one packet per response time. */
        double response_s = (double)(b->rtt_us + 100000) / 1e6;
        double per_s = b->avg_packet_bytes * 8 / response_s;
        n = est + (per_s > 4000 ? per_s : 4000) * dt;
    } else {
        n = est * pow(INCREASE_PER_S, dt);
        if (n < est + 1000 * dt)
            n = est + 1000 * dt;
    }
    if (b->acked_bps) {
        /* Not far beyond what has actually been delivered. */
        double upper = 1.5 * (double)b->acked_bps + 10000;
        if (n > upper)
            n = est > upper ? est : upper;
    }
    b->delay_bps = clamp_bps(n);
}

static void update_rate(struct bwe *b, uint64_t now_us)
{
    if (b->saw_overuse) {
        b->saw_overuse = false;
        decrease(b, now_us);
    } else if (b->usage != BWE_USAGE_NORMAL) {
        b->rc = BWE_RC_HOLD;
        b->last_rate_us = now_us;
    } else if (b->rc == BWE_RC_HOLD) {
        b->rc = BWE_RC_INCREASE;
        b->last_rate_us = now_us;
    } else {
        increase(b, now_us);
    }
}

static void update_loss(struct bwe *b, uint64_t now_us)
{
    uint32_t total = b->lost + b->received;
    if (!b->loss_window_us)
        b->loss_window_us = now_us;
    if (total < LOSS_MIN_PACKETS || now_us - b->loss_window_us < LOSS_WINDOW_US)
        return;
    double p = (double)b->lost / total;
    b->last_loss_fraction = p;
    double dt = (double)(now_us - b->loss_window_us) / 1e6;
    b->lost = b->received = 0;
    b->loss_window_us = now_us;
    if (p > 0.10) {
        if (now_us - b->last_loss_decrease_us >= 300000 + (uint64_t)b->rtt_us) {
            b->loss_bps = clamp_bps((double)b->estimate_bps * (1 - 0.5 * p));
            b->last_loss_decrease_us = now_us;
            b->counters.loss_decreases++;
        }
    } else if (p < 0.02) {
        b->loss_bps = clamp_bps((double)b->loss_bps * pow(INCREASE_PER_S, dt > 1 ? 1 : dt));
    }
}

/* ---- feedback ----------------------------------------------------------- */

static void on_acked(struct bwe *b, const struct bwe_sent *s, int64_t send_us, int64_t arrival_us)
{
    add_acked(b, arrival_us, s->size);
    if (s->cluster && s->cluster == b->probe.id)
        add_probe_arrival(b, arrival_us, s->size);
    add_to_group(b, send_us, arrival_us);
}

void bwe_on_feedback(struct bwe *b, const struct rtcp_twcc *fb, uint64_t now_us)
{
    int64_t newest_send = -1;
    uint64_t max_ext = 0;
    b->has_twcc = true;
    b->counters.feedbacks++;
    for (size_t i = 0; i < fb->count && i < RTCP_TWCC_MAX_PACKETS; i++) {
        uint64_t ext;
        struct bwe_sent *s = lookup(b, (uint16_t)(fb->base_seq + i), &ext);
        if (!s || s->state == ACKED)
            continue;
        if (ext > max_ext)
            max_ext = ext;
        /* Arrival times are multiples of 250 us, so -1 only ever means lost
         * (a negative reference time is legal). */
        if (fb->arrival_us[i] == -1) {
            if (s->state == SENT) {
                s->state = LOST;
                b->lost++;
            }
            continue;
        }
        bool was_lost = s->state == LOST;
        s->state = ACKED;
        b->received++;
        if (was_lost) {
            b->lost -= b->lost ? 1 : 0;
            continue;            /* late: counted, but its timing is stale */
        }
        int64_t send_us = send_time(s, now_us);
        on_acked(b, s, send_us, fb->arrival_us[i]);
        if (send_us > newest_send)
            newest_send = send_us;
    }
    if (newest_send >= 0) {
        /* An upper bound of the RTT: the feedback also waits its interval. */
        uint32_t sample = (uint32_t)((int64_t)now_us - newest_send);
        b->rtt_us = b->rtt_us ? (7 * b->rtt_us + sample) / 8 : sample;
    }
    update_loss(b, now_us);
    check_probe(b, max_ext, now_us);
    update_rate(b, now_us);
    b->estimate_bps = clamp_bps((double)(b->delay_bps < b->loss_bps ? b->delay_bps : b->loss_bps));
}
