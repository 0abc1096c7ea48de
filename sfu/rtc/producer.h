/* A producer is one incoming track on a publish transport (DESIGN principle
 * 4): it binds its SSRCs (from SDP or learnt from the mid header extension),
 * keeps receive statistics for receiver reports (RFC 3550 A.3, A.8), keeps
 * recent video packets for NACKs, asks the publisher for keyframes
 * (RFC 4585 PLI / RFC 5104 FIR, rate-limited) and hands each packet to the
 * router.
 *
 * A simulcast track (RFC 8853, one rid per encoding) has up to
 * PRODUCER_MAX_LAYERS layers, each its own SSRC learnt from the rid header
 * extension (RFC 8852) and its RTX SSRC from repaired-rid, with its own
 * receive statistics, NACK cache, keyframe requests, sender report and
 * bitrate. A track without simulcast is one layer, layers[0].
 *
 * Layer order: layers[] stays in the offer's rid order (bit i of the
 * LAYERS_CHANGED mask is rids[i]); rank[] orders them by quality. Browsers
 * list encodings low to high (q;h;f) or high to low (f;h;q), so the offer
 * order is only the first guess: as soon as the first packet of a layer (a
 * keyframe: every stream starts with one) gives its frame size, the known
 * sizes decide, and the order flips when they run against the offer. Sizes
 * are used rather than bitrates because they are known from the first
 * packet and do not move with the content or with the publisher's own
 * congestion (a starved top layer can fall below the middle one).
 *
 * Memory per producer (x86-64): the struct is 1.3 KB; a video producer adds
 * NACK caches of sizeof(struct nack_cache_slot) = 1512-byte slots, all
 * allocated when it is made: 512 slots (774 KB) for a single stream, 256
 * per simulcast layer (387 KB: 1.2 s of a 2.5 Mbit/s layer), so 1.16 MB
 * for three layers. Audio has none. */
#ifndef SABAQ_RTC_PRODUCER_H
#define SABAQ_RTC_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/rtcp.h"
#include "sabaq/rtp.h"
#include "sabaq/sdp.h"
#include "rtc/list.h"
#include "rtc/rtc_packet.h"
#include "rtc/speaking.h"

struct transport;
struct nack_cache;

/* At most one keyframe request per producer in this interval. */
#define PRODUCER_KEYFRAME_INTERVAL_US 300000
/* A consumer still waiting for a keyframe asks again after this. */
#define PRODUCER_KEYFRAME_RETRY_US 1000000

#define PRODUCER_MAX_LAYERS 3
#define PRODUCER_LAYER_CACHE_SLOTS 256
/* A layer is active while its packets keep coming. */
#define PRODUCER_LAYER_ACTIVE_US 1000000
/* A layer no consumer has wanted for this long is reported unwanted
 * (SFU_EVENT_LAYERS_CHANGED), so the publisher can pause it. */
#define PRODUCER_LAYER_UNWANTED_US 5000000
/* Bitrate: a sliding window of RATE_BUCKETS buckets (2 s). */
#define PRODUCER_RATE_BUCKET_US 125000
#define PRODUCER_RATE_BUCKETS 16

/* RFC 3550 A.1/A.3/A.8 receive state of one stream (layer). */
struct producer_rx_stats {
    bool started;
    uint64_t base_ext;           /* extended seq of the first packet */
    uint64_t max_ext;            /* highest extended seq; cycles start at 1 */
    uint64_t received;
    uint64_t expected_prior, received_prior;
    uint32_t jitter_q4;          /* jitter in clock units, times 16 */
    bool has_transit;
    int64_t last_transit;
};

/* Media bytes per bucket of a sliding window. */
struct producer_rate {
    bool has_data;
    uint64_t first_us;           /* first packet counted */
    uint64_t bucket;             /* number (now / bucket length) of the newest bucket */
    uint32_t bytes[PRODUCER_RATE_BUCKETS];
};

/* One encoding of the track: the only one, or one simulcast layer. */
struct producer_layer {
    char rid[17];                /* "" without rids */
    uint32_t ssrc, rtx_ssrc;     /* 0 until known */
    struct producer_rx_stats rx;
    struct nack_cache *cache;    /* owned; video only */
    uint64_t packets, bytes;     /* media, RTX included */
    uint64_t last_packet_us;     /* of the last media packet (not RTX); 0 = none yet */
    struct producer_rate rate;
    uint64_t known_bps;          /* bitrate last measured while active */
    uint16_t width, height;      /* of its latest keyframe; 0 before one */
    uint64_t wanted_us;          /* last time a consumer wanted it */
    /* Keyframe requests to the publisher (PLI/FIR with this layer's SSRC). */
    bool has_keyframe_request;
    bool wants_keyframe;         /* ask at the next tick */
    uint64_t last_keyframe_request_us;
    uint8_t fir_seq;
    /* The publisher's latest sender report for it: NTP <-> RTP time. */
    bool has_sr;
    uint64_t sr_ntp;
    uint32_t sr_rtp;
    uint64_t sr_received_us;
};

