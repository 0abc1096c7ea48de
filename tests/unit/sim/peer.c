/* An in-memory WebRTC peer for simulated-time tests (see peer.h): the
 * controlling ICE agent of RFC 8445 reduced to what a lite server needs
 * (one candidate pair, USE-CANDIDATE on the first check), a DTLS client
 * (RFC 5763: the offerer's a=setup:active side), SRTP both ways. */
#include "peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/clock.h"
#include "sabaq/error.h"
#include "sabaq/stun.h"
#include "rtc/seq.h"

#define CHECK_INTERVAL_US 2500000

static void queue(struct sim_peer *p, const uint8_t *buf, size_t len)
{
    if (len > DATAGRAM_MAX)
        abort();
    if (p->n_out == p->cap_out) {
        size_t cap = p->cap_out ? p->cap_out * 2 : 64;
        struct peer_dgram *o = realloc(p->out, cap * sizeof(*o));
        if (!o)
            abort();
        p->out = o;
        p->cap_out = cap;
    }
    p->out[p->n_out].len = len;
    memcpy(p->out[p->n_out].data, buf, len);
    p->n_out++;
}

struct sim_peer *sim_peer_new(const char *name, const struct sockaddr_storage *addr,
                              socklen_t addr_len, const char *remote_ufrag, const char *remote_pwd,
                              const char *remote_fingerprint)
{
    struct sim_peer *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    snprintf(p->name, sizeof p->name, "%s", name);
    p->addr = *addr;
    p->addr_len = addr_len;
    snprintf(p->ufrag, sizeof p->ufrag, "u%s", name);
    snprintf(p->pwd, sizeof p->pwd, "peerpassword-%s-0123456789", name);
    snprintf(p->remote_ufrag, sizeof p->remote_ufrag, "%s", remote_ufrag);
    snprintf(p->remote_pwd, sizeof p->remote_pwd, "%s", remote_pwd);
    p->keepalive = true;
    p->next_check_us = SQ_NEVER;
    p->cert = dtls_cert_generate();
    p->dtls = p->cert ? dtls_conn_new(p->cert, DTLS_ROLE_CLIENT) : NULL;
    p->rx = calloc(PEER_MAX_RX, sizeof(*p->rx));
    p->rtcp = calloc(PEER_MAX_RTCP, sizeof(*p->rtcp));
    if (!p->dtls || !p->rx || !p->rtcp ||
        dtls_conn_set_remote_fingerprint(p->dtls, "sha-256", remote_fingerprint) < 0) {
        sim_peer_free(p);
        return NULL;
    }
    return p;
}

void sim_peer_free(struct sim_peer *p)
{
    if (!p)
        return;
    if (p->srtp_in)
        srtp_in_free(p->srtp_in);
    if (p->srtp_out)
        srtp_out_free(p->srtp_out);
    dtls_conn_free(p->dtls);
    dtls_cert_free(p->cert);
    free(p->out);
    free(p->rx);
    free(p->rtcp);
    free(p);
}

const char *sim_peer_fingerprint(const struct sim_peer *p) { return dtls_cert_fingerprint(p->cert); }

static void send_check(struct sim_peer *p, bool nominate)
{
    uint8_t buf[256], txid[STUN_TXID_LEN] = {'s', 'i', 'm'};
    char username[80];
    p->stun_txn++;
    memcpy(txid + 4, &p->stun_txn, sizeof p->stun_txn);
    snprintf(username, sizeof username, "%s:%s", p->remote_ufrag, p->ufrag);
    int n = stun_binding_request_write(buf, sizeof buf, txid, username, 0x6e0001ff,
                                       0x0102030405060708ull, nominate,
                                       (const uint8_t *)p->remote_pwd, strlen(p->remote_pwd));
    if (n > 0)
        queue(p, buf, (size_t)n);
}

void sim_peer_start(struct sim_peer *p, uint64_t now_us)
{
    send_check(p, true);
    p->next_check_us = now_us + CHECK_INTERVAL_US;
}

