/* A consumer is one subscriber's copy of a producer (DESIGN principle 4):
 * the subscriber's own SSRCs, Sabaq's payload types and header extension ids
 * (SDP_SUB_*), and sequence numbers, timestamps and VP8 picture ids
 * rewritten so that the stream stays seamless when it starts or its source
 * changes. It also answers the subscriber's NACKs (RFC 4588 RTX) and sends
 * sender reports.
 *
 * Of a simulcast producer it forwards exactly one layer (current_layer) and
 * moves to target_layer at the first packet of a keyframe of that layer,
 * never while a frame of the current layer is half sent: then the switch
 * waits for that frame's end and the keyframe so far is replayed from the
 * producer's cache (consumer_simulcast.c). Which layer is the target is decided per
 * subscriber transport by layer selection (layer_select.h) from the
 * bandwidth estimate and the size the subscriber shows the video at.
 * A consumer is 688 bytes (x86-64) and allocates nothing else. */
#ifndef SABAQ_RTC_CONSUMER_H
#define SABAQ_RTC_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/rtcp.h"
#include "sabaq/sdp.h"
#include "rtc/layer_select.h"
#include "rtc/list.h"
#include "rtc/rtc_packet.h"

struct transport;
struct producer;

#define CONSUMER_SR_HISTORY 4
#define CONSUMER_SEGMENTS 4
/* A frame of the current layer whose packets stopped this long ago is
 * abandoned: a layer switch no longer waits for its end. */
#define CONSUMER_MID_FRAME_TIMEOUT_US 100000

/* A stretch of output taken from one source layer with one set of offsets,
 * kept so that a NACK for a packet sent before a switch finds it again. */
struct consumer_segment {
    uint64_t out_start;          /* extended outgoing seq of its first packet */
    uint64_t in_start;           /* the layer's extended seq there */
    uint16_t seq_offset;
    uint32_t ts_offset;
    uint16_t picture_id_offset;
    uint8_t tl0_offset;
    uint8_t layer;
};

/* VP8 PictureID / TL0PICIDX (RFC 7741) continuity: rewritten in the
 * outgoing copy once a switch made an offset necessary. */
struct consumer_vp8 {
    bool is_rewriting;
    uint16_t picture_id_offset;  /* out = in + offset, mod 2^15 */
    uint8_t tl0_offset;          /* out = in + offset, mod 2^8 */
    /* The newest packet sent, as it came in (its ids out = these + the
     * offsets): kept raw so the common path only copies 8 bytes. */
    struct rtc_vp8_ids last_in;
};

struct consumer {
    uint32_t id;
    struct transport *transport; /* borrowed: the transport frees its consumers first */
    struct producer *producer;   /* borrowed; NULL once the producer has closed */
    struct sdp_outgoing out;
    size_t mid_len;
    uint8_t payload_type;        /* SDP_SUB_PT_OPUS, _VP8 or _H264: the source's codec */
    /* Header extension ids (0: not sent): Sabaq's SDP_SUB_EXT_*, or the
     * subscriber's own (sdp_outgoing.has_own_numbers). */
    uint8_t ext_mid, ext_audio_level, ext_transport_cc;
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
    struct consumer_vp8 vp8;     /* beside the other fields every copy touches */
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
    struct consumer_segment segments[CONSUMER_SEGMENTS]; /* ring; the newest is the current */
    uint8_t n_segments, segment_next;
    /* What the subscriber shows (consumer_set_preferred_size). */
    bool has_view;               /* false until told: no size cap */
    bool is_hidden;              /* shown at 0x0: nothing is sent */
    uint16_t view_width, view_height;
    /* Simulcast: layer indexes of the producer (0 without simulcast). */
    bool is_simulcast;
    int8_t current_layer;        /* forwarded now; -1 none */
    int8_t target_layer;         /* switched to at its next keyframe; -1 none */
    int8_t desired_layer;        /* what layer selection wants, paused or not; -1 none */
    bool in_frame;               /* the last packet forwarded did not end its frame */
    uint32_t frame_ts;           /* the publisher's timestamp of that frame */
    uint64_t last_forward_us;
    /* The target's keyframe began while a frame of the current layer was
     * half sent: switch when that frame ends, replaying the keyframe from
     * the target layer's NACK cache from this extended seq on. */
    bool has_pending_switch;
    uint64_t pending_from_ext;
    uint64_t fits_since_us[LAYER_SELECT_MAX]; /* layer selection's timers, by layer */
    bool has_ts_hint;            /* next sync: map the timestamp through the layers' clock */
    uint32_t ts_hint_delta;      /* new layer's RTP time -> the previous layer's */
    uint32_t layer_switches;
    struct list transport_link;
    struct list producer_link;
};

/* Attached to `p` (kinds must match): 0 or -SQ_EINVAL / -SQ_ENOMEM. A video
 * consumer asks the producer for a keyframe. */
int consumer_create(struct consumer **out, struct transport *t, struct producer *p, uint32_t id,
                    const struct sdp_outgoing *o, uint64_t now_us);
void consumer_free(struct consumer *c);
/* The payload type the subscriber knows Sabaq's SDP_SUB_PT_* `pt` by: its
 * own when its offer chose them (WHEP), else pt itself. */
uint8_t consumer_wire_pt(const struct consumer *c, uint8_t pt);

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
 * the cache of the layer each was taken from, as RTX when negotiated. */
void consumer_handle_nack(struct consumer *c, const uint16_t *seqs, size_t n, uint64_t now_us);

void consumer_handle_report(struct consumer *c, const struct rtcp_report_block *rb,
                            uint64_t now_us);

/* An SR about what this consumer sent; 0 when it has sent nothing. */
int consumer_write_sr(struct consumer *c, uint64_t now_us, uint8_t *out, size_t cap);

/* The size the subscriber shows this video at; 0x0 = not shown, nothing is
 * sent (and counted) until it is shown again. 0 or -SQ_EINVAL (audio). */
int consumer_set_preferred_size(struct consumer *c, uint16_t width, uint16_t height,
                                uint64_t now_us);

/* The subscriber asked for a keyframe (PLI/FIR) or just became able to
 * decode: asks the publisher for one of the layer this consumer needs. */
void consumer_request_keyframe(struct consumer *c, uint64_t now_us);

/* ---- consumer_simulcast.c ---------------------------------------------- */

/* The router's entry for a simulcast producer's packet: forwards it when it
 * is of the current layer, switching first when it starts a keyframe of
 * the target layer (see above). */
void consumer_simulcast_send(struct consumer *c, const struct rtc_packet *pkt, uint64_t now_us);

/* Layer choice for every simulcast consumer on a subscriber transport: the
 * estimate (t->estimate_bps when set, else the bwe's once the subscriber
 * has sent feedback or a REMB, else no limit) less audio and single-stream
 * video is shared out largest view first, each visible video keeping room
 * for the lowest layer of the others. Sets target layers and asks for
 * their keyframes, and tells the bwe what the views would take
 * (bwe_set_wanted_bps: probing). Run on a tick and whenever an input
 * (the estimate included) changes. */
void consumer_simulcast_update(struct transport *t, uint64_t now_us);
/* A producer's layers changed (sizes, order): its consumers choose again. */
void consumer_simulcast_producer_changed(struct producer *p, uint64_t now_us);

#endif
