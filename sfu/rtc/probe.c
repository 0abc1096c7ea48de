/* Probe clusters of padding-only RTX packets (see probe.h). The cluster
 * leaves as one burst on the tick: the bottleneck spaces it out, and the
 * receive side of the feedback measures that rate, which is what the
 * estimator uses (it takes the lower of the send and receive rates). */
#include "rtc/probe.h"

#include <string.h>

#include "sabaq/rtp.h"
#include "sabaq/sdp.h"
#include "sabaq/srtp_session.h"
#include "rtc/bwe.h"
#include "rtc/consumer.h"
#include "rtc/transport.h"

#define RTP_CAP (DATAGRAM_MAX - SRTP_MAX_TRAILER)
#define MID_EXT_MAX 16

/* A video consumer that has an RTX stream and has started it (so the
 * subscriber's decoder knows its timestamps). */
static struct consumer *pick_consumer(struct transport *t)
{
    struct list *pos, *tmp;
    list_for_each_safe(pos, tmp, &t->consumers) {
        struct consumer *c = list_entry(pos, struct consumer, transport_link);
        if (c->is_video && c->out.rtx_ssrc && c->ext_transport_cc && c->has_sent &&
            !c->needs_sync)
            return c;
    }
    return NULL;
}

/* RTP header with mid and the transport-wide seq, no payload, then
 * PROBE_PADDING bytes of padding whose last byte is their count. */
static int write_padding(struct consumer *c, uint16_t twcc_seq, uint8_t *out, size_t cap)
{
    uint8_t twcc[2] = {(uint8_t)(twcc_seq >> 8), (uint8_t)twcc_seq};
    struct rtp_ext_element ext[2];
    size_t n_ext = 0;
    if (c->ext_mid && c->mid_len > 0 && c->mid_len <= MID_EXT_MAX)
        ext[n_ext++] = (struct rtp_ext_element){c->ext_mid, (uint8_t)c->mid_len,
                                                (const uint8_t *)c->out.mid};
    ext[n_ext++] = (struct rtp_ext_element){c->ext_transport_cc, 2, twcc};
    struct rtp_header h = {
        .payload_type = consumer_wire_pt(c, SDP_SUB_PT_RTX),
        .seq = (uint16_t)c->rtx_ext,
        .timestamp = c->last_ts,
        .ssrc = c->out.rtx_ssrc,
    };
    int hl = rtp_header_write(out, cap, &h, ext, n_ext);
    if (hl < 0 || (size_t)hl + PROBE_PADDING > cap)
        return -1;
    out[0] |= 0x20;              /* P */
    memset(out + hl, 0, PROBE_PADDING - 1);
    out[hl + PROBE_PADDING - 1] = PROBE_PADDING;
    return hl + PROBE_PADDING;
}

int probe_tick(struct transport *t, uint64_t now_us)
{
    struct bwe_probe plan;
    struct consumer *c;
    if (!t->bwe || !t->bwe->wanted_bps || t->bwe->estimate_bps >= t->bwe->wanted_bps ||
        !(c = pick_consumer(t)) || bwe_probe_plan(t->bwe, now_us, &plan) != 1)
        return 0;
    uint32_t n = (plan.bytes + PROBE_PADDING - 1) / PROBE_PADDING;
    if (n > PROBE_MAX_PACKETS)
        n = PROBE_MAX_PACKETS;
    int sent = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct datagram *d = transport_tx_slot(t);
        if (!d)
            break;
        int len = write_padding(c, bwe_next_seq(t->bwe), d->data, RTP_CAP);
        if (len < 0 || transport_commit_rtp(t, d, (size_t)len, (uint32_t)(c->rtx_ext >> 16)) < 0)
            break;
        c->rtx_ext++;
        sent++;
    }
    return sent;
}
