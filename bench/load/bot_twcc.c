/* bench/load: transport-wide congestion control feedback from a receiving
 * bot (draft-holmer-rmcat-transport-wide-cc-extensions-01), as browsers send
 * it: every packet on the subscribe connection carries a transport-wide
 * sequence number (Sabaq's extension id SDP_SUB_EXT_TRANSPORT_CC); the bot
 * notes when each arrived and reports them every TWCC_PERIOD_US. Sabaq's
 * estimator then runs on real loopback timing instead of the REMB claims.
 * Only with --twcc. */
#include <stdlib.h>
#include <string.h>

#include "bot.h"
#include "sabaq/rtcp.h"
#include "sabaq/rtp.h"
#include "sabaq/srtp_session.h"

#define RING 2048                 /* > a feedback period's packets at any rate here */
#define TWCC_PERIOD_US 100000u

struct bot_twcc {
    bool started;
    uint64_t max_ext, next_report;   /* extended seqs: highest seen, first not reported */
    uint64_t ext_of[RING];
    uint64_t arrival_us[RING];
    uint8_t fb_count;
    uint64_t next_us;
};

static uint64_t extend(uint64_t last, uint16_t seq)
{
    return last + (uint64_t)(int64_t)(int16_t)(uint16_t)(seq - (uint16_t)last);
}

void bot_twcc_record(struct bot *b, const struct rtp_packet *r, uint64_t now_us)
{
    const uint8_t *v;
    size_t len;
    if (!b->proc->cfg->twcc)
        return;
    if (!b->twcc && !(b->twcc = calloc(1, sizeof(*b->twcc))))
        return;
    if (rtp_packet_find_ext(r, SDP_SUB_EXT_TRANSPORT_CC, &v, &len) != 1 || len != 2)
        return;
    struct bot_twcc *t = b->twcc;
    uint16_t seq = (uint16_t)(v[0] << 8 | v[1]);
    uint64_t ext = t->started ? extend(t->max_ext, seq) : (0x10000u | seq);
    if (!t->started) {
        t->started = true;
        t->max_ext = t->next_report = ext;
        t->next_us = now_us + TWCC_PERIOD_US;
    }
    if (ext > t->max_ext)
        t->max_ext = ext;
    t->ext_of[ext % RING] = ext;
    t->arrival_us[ext % RING] = now_us;
}

void bot_twcc_report(struct bot *b, uint64_t now_us)
{
    struct bot_twcc *t = b->twcc;
    static struct rtcp_twcc fb; /* large; the media thread is the only user */
    if (!t || !t->started || now_us < t->next_us || b->sub.state != TR_UP || !b->n_rx)
        return;
    t->next_us = now_us + TWCC_PERIOD_US;
    if (t->max_ext < t->next_report)
        return;
    uint64_t n = t->max_ext - t->next_report + 1;
    if (n > RTCP_TWCC_MAX_PACKETS) {  /* a long stall: report only the newest */
        t->next_report = t->max_ext + 1 - RTCP_TWCC_MAX_PACKETS;
        n = RTCP_TWCC_MAX_PACKETS;
    }
    memset(&fb, 0, sizeof(fb));
    fb.sender_ssrc = 0x5a000000u + b->index;
    fb.media_ssrc = b->rx[0].ssrc;
    fb.base_seq = (uint16_t)t->next_report;
    fb.count = (uint16_t)n;
    fb.fb_count = t->fb_count++;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t ext = t->next_report + i;
        fb.arrival_us[i] = t->ext_of[ext % RING] == ext ? (int64_t)t->arrival_us[ext % RING] : -1;
    }
    uint8_t pkt[1500];
    int len = rtcp_twcc_write(pkt, sizeof(pkt) - SRTP_MAX_TRAILER, &fb);
    if (len > 0)
        bot_transport_send_rtcp(&b->sub, pkt, (size_t)len, sizeof(pkt));
    t->next_report = t->max_ext + 1;
}

void bot_twcc_free(struct bot *b)
{
    free(b->twcc);
    b->twcc = NULL;
}
