/* Bandwidth estimation toward one subscriber, from transport-wide congestion
 * control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01),
 * after the ideas of Google Congestion Control (draft-ietf-rmcat-gcc-02):
 *
 *   send side   every RTP packet on the subscribe transport carries a
 *               transport-wide sequence number (bwe_next_seq(), extension
 *               SDP_SUB_EXT_TRANSPORT_CC); bwe_on_sent() records its send
 *               time and size in a fixed ring of BWE_HISTORY packets.
 *   feedback    bwe_on_feedback() pairs each reported packet's send and
 *               arrival times, then runs three estimators:
 *     delay     packets sent within 5 ms form a group; the one-way delay
 *               variation between groups is accumulated and smoothed, and the
 *               slope of its last BWE_TREND_WINDOW points (least squares)
 *               says whether a queue is growing (overuse), draining
 *               (underuse) or steady. The threshold adapts, so competing TCP
 *               flows do not starve us.
 *     rate      AIMD: overuse -> 0.85 x the acknowledged receive rate; steady
 *               -> +8 %/s multiplicative, or additive (about a packet per
 *               response time) once an overuse has shown where the link's
 *               capacity lies; never above 1.5 x the acknowledged rate + 10
 *               kbit/s, so an idle link does not inflate the estimate.
 *     loss      loss > 10 % -> x (1 - loss / 2), < 2 % -> +8 %/s, in
 *               between hold: random loss of a few % does not collapse it.
 *   The estimate is the lower of the delay and loss estimates, within
 *   [BWE_MIN_BPS, BWE_MAX_BPS], starting at BWE_START_BPS.
 *   probing     bwe_probe_plan() says when and how much padding to send
 *               (about 2 x the estimate for 20 ms) while the estimate is below
 *               what the layers want; the feedback about that cluster gives
 *               the link's rate directly, so the estimate climbs in seconds
 *               instead of the ~20 s that +8 %/s would take.
 *
 * Audio is never starved: the layer selector subtracts the audio it sends
 * first (bwe_video_budget_bps()) and gives video only what is left.
 * No allocation after bwe_new(); bwe_on_sent() is a few stores per packet.
 * Memory: sizeof(struct bwe) = 9000 bytes per subscribe transport (8 KB
 * of it the history ring). */
#ifndef SABAQ_RTC_BWE_H
#define SABAQ_RTC_BWE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/rtcp.h"

#define BWE_HISTORY 1024         /* packets remembered: ~2 s at 500 packets/s */
#define BWE_MIN_BPS 50000u
#define BWE_MAX_BPS 10000000u
#define BWE_START_BPS 1000000u
#define BWE_TREND_WINDOW 20      /* packet groups in the delay slope */
#define BWE_PROBE_DURATION_US 20000

struct bwe_sent {
    uint32_t send_lo;            /* send time in us, low 32 bits */
    uint16_t size;
    uint8_t cluster;             /* probe cluster id, 0 = none */
    uint8_t state;               /* sent / acked / lost */
};

enum bwe_usage { BWE_USAGE_NORMAL, BWE_USAGE_OVERUSE, BWE_USAGE_UNDERUSE };

/* A probe to send now: `bytes` of padding over `duration_us` (or as a
 * burst: the receive side measures the rate either way). */
struct bwe_probe {
    uint8_t cluster;
    uint64_t bps;
    uint32_t duration_us;
    uint32_t bytes;
};

struct bwe_group {
    bool is_set;
    int64_t first_send_us, last_send_us, last_arrival_us;
};