static void flush_dtls(struct sim_peer *p)
{
    uint8_t buf[DATAGRAM_MAX];
    int n;
    while ((n = dtls_conn_poll_transmit(p->dtls, buf, sizeof buf)) > 0)
        queue(p, buf, (size_t)n);
}

static void check_connected(struct sim_peer *p)
{
    struct srtp_keys keys;
    if (dtls_conn_state(p->dtls) == DTLS_STATE_FAILED)
        p->is_failed = true;
    if (p->is_connected || dtls_conn_srtp_keys(p->dtls, &keys) < 0)
        return;
    p->srtp_in = srtp_in_new(&keys);
    p->srtp_out = srtp_out_new(&keys);
    p->is_connected = p->srtp_in && p->srtp_out;
}

static void receive_stun(struct sim_peer *p, const uint8_t *buf, size_t len, uint64_t now_us)
{
    struct stun_message m;
    if (stun_message_parse(&m, buf, len) < 0)
        return;
    if (m.type == STUN_BINDING_ERROR) {
        p->n_stun_error++;
        return;
    }
    if (m.type != STUN_BINDING_SUCCESS ||
        stun_message_check_integrity(&m, (const uint8_t *)p->remote_pwd, strlen(p->remote_pwd)) < 0)
        return;
    p->n_stun_ok++;
    if (!p->is_ice_done) {
        p->is_ice_done = true;
        dtls_conn_connect(p->dtls, now_us);
        flush_dtls(p);
    }
}

static void count_pli(struct sim_peer *p, uint32_t ssrc)
{
    for (size_t i = 0; i < p->n_pli_ssrcs; i++) {
        if (p->pli_by_ssrc[i].ssrc == ssrc) {
            p->pli_by_ssrc[i].n++;
            return;
        }
    }
    if (p->n_pli_ssrcs < 8) {
        p->pli_by_ssrc[p->n_pli_ssrcs].ssrc = ssrc;
        p->pli_by_ssrc[p->n_pli_ssrcs].n = 1;
        p->n_pli_ssrcs++;
    }
}

static void count_rtcp(struct sim_peer *p, const uint8_t *buf, size_t len)
{
    struct rtcp_iter it;
    struct rtcp_packet pkt;
    struct rtcp_feedback fb;
    struct rtcp_remb remb;
    rtcp_iter_init(&it, buf, len);
    while (rtcp_iter_next(&it, &pkt) == 1) {
        if (pkt.type == RTCP_SR && rtcp_sender_report_parse(&pkt, &p->last_sr) == 0) {
            p->n_sr++;
        } else if (pkt.type == RTCP_RR && rtcp_receiver_report_parse(&pkt, &p->last_rr) == 0) {
            p->n_rr++;
        } else if (pkt.type == RTCP_RTPFB && pkt.count == RTCP_RTPFB_NACK) {
            uint16_t seqs[32];
            int n = rtcp_nack_parse(&pkt, &fb, seqs, 32);
            p->n_nack++;
            if (n > 0)
                p->last_nack_media_ssrc = fb.media_ssrc;
            for (int i = 0; i < n && p->n_nack_seqs < 32; i++)
                p->nack_seqs[p->n_nack_seqs++] = seqs[i];
        } else if (pkt.type == RTCP_RTPFB && pkt.count == RTCP_RTPFB_TWCC) {
            p->n_twcc++;
        } else if (pkt.type == RTCP_PSFB && pkt.count == RTCP_PSFB_PLI &&
                   rtcp_feedback_parse(&pkt, &fb) == 0) {
            p->n_pli++;
            p->last_pli_media_ssrc = fb.media_ssrc;
            count_pli(p, fb.media_ssrc);
        } else if (pkt.type == RTCP_PSFB && pkt.count == RTCP_PSFB_FIR) {
            p->n_fir++;
        } else if (pkt.type == RTCP_PSFB && pkt.count == RTCP_PSFB_AFB &&
                   rtcp_remb_parse(&pkt, &remb) == 0) {
            p->n_remb++;
            p->last_remb_bps = remb.bitrate_bps;
        }
    }
}

