/* A consumer is one subscriber's copy of a producer (DESIGN principle 4):
 * the subscriber's own SSRCs, Sabaq's payload types and header extension ids
 * (SDP_SUB_*), and sequence numbers and timestamps rewritten so that the
 * stream stays seamless when it starts or its source changes. It also answers
 * the subscriber's NACKs (RFC 4588 RTX) and sends sender reports. */
#ifndef SABAQ_RTC_CONSUMER_H
#define SABAQ_RTC_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/rtcp.h"
#include "sabaq/sdp.h"
#include "rtc/list.h"
#include "rtc/rtc_packet.h"

struct transport;
struct producer;

#define CONSUMER_SR_HISTORY 4

struct consumer {
    uint32_t id;
    struct transport *transport; /* borrowed: the transport frees its consumers first */
    struct producer *producer;   /* borrowed; NULL once the producer has closed */
    struct sdp_outgoing out;
    size_t mid_len;
    uint8_t payload_type;        /* SDP_SUB_PT_OPUS or SDP_SUB_PT_VP8 */
    uint32_t clock_rate;
    bool is_video;
    /* Sequence and timestamp rewriting. */
    bool needs_sync;             /* choose offsets at the next packet forwarded */
    bool has_sent;
    uint16_t seq_offset;         /* out_seq = in_seq + seq_offset */
    uint32_t ts_offset;          /* out_ts = in_ts + ts_offset */
    uint64_t sync_in_ext;        /* producer ext seq where the offsets start */
    uint64_t out_ext;            /* highest extended outgoing seq: ROC = out_ext >> 16 */
    uint32_t last_ts;            /* timestamp of out_ext */
    uint64_t last_sent_us;
    uint64_t rtx_ext;            /* own RTX sequence, extended */
    /* Counters for SR and stats. */
    uint64_t packets_sent, octets_sent, rtx_sent;
    struct {
        bool is_set;
        uint32_t ntp_middle;
        uint64_t sent_us;
    } sr_sent[CONSUMER_SR_HISTORY];
    uint8_t sr_next;
    /* The subscriber's latest receiver report about us. */
    uint8_t fraction_lost;
    int32_t cumulative_lost;
    uint32_t jitter;
    uint32_t rtt_us;             /* 0 until measured */
    struct list transport_link;
    struct list producer_link;
};

/* Attached to `p` (kinds must match): 0 or -SQ_EINVAL / -SQ_ENOMEM. A video
 * consumer asks the producer for a keyframe. */
int consumer_create(struct consumer **out, struct transport *t, struct producer *p, uint32_t id,
                    const struct sdp_outgoing *o, uint64_t now_us);
void consumer_free(struct consumer *c);

/* The producer is going away: the consumer stays, silent, until freed. */
void consumer_detach(struct consumer *c);

/* Feeds the consumer from another producer of the same kind (the slot model
 * of DESIGN.md): the output runs on seamlessly from its next packet (a
 * keyframe for video, which is asked for). 0 or -SQ_EINVAL. */
int consumer_set_producer(struct consumer *c, struct producer *p, uint64_t now_us);

/* Writes this consumer's copy of pkt into out: the rewritten header with
 * its extensions, then the payload (padding dropped). Returns the length, 0
 * when the packet is not for this subscriber (waiting for a keyframe, older
 * than the start), or -SQ_ENOSPACE. *roc is the ROC of the outgoing seq. */
int consumer_rewrite(struct consumer *c, const struct rtc_packet *pkt, uint64_t now_us,
                     uint8_t *out, size_t cap, uint32_t *roc);

/* consumer_rewrite into the transport's next tx slot, protect, commit. */
void consumer_send_rtp(struct consumer *c, const struct rtc_packet *pkt, uint64_t now_us);

/* The subscriber lost these (outgoing) sequence numbers: resend them from
 * the producer's cache, as RTX when negotiated. */
void consumer_handle_nack(struct consumer *c, const uint16_t *seqs, size_t n, uint64_t now_us);

void consumer_handle_report(struct consumer *c, const struct rtcp_report_block *rb,
                            uint64_t now_us);

/* An SR about what this consumer sent; 0 when it has sent nothing. */
int consumer_write_sr(struct consumer *c, uint64_t now_us, uint8_t *out, size_t cap);

#endif