struct bwe {
    /* Per packet sent: these two lines and one ring entry, nothing else. */
    uint64_t next_ext;           /* extended transport-wide seq of the next packet */
    uint64_t cluster_end_us;     /* packets sent before this join cluster_id */
    uint8_t cluster_id;
    uint64_t estimate_bps;
    uint64_t delay_bps, loss_bps;
    uint64_t wanted_bps;         /* what the layers would use; 0 = no probing */
    /* Delay-based: packet groups and the trendline. */
    struct bwe_group group, prev_group;
    double acc_ms, smoothed_ms, first_arrival_ms;
    double xs[BWE_TREND_WINDOW], ys[BWE_TREND_WINDOW];
    uint32_t n_points, n_deltas;
    double trend, prev_trend, threshold_ms, last_threshold_ms;
    double overuse_ms;
    uint32_t overuse_count;
    enum bwe_usage usage;
    bool saw_overuse;            /* since the last rate update */
    /* Rate control. */
    enum { BWE_RC_HOLD, BWE_RC_INCREASE } rc;
    uint64_t last_rate_us, last_decrease_us;
    bool has_capacity;           /* an overuse told us where the link saturates */
    double capacity_bps, capacity_var;
    double avg_packet_bytes;
    /* Acknowledged receive rate, by arrival time. */
    bool has_window;
    int64_t window_start_us;
    uint64_t window_bytes;
    uint64_t acked_bps;          /* 0 until measured */
    /* Loss-based. */
    uint32_t lost, received;
    double last_loss_fraction;
    uint64_t loss_window_us, last_loss_decrease_us;
    uint32_t rtt_us;
    /* Probing. */
    uint8_t next_cluster;
    struct {
        uint8_t id;              /* 0 = none in flight */
        uint64_t start_us, end_us, target_bps, give_up_us;
        uint64_t start_ext, last_ext; /* its packets lie between */
        uint32_t sent, sent_bytes, received, recv_bytes, first_recv_size, last_sent_size;
        int64_t first_send_us, last_send_us, first_arrival_us, last_arrival_us;
    } probe;
    uint64_t next_probe_us;
    bool has_twcc;               /* feedback has arrived: REMB is ignored */
    bool has_remb;               /* a REMB has arrived */
    struct {
        uint64_t feedbacks, overuses, decreases, loss_decreases, probes, probe_raises;
    } counters;
    struct bwe_sent sent[BWE_HISTORY];
};

struct bwe *bwe_new(uint64_t now_us);
void bwe_free(struct bwe *b);

/* The transport-wide sequence number the next packet must carry. A packet
 * written with it and never sent is harmless: the number is reused. */
static inline uint16_t bwe_next_seq(const struct bwe *b) { return (uint16_t)b->next_ext; }

/* The packet carrying bwe_next_seq() left at now_us with `bytes` on the wire. */
static inline void bwe_on_sent(struct bwe *b, uint64_t now_us, size_t bytes)
{
    struct bwe_sent *s = &b->sent[b->next_ext % BWE_HISTORY];
    s->send_lo = (uint32_t)now_us;
    s->size = (uint16_t)(bytes > UINT16_MAX ? UINT16_MAX : bytes);
    s->cluster = 0;
    s->state = 1;
    if (now_us < b->cluster_end_us) {
        s->cluster = b->cluster_id;
        b->probe.last_ext = b->next_ext;
    }
    b->next_ext++;
}

/* One transport-wide feedback packet from the subscriber. */
void bwe_on_feedback(struct bwe *b, const struct rtcp_twcc *fb, uint64_t now_us);

/* A REMB from a subscriber that sends no transport-wide feedback. */
void bwe_on_remb(struct bwe *b, uint64_t bps);

/* The current estimate; BWE_START_BPS for a NULL bwe. */
uint64_t bwe_estimate_bps(const struct bwe *b);

/* Whether the estimate is the subscriber's word (a feedback or a REMB has
 * arrived) rather than the starting guess; false for a NULL bwe. */
bool bwe_has_estimate(const struct bwe *b);

/* What the layer selector may spend on video once `audio_bps` (the audio
 * this subscriber receives) is taken off: audio first, never starved. */
uint64_t bwe_video_budget_bps(const struct bwe *b, uint64_t audio_bps);

/* The layer selector says what the layers it would like to send need; the
 * estimator probes toward it. 0 stops probing. */
void bwe_set_wanted_bps(struct bwe *b, uint64_t bps);

/* 1 with *out set when a probe cluster should be sent now, else 0. Packets
 * passed to bwe_on_sent() until out->duration_us has passed belong to it. */
int bwe_probe_plan(struct bwe *b, uint64_t now_us, struct bwe_probe *out);

#endif