static void receive_srtp(struct sim_peer *p, const uint8_t *buf, size_t len)
{
    if (!p->is_connected) {
        p->n_undecryptable++;
        return;
    }
    if (rtp_is_rtcp(buf, len)) {
        if (p->n_rtcp == PEER_MAX_RTCP)
            return;
        struct peer_rtcp *r = &p->rtcp[p->n_rtcp];
        memcpy(r->data, buf, len);
        r->len = len;
        if (srtp_in_unprotect_rtcp(p->srtp_in, r->data, &r->len) < 0) {
            p->n_undecryptable++;
            return;
        }
        p->n_rtcp++;
        count_rtcp(p, r->data, r->len);
        return;
    }
    if (p->n_rx == PEER_MAX_RX)
        return;
    struct peer_rtp *r = &p->rx[p->n_rx];
    memcpy(r->data, buf, len);
    r->len = len;
    if (srtp_in_unprotect_rtp(p->srtp_in, r->data, &r->len) < 0 ||
        rtp_packet_parse(&r->rtp, r->data, r->len) < 0) {
        p->n_undecryptable++;
        return;
    }
    p->n_rx++;
}

void sim_peer_receive(struct sim_peer *p, const uint8_t *buf, size_t len, uint64_t now_us)
{
    if (len == 0)
        return;
    if (buf[0] <= 3) {
        receive_stun(p, buf, len, now_us);
    } else if (buf[0] >= 20 && buf[0] <= 63) {
        dtls_conn_receive(p->dtls, buf, len, now_us);
        flush_dtls(p);
        check_connected(p);
    } else if (buf[0] >= 128 && buf[0] <= 191) {
        receive_srtp(p, buf, len);
    }
}

uint64_t sim_peer_next_deadline_us(const struct sim_peer *p)
{
    uint64_t d = dtls_conn_next_deadline_us(p->dtls);
    uint64_t c = p->keepalive ? p->next_check_us : SQ_NEVER;
    return d < c ? d : c;
}

void sim_peer_handle_timeouts(struct sim_peer *p, uint64_t now_us)
{
    if (dtls_conn_next_deadline_us(p->dtls) <= now_us) {
        dtls_conn_handle_timeout(p->dtls, now_us);
        flush_dtls(p);
        check_connected(p);
    }
    if (p->keepalive && p->next_check_us <= now_us) {
        send_check(p, false);
        p->next_check_us = now_us + CHECK_INTERVAL_US;
    }
}

static uint32_t roc_for(struct sim_peer *p, uint32_t ssrc, uint16_t seq)
{
    for (size_t i = 0; i < p->n_sent_seq; i++) {
        if (p->sent_seq[i].ssrc == ssrc) {
            uint64_t ext = seq_extend(p->sent_seq[i].ext, seq);
            if (ext > p->sent_seq[i].ext)
                p->sent_seq[i].ext = ext;
            return (uint32_t)(ext >> 16);
        }
    }
    if (p->n_sent_seq < 8) {
        p->sent_seq[p->n_sent_seq].ssrc = ssrc;
        p->sent_seq[p->n_sent_seq].ext = seq;
        p->n_sent_seq++;
    }
    return 0;
}

int sim_peer_send_rtp(struct sim_peer *p, const struct rtp_header *h,
                      const struct rtp_ext_element *exts, size_t n_ext, const uint8_t *payload,
                      size_t payload_len)
{
    uint8_t buf[DATAGRAM_MAX];
    if (!p->is_connected)
        return -SQ_ESTATE;
    int hl = rtp_header_write(buf, sizeof buf, h, exts, n_ext);
    if (hl < 0 || (size_t)hl + payload_len + SRTP_MAX_TRAILER > sizeof buf)
        return -SQ_ENOSPACE;
    memcpy(buf + hl, payload, payload_len);
    size_t len = (size_t)hl + payload_len;
    int rc = srtp_out_protect_rtp(p->srtp_out, buf, &len, sizeof buf, roc_for(p, h->ssrc, h->seq));
    if (rc < 0)
        return rc;
    queue(p, buf, len);
    return 0;
}

