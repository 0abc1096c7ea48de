/* SDP writer (RFC 8866): struct sdp_session -> text with CRLF line ends, in a
 * fixed order so the same session always gives the same bytes. It writes
 * every field sdp_parse reads, so parse(write(x)) gives x back for the fields
 * set (a rejected m= section, port 0, keeps only m=, c=, a=mid and its
 * direction, as JSEP answers do). A string field holding a control character
 * would let a caller inject lines: the writer refuses it with -SQ_EINVAL. */
#include "sabaq/sdp.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sabaq/error.h"

struct out {
    char *buf;
    size_t cap;
    size_t len;
    int err;
};

/* Appends one formatted line plus CRLF; the first failure sticks. */
__attribute__((format(printf, 2, 3))) static void line(struct out *o, const char *fmt, ...)
{
    va_list ap;
    if (o->err)
        return;
    size_t room = o->cap - o->len;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n + 2 >= room) {
        o->err = -SQ_ENOSPACE;
        return;
    }
    for (int i = 0; i < n; i++)
        if ((unsigned char)o->buf[o->len + (size_t)i] < 0x20) {
            o->err = -SQ_EINVAL;
            return;
        }
    o->len += (size_t)n;
    o->buf[o->len++] = '\r';
    o->buf[o->len++] = '\n';
    o->buf[o->len] = '\0';
}

static const char *kind_name(enum sdp_media_kind k)
{
    switch (k) {
    case SDP_KIND_AUDIO: return "audio";
    case SDP_KIND_VIDEO: return "video";
    case SDP_KIND_APPLICATION: return "application";
    case SDP_KIND_OTHER: break;
    }
    return "unknown"; /* the offer's media name is not kept; only rejected anyway */
}

static const char *direction_name(enum sdp_direction d)
{
    switch (d) {
    case SDP_SENDONLY: return "sendonly";
    case SDP_RECVONLY: return "recvonly";
    case SDP_INACTIVE: return "inactive";
    case SDP_SENDRECV: break;
    }
    return "sendrecv";
}

static const char *setup_name(enum sdp_setup s)
{
    switch (s) {
    case SDP_SETUP_ACTPASS: return "actpass";
    case SDP_SETUP_ACTIVE: return "active";
    case SDP_SETUP_PASSIVE: return "passive";
    case SDP_SETUP_NONE: break;
    }
    return NULL;
}

static bool is_rtp_proto(const char *proto)
{
    return strstr(proto, "RTP/") != NULL;
}

static void write_m_line(struct out *o, const struct sdp_media *m)
{
    char fmts[SDP_MAX_CODECS * 4 + 1] = "";
    size_t n = 0;
    for (uint8_t i = 0; i < m->n_codecs && i < SDP_MAX_CODECS; i++)
        n += (size_t)snprintf(fmts + n, sizeof fmts - n, " %u", m->codecs[i].pt);
    if (n == 0) {
        /* An m= line needs a format: RFC 8841 data channels name one, the
         * older "DTLS/SCTP" form used the SCTP port. */
        const char *f = strcmp(m->proto, "DTLS/SCTP") == 0 && m->sctp_port[0] ? m->sctp_port
                        : strstr(m->proto, "SCTP")                            ? "webrtc-datachannel"
                                                                              : "*";
        snprintf(fmts, sizeof fmts, " %s", f);
    }
    line(o, "m=%s %u %s%s", kind_name(m->kind), m->port, m->proto, fmts);
    line(o, "c=IN IP4 0.0.0.0");
}

static void write_transport(struct out *o, const char *ufrag, const char *pwd, const char *alg,
                            const char *fp, enum sdp_setup setup)
{
    if (ufrag[0])
        line(o, "a=ice-ufrag:%s", ufrag);
    if (pwd[0])
        line(o, "a=ice-pwd:%s", pwd);
    if (fp[0])
        line(o, "a=fingerprint:%s %s", alg[0] ? alg : "sha-256", fp);
    if (setup_name(setup))
        line(o, "a=setup:%s", setup_name(setup));
}

static void write_codec(struct out *o, const struct sdp_codec *c)
{
    static const struct {
        uint32_t flag;
        const char *text;
    } fb[] = {
        {SDP_FB_NACK, "nack"},           {SDP_FB_NACK_PLI, "nack pli"},
        {SDP_FB_CCM_FIR, "ccm fir"},     {SDP_FB_GOOG_REMB, "goog-remb"},
        {SDP_FB_TRANSPORT_CC, "transport-cc"},
    };
    if (c->name[0] && c->channels)
        line(o, "a=rtpmap:%u %s/%" PRIu32 "/%u", c->pt, c->name, c->clock_rate, c->channels);
    else if (c->name[0])
        line(o, "a=rtpmap:%u %s/%" PRIu32, c->pt, c->name, c->clock_rate);
    for (size_t i = 0; i < sizeof fb / sizeof fb[0]; i++)
        if (c->feedback & fb[i].flag)
            line(o, "a=rtcp-fb:%u %s", c->pt, fb[i].text);
    if (c->fmtp[0])
        line(o, "a=fmtp:%u %s", c->pt, c->fmtp);
    else if (c->apt >= 0 && c->apt <= 127 && strcasecmp(c->name, "rtx") == 0)
        line(o, "a=fmtp:%u apt=%d", c->pt, c->apt);
}