struct producer {
    uint32_t id;
    struct transport *transport; /* borrowed: the transport frees its producers first */
    struct sdp_track track;
    bool is_video;
    bool is_paused;
    bool is_active;              /* a media packet has arrived */
    uint64_t active_us;          /* when the first one did */
    uint8_t n_layers;            /* 1, or 2..PRODUCER_MAX_LAYERS with simulcast */
    uint8_t rank[PRODUCER_MAX_LAYERS]; /* layer indexes, lowest quality first */
    uint8_t wanted_mask;         /* bit i: layers[i] wanted, as last reported */
    struct producer_layer layers[PRODUCER_MAX_LAYERS];
    struct list consumers;       /* struct consumer.producer_link */
    struct list transport_link;
    uint64_t created_us;
    uint64_t packets, bytes;     /* all layers */
    struct speaking speaking;    /* audio with audio-level: who speaks (speaking.h) */
    /* Recording (sfu/record/record_tap.c): how many recordings take this
     * producer; of simulcast, the layer they get and the one to move to. */
    uint8_t record_refs;
    uint8_t record_layer, record_next_layer;
};

/* 0 or -SQ_EINVAL (not audio/video, no clock rate) / -SQ_ENOMEM. */
int producer_create(struct producer **out, struct transport *t, uint32_t id,
                    const struct sdp_track *track, uint64_t now_us);
/* Detaches its consumers (they go silent) and leaves the transport. */
void producer_free(struct producer *p);

/* The producer on `t` an RTP packet with an unknown SSRC belongs to, learnt
 * from its mid (and repaired-rid / RTX payload type) header extensions, and
 * bound to it from now on. NULL when none claims it. */
struct producer *producer_learn_ssrc(struct transport *t, const struct rtp_packet *rtp,
                                     bool *is_rtx);

/* One decrypted packet for this producer. RTX is unwrapped in place (buf
 * must be writable). */
void producer_receive_rtp(struct producer *p, uint8_t *buf, size_t len,
                          const struct rtp_packet *rtp, bool is_rtx, uint64_t now_us);

/* Pausing drops media; resuming makes video consumers wait for a keyframe. */
void producer_set_paused(struct producer *p, bool paused);

/* Sends a PLI (or FIR when only FIR was negotiated) for layer `layer` to
 * the publisher unless one went out for it less than
 * PRODUCER_KEYFRAME_INTERVAL_US ago. 1 sent, 0 suppressed (counted),
 * negative when it cannot be sent. */
int producer_request_layer_keyframe(struct producer *p, uint8_t layer, uint64_t now_us);
/* The same for every layer whose SSRC is known: 1 when one was sent. */
int producer_request_keyframe(struct producer *p, uint64_t now_us);
/* Sends the requests that waited for the rate limit (the periodic tick). */
void producer_flush_keyframe_requests(struct producer *p, uint64_t now_us);

void producer_on_sender_report(struct producer *p, const struct rtcp_sender_report *sr,
                               uint64_t now_us);

/* Report blocks about this producer's layers for our RR, at most cap (and
 * moves their "prior" counters to now). Returns how many. */
size_t producer_report_blocks(struct producer *p, uint64_t now_us, struct rtcp_report_block *out,
                              size_t cap);

/* A packet of layer `layer` still in its NACK cache, rebuilt as the router
 * handed it out (views into the cache; valid until the slot is reused).
 * 0, or -SQ_ENOTFOUND. */
int producer_cached_packet(const struct producer *p, uint8_t layer, uint64_t ext_seq,
                           struct rtc_packet *out);

/* Extends a 16-bit seq of one layer's stream. */
uint64_t producer_layer_extend_seq(const struct producer_layer *l, uint16_t seq);

static inline bool producer_layer_is_active(const struct producer_layer *l, uint64_t now_us)
{
    return l->rate.has_data && now_us - l->last_packet_us < PRODUCER_LAYER_ACTIVE_US;
}

/* Media bitrate of a layer: measured over the window while it is active,
 * else the last value measured (0 when never measured). */
uint64_t producer_layer_bitrate_bps(const struct producer_layer *l, uint64_t now_us);

/* True with *is_rtx set when ssrc (non-zero) is one of the producer's. */
static inline bool producer_has_ssrc(const struct producer *p, uint32_t ssrc, bool *is_rtx)
{
    if (!ssrc)
        return false;
    for (uint8_t i = 0; i < p->n_layers; i++) {
        if (p->layers[i].ssrc == ssrc) {
            *is_rtx = false;
            return true;
        }
        if (p->layers[i].rtx_ssrc == ssrc) {
            *is_rtx = true;
            return true;
        }
    }
    return false;
}

/* producer_layer.c, for producer.c: counts a media packet into the layer's
 * bitrate window; re-ranks the layers after a keyframe changed a size and
 * has the consumers choose again. */
void producer_layer_count(struct producer_layer *l, size_t len, uint64_t now_us);
void producer_layers_resized(struct producer *p, uint64_t now_us);

/* Every ~100 ms, after the consumers chose their layers: keeps the known
 * bitrates and emits SFU_EVENT_LAYERS_CHANGED when the set of layers some
 * consumer wants changes (a layer unwanted for PRODUCER_LAYER_UNWANTED_US
 * leaves it, a wanted one joins at once). Simulcast only. */
void producer_tick_layers(struct producer *p, uint64_t now_us);

#endif