int sim_peer_send_rtcp(struct sim_peer *p, const uint8_t *rtcp, size_t rtcp_len)
{
    uint8_t buf[DATAGRAM_MAX];
    if (!p->is_connected)
        return -SQ_ESTATE;
    if (rtcp_len + SRTP_MAX_TRAILER > sizeof buf)
        return -SQ_ENOSPACE;
    memcpy(buf, rtcp, rtcp_len);
    size_t len = rtcp_len;
    int rc = srtp_out_protect_rtcp(p->srtp_out, buf, &len, sizeof buf);
    if (rc < 0)
        return rc;
    queue(p, buf, len);
    return 0;
}

void sim_peer_send_raw(struct sim_peer *p, const uint8_t *buf, size_t len) { queue(p, buf, len); }

size_t sim_peer_rtp_with_ssrc(const struct sim_peer *p, uint32_t ssrc, const struct peer_rtp **out,
                              size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_rx && n < cap; i++)
        if (p->rx[i].rtp.ssrc == ssrc)
            out[n++] = &p->rx[i];
    return n;
}

size_t sim_peer_pli_count(const struct sim_peer *p, uint32_t ssrc)
{
    for (size_t i = 0; i < p->n_pli_ssrcs; i++)
        if (p->pli_by_ssrc[i].ssrc == ssrc)
            return p->pli_by_ssrc[i].n;
    return 0;
}

#define VP8_DESC_LEN 6           /* X, I (15-bit PictureID), L, T */
#define VP8_FRAME_HDR_LEN 10
#define VP8_TAG_LEN 10

/* RFC 7741 sec. 4.2 descriptor, the frame header on a frame's first packet
 * (RFC 6386 sec. 9.1: the keyframe start code and size), the tag, filler. */
static size_t vp8_payload(const struct sim_vp8_stream *s, uint8_t *out, size_t index, uint16_t seq,
                          uint32_t ts, bool key, uint16_t picture_id, uint8_t tl0)
{
    size_t n = 0;
    out[n++] = (uint8_t)(0x80 | (index == 0 ? 0x10 : 0));
    out[n++] = 0xE0;
    out[n++] = (uint8_t)(0x80 | (picture_id >> 8));
    out[n++] = (uint8_t)picture_id;
    out[n++] = tl0;
    out[n++] = 0x20;
    if (index == 0) {
        const uint8_t hdr[VP8_FRAME_HDR_LEN] = {
            (uint8_t)(key ? 0x50 : 0x51), 0x02, 0x00, 0x9d, 0x01, 0x2a,
            (uint8_t)s->width, (uint8_t)(s->width >> 8), (uint8_t)s->height,
            (uint8_t)(s->height >> 8)};
        memcpy(out + n, hdr, sizeof hdr);
        n += sizeof hdr;
    }
    out[n++] = s->tag;
    out[n++] = (uint8_t)(seq >> 8);
    out[n++] = (uint8_t)seq;
    out[n++] = (uint8_t)(ts >> 24);
    out[n++] = (uint8_t)(ts >> 16);
    out[n++] = (uint8_t)(ts >> 8);
    out[n++] = (uint8_t)ts;
    out[n++] = (uint8_t)(picture_id >> 8);
    out[n++] = (uint8_t)picture_id;
    out[n++] = tl0;
    for (; n < s->packet_size; n++)
        out[n] = (uint8_t)(seq + n);
    return n;
}

static size_t vp8_exts(const struct sim_vp8_stream *s, struct rtp_ext_element *ext, bool rtx,
                       uint8_t *tcc)
{
    size_t n = 0;
    if (s->mid && s->mid_ext)
        ext[n++] = (struct rtp_ext_element){s->mid_ext, (uint8_t)strlen(s->mid),
                                            (const uint8_t *)s->mid};
    if (s->rid && (rtx ? s->rrid_ext : s->rid_ext))
        ext[n++] = (struct rtp_ext_element){rtx ? s->rrid_ext : s->rid_ext, (uint8_t)strlen(s->rid),
                                            (const uint8_t *)s->rid};
    if (s->tcc_ext && s->tcc_seq) {
        tcc[0] = (uint8_t)(*s->tcc_seq >> 8);
        tcc[1] = (uint8_t)*s->tcc_seq;
        (*s->tcc_seq)++;
        ext[n++] = (struct rtp_ext_element){s->tcc_ext, 2, tcc};
    }
    return n;
}

