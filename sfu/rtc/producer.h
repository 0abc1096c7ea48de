/* A producer is one incoming track on a publish transport (DESIGN principle
 * 4): it binds its SSRCs (from SDP or learnt from the mid header extension),
 * keeps receive statistics for receiver reports (RFC 3550 A.3, A.8), keeps
 * recent video packets for NACKs, asks the publisher for keyframes
 * (RFC 4585 PLI / RFC 5104 FIR, rate-limited) and hands each packet to the
 * router. */
#ifndef SABAQ_RTC_PRODUCER_H
#define SABAQ_RTC_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/rtcp.h"
#include "sabaq/rtp.h"
#include "sabaq/sdp.h"
#include "rtc/list.h"

struct transport;
struct nack_cache;

/* At most one keyframe request per producer in this interval. */
#define PRODUCER_KEYFRAME_INTERVAL_US 300000
/* A consumer still waiting for a keyframe asks again after this. */
#define PRODUCER_KEYFRAME_RETRY_US 1000000

/* RFC 3550 A.1/A.3/A.8 receive state of the primary stream. */
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

struct producer {
    uint32_t id;
    struct transport *transport; /* borrowed: the transport frees its producers first */
    struct sdp_track track;
    uint32_t ssrc, rtx_ssrc;     /* 0 until known */
    bool is_video;
    bool is_paused;
    bool is_active;              /* a media packet has arrived */
    struct nack_cache *cache;    /* owned; video only */
    struct list consumers;       /* struct consumer.producer_link */
    struct list transport_link;
    struct producer_rx_stats rx;
    uint64_t created_us;
    uint64_t packets, bytes;
    /* Keyframe requests to the publisher. */
    bool has_keyframe_request;
    bool wants_keyframe;         /* ask at the next tick */
    uint64_t last_keyframe_request_us;
    uint8_t fir_seq;
    /* The publisher's latest sender report: NTP <-> RTP time. */
    bool has_sr;
    uint64_t sr_ntp;
    uint32_t sr_rtp;
    uint64_t sr_received_us;
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

/* Sends a PLI (or FIR when only FIR was negotiated) to the publisher unless
 * one went out less than PRODUCER_KEYFRAME_INTERVAL_US ago. 1 sent, 0
 * suppressed (counted), negative when it cannot be sent. */
int producer_request_keyframe(struct producer *p, uint64_t now_us);

void producer_on_sender_report(struct producer *p, const struct rtcp_sender_report *sr,
                               uint64_t now_us);

/* A report block about this producer for our RR (and moves the "prior"
 * counters to now). 0, or -SQ_ESTATE when nothing has been received. */
int producer_report_block(struct producer *p, uint64_t now_us, struct rtcp_report_block *out);

/* Extends a 16-bit seq of this producer's stream. */
uint64_t producer_extend_seq(const struct producer *p, uint16_t seq);

#endif