static void write_ssrcs(struct out *o, const struct sdp_media *m)
{
    for (uint8_t i = 0; i < m->n_ssrc_groups && i < SDP_MAX_SSRC_GROUPS; i++) {
        const struct sdp_ssrc_group *g = &m->ssrc_groups[i];
        char list[4 * 11 + 1] = "";
        size_t n = 0;
        for (uint8_t k = 0; k < g->n && k < 4; k++)
            n += (size_t)snprintf(list + n, sizeof list - n, " %" PRIu32, g->ssrcs[k]);
        if (n)
            line(o, "a=ssrc-group:%s%s", g->semantics, list);
    }
    for (uint8_t i = 0; i < m->n_ssrcs && i < SDP_MAX_SSRCS; i++) {
        const struct sdp_ssrc *s = &m->ssrcs[i];
        if (s->cname[0])
            line(o, "a=ssrc:%" PRIu32 " cname:%s", s->ssrc, s->cname);
        if (s->msid[0])
            line(o, "a=ssrc:%" PRIu32 " msid:%s", s->ssrc, s->msid);
    }
}

static void write_candidates(struct out *o, const struct sdp_media *m)
{
    for (uint8_t i = 0; i < m->n_candidates && i < SDP_MAX_CANDIDATES; i++) {
        const struct sdp_candidate *c = &m->candidates[i];
        line(o, "a=candidate:%s %u %s %" PRIu32 " %s %u typ %s", c->foundation, c->component,
             c->transport, c->priority, c->address, c->port, c->type);
    }
    if (m->end_of_candidates)
        line(o, "a=end-of-candidates");
}

static void write_media(struct out *o, const struct sdp_media *m)
{
    bool rtp = is_rtp_proto(m->proto);
    write_m_line(o, m);
    if (m->port == 0) {
        if (m->mid[0])
            line(o, "a=mid:%s", m->mid);
        if (m->direction != SDP_SENDRECV)
            line(o, "a=%s", direction_name(m->direction));
        return;
    }
    if (rtp)
        line(o, "a=rtcp:9 IN IP4 0.0.0.0");
    write_transport(o, m->ice_ufrag, m->ice_pwd, m->fingerprint_alg, m->fingerprint, m->setup);
    if (m->mid[0])
        line(o, "a=mid:%s", m->mid);
    for (uint8_t i = 0; i < m->n_extmaps && i < SDP_MAX_EXTMAPS; i++)
        line(o, "a=extmap:%u %s", m->extmaps[i].id, m->extmaps[i].uri);
    if (rtp || m->direction != SDP_SENDRECV)
        line(o, "a=%s", direction_name(m->direction));
    if (m->msid[0])
        line(o, "a=msid:%s", m->msid);
    if (m->rtcp_mux)
        line(o, "a=rtcp-mux");
    if (m->rtcp_rsize)
        line(o, "a=rtcp-rsize");
    for (uint8_t i = 0; i < m->n_codecs && i < SDP_MAX_CODECS; i++)
        write_codec(o, &m->codecs[i]);
    write_ssrcs(o, m);
    for (uint8_t i = 0; i < m->n_rids && i < SDP_MAX_RIDS; i++)
        line(o, "a=rid:%s %s", m->rids[i].id, m->rids[i].send ? "send" : "recv");
    if (m->simulcast[0])
        line(o, "a=simulcast:%s", m->simulcast);
    write_candidates(o, m);
    if (m->sctp_port[0] && strcmp(m->proto, "DTLS/SCTP") != 0)
        line(o, "a=sctp-port:%s", m->sctp_port);
}

int sdp_write(const struct sdp_session *s, char *out, size_t cap)
{
    struct out o = {.buf = out, .cap = cap};
    if (!out || cap == 0)
        return -SQ_ENOSPACE;
    out[0] = '\0';
    line(&o, "v=0");
    line(&o, "o=- %" PRIu64 " %" PRIu64 " IN IP4 0.0.0.0", s->origin_session_id,
         s->origin_version);
    line(&o, "s=-");
    line(&o, "t=0 0");
    if (s->ice_lite)
        line(&o, "a=ice-lite");
    if (s->bundle[0])
        line(&o, "a=group:BUNDLE %s", s->bundle);
    line(&o, "a=msid-semantic: WMS *");
    write_transport(&o, s->ice_ufrag, s->ice_pwd, s->fingerprint_alg, s->fingerprint, s->setup);
    for (uint8_t i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++)
        write_media(&o, &s->media[i]);
    if (o.err) {
        out[0] = '\0';
        return o.err;
    }
    return (int)o.len;
}