static int send_vp8(struct sim_peer *p, struct sim_vp8_stream *s, uint32_t ts, bool key,
                    size_t first, size_t count, uint32_t skip_mask)
{
    uint8_t payload[DATAGRAM_MAX], tcc[2];
    struct rtp_ext_element ext[3];
    int rc = 0;
    for (size_t i = first; i < first + count && i < s->packets_per_frame; i++) {
        size_t len = vp8_payload(s, payload, i, s->seq, ts, key, s->picture_id, s->tl0_pic_idx);
        size_t n_ext = vp8_exts(s, ext, false, tcc);
        struct rtp_header h = {.marker = i + 1 == s->packets_per_frame, .payload_type = s->pt,
                               .seq = s->seq, .timestamp = ts, .ssrc = s->ssrc};
        if (!(i < 32 && (skip_mask >> i) & 1)) {
            int r = sim_peer_send_rtp(p, &h, ext, n_ext, payload, len);
            if (r < 0)
                rc = r;
        }
        s->seq++;
    }
    if (first + count >= s->packets_per_frame) {
        s->picture_id = (uint16_t)((s->picture_id + 1) & 0x7fff);
        s->tl0_pic_idx++;
    }
    return rc;
}

int sim_peer_send_vp8_frame(struct sim_peer *p, struct sim_vp8_stream *s, uint32_t ts, bool key,
                            uint32_t skip_mask)
{
    return send_vp8(p, s, ts, key, 0, s->packets_per_frame, skip_mask);
}

int sim_peer_send_vp8_part(struct sim_peer *p, struct sim_vp8_stream *s, uint32_t ts, bool key,
                           size_t first, size_t count)
{
    return send_vp8(p, s, ts, key, first, count, 0);
}

int sim_peer_send_vp8_rtx(struct sim_peer *p, struct sim_vp8_stream *s, uint16_t first_seq,
                          size_t index, uint32_t ts, bool key, uint16_t picture_id, uint8_t tl0)
{
    uint8_t payload[DATAGRAM_MAX], tcc[2];
    struct rtp_ext_element ext[3];
    uint16_t seq = (uint16_t)(first_seq + index);
    payload[0] = (uint8_t)(seq >> 8);
    payload[1] = (uint8_t)seq;
    size_t len = 2 + vp8_payload(s, payload + 2, index, seq, ts, key, picture_id, tl0);
    size_t n_ext = vp8_exts(s, ext, true, tcc);
    struct rtp_header h = {.marker = index + 1 == s->packets_per_frame, .payload_type = s->rtx_pt,
                           .seq = s->rtx_seq++, .timestamp = ts, .ssrc = s->rtx_ssrc};
    return sim_peer_send_rtp(p, &h, ext, n_ext, payload, len);
}

int sim_vp8_read(const struct peer_rtp *r, size_t skip, struct vp8_descriptor *d,
                 struct sim_vp8_tag *tag)
{
    if (r->rtp.payload_len < skip ||
        vp8_descriptor_parse(d, r->rtp.payload + skip, r->rtp.payload_len - skip) < 0)
        return -1;
    size_t at = skip + d->descriptor_len +
                (d->start_of_partition && d->partition_id == 0 ? VP8_FRAME_HDR_LEN : 0);
    if (at + VP8_TAG_LEN > r->rtp.payload_len)
        return -1;
    const uint8_t *t = r->rtp.payload + at;
    tag->stream = t[0];
    tag->seq = (uint16_t)(t[1] << 8 | t[2]);
    tag->ts = (uint32_t)t[3] << 24 | (uint32_t)t[4] << 16 | (uint32_t)t[5] << 8 | t[6];
    tag->picture_id = (uint16_t)(t[7] << 8 | t[8]);
    tag->tl0_pic_idx = t[9];
    return 0;
}
