/* Sabaq's side of SDP offer/answer (RFC 3264, JSEP RFC 8829) on the two
 * connections each participant opens:
 *   publish    the browser offers sendonly audio/video; Sabaq answers
 *              recvonly with one Opus, or one VP8 or H.264 (+ RTX), per
 *              m= section;
 *   subscribe  Sabaq offers sendonly m= sections with fixed payload types
 *              and extension ids, and checks the browser's answer.
 * Sabaq is ICE-lite (RFC 8445 2.5) and always the DTLS server
 * (a=setup:passive in answers, actpass in offers answered "active",
 * RFC 8842), so a single UDP port serves every peer and no DTLS role
 * conflict can arise. BUNDLE (RFC 9143) is required for more than one
 * m= section: one transport per connection. */
#include "sabaq/sdp.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sabaq/error.h"

/* ---- small helpers ------------------------------------------------------ */

static int fail(const char **why, const char *reason, int code)
{
    *why = reason;
    return code;
}

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

/* A non-empty string of printable ASCII without spaces, fitting in its array. */
static bool visible(const char *s, size_t cap)
{
    if (!terminated(s, cap) || !s[0])
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
            return false;
    return true;
}

/* RFC 8843 mids are RFC 8866 tokens; Sabaq's own stay alphanumeric. */
static bool is_mid(const char *s, size_t cap)
{
    if (!terminated(s, cap) || !s[0])
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

static bool local_ok(const struct sdp_local *l)
{
    return l && visible(l->ice_ufrag, sizeof l->ice_ufrag) &&
           visible(l->ice_pwd, sizeof l->ice_pwd) &&
           visible(l->fingerprint, sizeof l->fingerprint) &&
           l->n_candidates <= SDP_MAX_CANDIDATES;
}

/* Appends `mid` to a space-separated list; false when it does not fit. */
static bool list_append(char *list, size_t cap, const char *mid)
{
    size_t used = strlen(list), add = strlen(mid) + (used ? 1 : 0);
    if (used + add >= cap)
        return false;
    snprintf(list + used, cap - used, "%s%s", used ? " " : "", mid);
    return true;
}

bool sdp_list_has(const char *list, const char *tok, const char *seps)
{
    size_t n = strlen(tok);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, seps);
        if (len == n && strncmp(p, tok, n) == 0)
            return true;
        p += len;
        p += strspn(p, seps);
    }
    return false;
}

/* The o= session id must not repeat across Sabaq's answers to one peer, yet
 * this code is deterministic: derive it from the local credentials, which
 * are fresh per connection. 63 bits, as JSEP 5.2.1 asks. */
static uint64_t session_id_of(const struct sdp_local *l)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = l->ice_ufrag; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (const char *p = l->ice_pwd; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h & INT64_MAX;
}

/* Sabaq's transport attributes, written in every m= section it accepts. */
static void put_local(struct sdp_media *m, const struct sdp_local *l, enum sdp_setup setup)
{
    uint16_t port = l->n_candidates ? l->candidates[0].port : 0;
    m->port = port ? port : 9; /* 9 = "discard", JSEP's placeholder */
    snprintf(m->proto, sizeof m->proto, "%s", SDP_PROTO_SAVPF);
    snprintf(m->ice_ufrag, sizeof m->ice_ufrag, "%s", l->ice_ufrag);
    snprintf(m->ice_pwd, sizeof m->ice_pwd, "%s", l->ice_pwd);
    snprintf(m->fingerprint_alg, sizeof m->fingerprint_alg, "sha-256");
    snprintf(m->fingerprint, sizeof m->fingerprint, "%s", l->fingerprint);
    m->setup = setup;
    m->rtcp_mux = true;
    m->n_candidates = l->n_candidates;
    memcpy(m->candidates, l->candidates, sizeof m->candidates);
    m->end_of_candidates = true;
}

static void set_codec(struct sdp_codec *c, uint8_t pt, const char *name, uint32_t rate,
                      uint8_t channels, int apt, uint32_t feedback)
{
    memset(c, 0, sizeof *c);
    c->pt = pt;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->clock_rate = rate;
    c->channels = channels;
    c->apt = apt;
    c->feedback = feedback;
    if (channels == 2 && strcmp(name, "opus") == 0)
        snprintf(c->fmtp, sizeof c->fmtp, "%s", SDP_OPUS_FMTP);
    else if (apt >= 0)
        snprintf(c->fmtp, sizeof c->fmtp, "apt=%d", apt);
}

static void add_extmap(struct sdp_media *m, uint8_t id, const char *uri)
{
    if (m->n_extmaps >= SDP_MAX_EXTMAPS)
        return;
    m->extmaps[m->n_extmaps].id = id;
    snprintf(m->extmaps[m->n_extmaps].uri, sizeof m->extmaps[0].uri, "%s", uri);
    m->n_extmaps++;
}

/* ---- publish: answer the browser's offer -------------------------------- */

const struct sdp_codec *sdp_media_find_codec(const struct sdp_media *m, const char *name,
                                             uint32_t rate, int channels, int apt)
{
    for (uint8_t i = 0; i < m->n_codecs && i < SDP_MAX_CODECS; i++) {
        const struct sdp_codec *c = &m->codecs[i];
        if (strcasecmp(c->name, name) == 0 && c->clock_rate == rate &&
            (channels < 0 || c->channels == channels) && (apt < 0 || c->apt == apt))
            return c;
    }
    return NULL;
}

/* The value of one "name=value" parameter of an fmtp line (RFC 6184 8.1:
 * ';'-separated, names case-insensitive): 1 found, 0 absent, -1 too long. */
static int fmtp_param(const char *fmtp, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);
    for (const char *p = fmtp; *p;) {
        p += strspn(p, " ;");
        size_t len = strcspn(p, ";");
        if (len > n && strncasecmp(p, name, n) == 0 && p[n] == '=') {
            size_t vlen = len - n - 1;
            while (vlen && p[n + vlen] == ' ')
                vlen--;
            if (vlen >= cap)
                return -1;
            memcpy(out, p + n + 1, vlen);
            out[vlen] = '\0';
            return 1;
        }
        p += len;
    }
    return 0;
}

/* How much Sabaq wants an offered H.264 format, lower is better, -1 not at
 * all. Only packetization-mode 1 (STAP-A, FU-A: what WebRTC and OBS send;
 * mode 0 is the RFC 6184 default when absent). Subscribers are offered
 * constrained baseline, which every WebRTC decoder takes, so that comes
 * first (RFC 6184 8.1: 42 with constraint_set1, 4D with constraint_set0,
 * 58 with both), then baseline, main, and any other profile last: browsers'
 * software decoders play those too. No profile-level-id means 42000A. */
static int h264_rank(const struct sdp_codec *c)
{
    char mode[4], pli[8];
    unsigned profile, iop;
    if (fmtp_param(c->fmtp, "packetization-mode", mode, sizeof mode) != 1 || strcmp(mode, "1") != 0)
        return -1;
    int has_pli = fmtp_param(c->fmtp, "profile-level-id", pli, sizeof pli);
    if (has_pli == 0)
        return 1;
    if (has_pli < 0 || strlen(pli) != 6 || strspn(pli, "0123456789abcdefABCDEF") != 6 ||
        sscanf(pli, "%2x%2x", &profile, &iop) != 2)
        return -1;
    if ((profile == 0x42 && (iop & 0x40)) || (profile == 0x4d && (iop & 0x80)) ||
        (profile == 0x58 && (iop & 0xc0) == 0xc0))
        return 0;
    return profile == 0x42 ? 1 : profile == 0x4d ? 2 : 3;
}

/* The answer's fmtp for the chosen H.264 format: the publisher's own
 * parameters (profile, level, packetization mode), less the sprop-* ones,
 * which describe a sender's stream (RFC 6184 8.2.2) and Sabaq sends none. */
static void answer_h264_fmtp(const char *offered, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (const char *p = offered; *p;) {
        p += strspn(p, " ;");
        size_t len = strcspn(p, ";");
        while (len && p[len - 1] == ' ')
            len--;
        if (len && strncasecmp(p, "sprop-", 6) != 0 && used + len + 2 <= cap) {
            used += (size_t)snprintf(out + used, cap - used, "%s%.*s", used ? ";" : "", (int)len, p);
        }
        p += strcspn(p, ";");
    }
}

/* The best H.264 format offered (the offer's order breaks ties), or NULL. */
static const struct sdp_codec *find_h264(const struct sdp_media *m)
{
    const struct sdp_codec *best = NULL;
    int best_rank = 0;
    for (uint8_t i = 0; i < m->n_codecs && i < SDP_MAX_CODECS; i++) {
        const struct sdp_codec *c = &m->codecs[i];
        int rank = strcasecmp(c->name, "H264") == 0 && c->clock_rate == 90000 ? h264_rank(c) : -1;
        if (rank >= 0 && (!best || rank < best_rank)) {
            best = c;
            best_rank = rank;
        }
    }
    return best;
}

/* Picks the codecs (the first Opus/48000/2; or the first VP8, else the best
 * H.264, with its RTX) into the answer's m= section; false when there is
 * none to take. */
static bool choose_codecs(const struct sdp_media *om, struct sdp_media *am, struct sdp_track *t)
{
    const struct sdp_codec *c, *rtx = NULL;
    if (om->kind == SDP_KIND_AUDIO) {
        if (!(c = sdp_media_find_codec(om, "opus", 48000, 2, -1)))
            return false;
        set_codec(&am->codecs[0], c->pt, "opus", 48000, 2, -1,
                  c->feedback & SDP_FB_TRANSPORT_CC);
        t->codec = SDP_CODEC_OPUS;
    } else {
        t->codec = SDP_CODEC_VP8;
        if (!(c = sdp_media_find_codec(om, "VP8", 90000, -1, -1))) {
            if (!(c = find_h264(om)))
                return false;
            t->codec = SDP_CODEC_H264;
        }
        rtx = sdp_media_find_codec(om, "rtx", 90000, -1, c->pt);
        set_codec(&am->codecs[0], c->pt, t->codec == SDP_CODEC_H264 ? "H264" : "VP8", 90000, 0,
                  -1, c->feedback & SDP_VIDEO_FEEDBACK);
        if (t->codec == SDP_CODEC_H264)
            answer_h264_fmtp(c->fmtp, am->codecs[0].fmtp, sizeof am->codecs[0].fmtp);
        if (rtx)
            set_codec(&am->codecs[1], rtx->pt, "rtx", 90000, 0, c->pt, 0);
    }
    am->n_codecs = rtx ? 2 : 1;
    t->payload_type = c->pt;
    t->rtx_payload_type = rtx ? rtx->pt : 0;
    t->clock_rate = c->clock_rate;
    t->feedback = am->codecs[0].feedback;
    return true;
}

/* The header extensions Sabaq reads, answered with the offer's ids. */
static void choose_extmaps(const struct sdp_media *om, struct sdp_media *am, struct sdp_track *t)
{
    static const struct {
        const char *uri;
        size_t field;
        bool audio_only;
    } known[] = {
        {SDP_URI_MID, offsetof(struct rtp_ext_ids, mid), false},
        {SDP_URI_RID, offsetof(struct rtp_ext_ids, rid), false},
        {SDP_URI_REPAIRED_RID, offsetof(struct rtp_ext_ids, repaired_rid), false},
        {SDP_URI_AUDIO_LEVEL, offsetof(struct rtp_ext_ids, audio_level), true},
        {SDP_URI_ABS_SEND_TIME, offsetof(struct rtp_ext_ids, abs_send_time), false},
        {SDP_URI_TRANSPORT_CC, offsetof(struct rtp_ext_ids, transport_cc), false},
    };
    for (uint8_t i = 0; i < om->n_extmaps && i < SDP_MAX_EXTMAPS; i++) {
        const struct sdp_extmap *e = &om->extmaps[i];
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
            if (strcmp(e->uri, known[k].uri) != 0 ||
                (known[k].audio_only && om->kind != SDP_KIND_AUDIO))
                continue;
            uint8_t *id = (uint8_t *)&t->ext + known[k].field;
            if (*id == 0) {
                *id = e->id;
                add_extmap(am, e->id, e->uri);
            }
        }
    }
}

/* Cuts an RFC 8853 send list ("h;~q,l;f") down to its first stream
 * that is not paused ("h"), or to its first stream when all are. */
static void first_send_rid(char *list)
{
    size_t len = strcspn(list, ";,");
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ";,");
        if (n && p[0] != '~') {
            memmove(list, p, n);
            list[n] = '\0';
            return;
        }
        p += n;
        p += strspn(p, ";,");
    }
    list[len] = '\0';
}

/* RFC 8853: answers "recv" for the rids the offer sends and lists in
 * a=simulcast. Needs the rid header extension to tell the layers apart. */
static void choose_simulcast(const struct sdp_media *om, struct sdp_media *am,
                             struct sdp_track *t)
{
    char send_list[sizeof om->simulcast] = "";
    if (om->kind != SDP_KIND_VIDEO || t->ext.rid == 0 || om->n_rids == 0)
        return;
    /* "send q;h;f" possibly followed by " recv ...": keep the send list. */
    const char *p = om->simulcast;
    while (*p) {
        size_t dir = strcspn(p, " ");
        const char *list = p + dir + strspn(p + dir, " ");
        size_t len = strcspn(list, " ");
        if (dir == 4 && strncmp(p, "send", 4) == 0 && len < sizeof send_list) {
            memcpy(send_list, list, len);
            send_list[len] = '\0';
        }
        p = list + len + strspn(list + len, " ");
    }
    /* Layer switching needs VP8 (frame sizes from its keyframes, picture
     * ids rewritten across a switch): of H.264, receive the most preferred
     * layer alone. */
    if (t->codec == SDP_CODEC_H264)
        first_send_rid(send_list);
    char answer[sizeof am->simulcast] = "recv ";
    for (uint8_t i = 0; i < om->n_rids && i < SDP_MAX_RIDS; i++) {
        const struct sdp_rid *r = &om->rids[i];
        char paused[sizeof r->id + 1];
        snprintf(paused, sizeof paused, "~%s", r->id);
        if (!r->send ||
            !(sdp_list_has(send_list, r->id, ";,") || sdp_list_has(send_list, paused, ";,")))
            continue;
        size_t used = strlen(answer);
        snprintf(answer + used, sizeof answer - used, "%s%s", t->n_rids ? ";" : "", r->id);
        t->rids[t->n_rids] = *r;
        am->rids[am->n_rids] = (struct sdp_rid){.send = false};
        memcpy(am->rids[am->n_rids].id, r->id, sizeof r->id);
        t->n_rids++;
        am->n_rids++;
    }
    if (t->n_rids)
        memcpy(am->simulcast, answer, sizeof answer);
}

static bool is_fid_repair(const struct sdp_media *m, uint32_t ssrc)
{
    for (uint8_t i = 0; i < m->n_ssrc_groups && i < SDP_MAX_SSRC_GROUPS; i++) {
        const struct sdp_ssrc_group *g = &m->ssrc_groups[i];
        for (uint8_t k = 1; strcmp(g->semantics, "FID") == 0 && k < g->n && k < 4; k++)
            if (g->ssrcs[k] == ssrc)
                return true;
    }
    return false;
}

/* The media ssrc is the first one listed that is not an RTX repair ssrc. */
static void choose_ssrcs(const struct sdp_media *om, struct sdp_track *t)
{
    const struct sdp_ssrc *primary = NULL;
    for (uint8_t i = 0; i < om->n_ssrcs && i < SDP_MAX_SSRCS && !primary; i++)
        if (!is_fid_repair(om, om->ssrcs[i].ssrc))
            primary = &om->ssrcs[i];
    snprintf(t->msid, sizeof t->msid, "%s", om->msid[0] || !primary ? om->msid : primary->msid);
    if (!primary || t->n_rids)
        return; /* simulcast: one ssrc per layer, learnt from rid */
    t->ssrc = primary->ssrc;
    for (uint8_t i = 0; i < om->n_ssrc_groups && i < SDP_MAX_SSRC_GROUPS; i++) {
        const struct sdp_ssrc_group *g = &om->ssrc_groups[i];
        if (t->rtx_payload_type && strcmp(g->semantics, "FID") == 0 && g->n >= 2 &&
            g->ssrcs[0] == t->ssrc)
            t->rtx_ssrc = g->ssrcs[1];
    }
}

bool sdp_media_carries_rtp(const struct sdp_media *m)
{
    return (m->kind == SDP_KIND_AUDIO || m->kind == SDP_KIND_VIDEO) && m->port != 0 &&
           strcmp(m->proto, SDP_PROTO_SAVPF) == 0;
}

static bool wants_to_publish(const struct sdp_media *om)
{
    return sdp_media_carries_rtp(om) &&
           (om->direction == SDP_SENDONLY || om->direction == SDP_SENDRECV);
}

int sdp_check_offer_media(const struct sdp_session *offer, const struct sdp_media *om,
                          const char **why)
{
    enum sdp_setup setup = sdp_media_setup(offer, om);
    if (!om->mid[0])
        return fail(why, "an m= section has no a=mid", -SQ_EMALFORMED);
    if (!om->rtcp_mux)
        return fail(why, "a=rtcp-mux is required", -SQ_EUNSUPPORTED);
    if (!sdp_media_ice_ufrag(offer, om)[0] || !sdp_media_ice_pwd(offer, om)[0])
        return fail(why, "offer has no a=ice-ufrag or a=ice-pwd", -SQ_EMALFORMED);
    if (!sdp_media_fingerprint(offer, om, NULL)[0])
        return fail(why, "offer has no a=fingerprint", -SQ_EMALFORMED);
    if (setup != SDP_SETUP_ACTPASS && setup != SDP_SETUP_ACTIVE)
        return fail(why, "offer must use a=setup:actpass or active (Sabaq is the DTLS server)", -SQ_EUNSUPPORTED);
    return 0;
}

void sdp_media_reject(const struct sdp_media *om, struct sdp_media *am)
{
    memset(am, 0, sizeof *am);
    am->kind = om->kind;
    memcpy(am->proto, om->proto, sizeof am->proto);
    memcpy(am->mid, om->mid, sizeof am->mid);
    memcpy(am->sctp_port, om->sctp_port, sizeof am->sctp_port);
    am->direction = SDP_INACTIVE;
    am->n_codecs = om->n_codecs <= SDP_MAX_CODECS ? om->n_codecs : SDP_MAX_CODECS;
    for (uint8_t i = 0; i < am->n_codecs; i++) {
        am->codecs[i].pt = om->codecs[i].pt;
        am->codecs[i].apt = -1;
    }
}

/* Answers one m= section: 1 accepted, 0 rejected, or a negative code. */
static int answer_media(const struct sdp_session *offer, const struct sdp_media *om,
                        const struct sdp_local *local, struct sdp_media *am,
                        struct sdp_track *t, const char **why)
{
    sdp_media_reject(om, am); /* every answer m= section starts rejected */
    if (!wants_to_publish(om))
        return 0;
    int rc = sdp_check_offer_media(offer, om, why);
    if (rc < 0)
        return rc;
    memset(t, 0, sizeof *t);
    memset(am, 0, sizeof *am);
    if (!choose_codecs(om, am, t)) {
        sdp_media_reject(om, am);
        return 0;
    }
    am->kind = om->kind;
    memcpy(am->mid, om->mid, sizeof am->mid);
    put_local(am, local, SDP_SETUP_PASSIVE);
    am->direction = SDP_RECVONLY;
    am->rtcp_rsize = om->rtcp_rsize;
    choose_extmaps(om, am, t);
    choose_simulcast(om, am, t);
    choose_ssrcs(om, t);
    memcpy(t->mid, om->mid, sizeof t->mid);
    t->kind = om->kind;
    return 1;
}

int sdp_answer_publish(const struct sdp_session *offer, const struct sdp_local *local,
                       struct sdp_session *answer, struct sdp_track *tracks, size_t cap,
                       size_t *n_tracks, const char **why)
{
    const char *ignored;
    struct sdp_track t;
    if (!why)
        why = &ignored;
    *why = NULL;
    *n_tracks = 0;
    if (!local_ok(local))
        return fail(why, "local ICE credentials or fingerprint missing", -SQ_EINVAL);
    memset(answer, 0, sizeof *answer);
    answer->origin_session_id = session_id_of(local);
    answer->origin_version = 1;
    answer->ice_lite = true;
    answer->n_media = offer->n_media <= SDP_MAX_MEDIA ? offer->n_media : SDP_MAX_MEDIA;
    for (uint8_t i = 0; i < answer->n_media; i++) {
        const struct sdp_media *om = &offer->media[i];
        int rc = answer_media(offer, om, local, &answer->media[i], &t, why);
        if (rc < 0) {
            *n_tracks = 0;
            return rc;
        }
        if (rc == 1 && *n_tracks >= cap) {
            *n_tracks = 0;
            return fail(why, "more tracks than the caller can take", -SQ_ELIMIT);
        }
        if (rc == 0)
            continue;
        if (!list_append(answer->bundle, sizeof answer->bundle, om->mid)) {
            *n_tracks = 0;
            return fail(why, "BUNDLE group too long", -SQ_ELIMIT);
        }
        tracks[(*n_tracks)++] = t;
    }
    /* One transport per connection: several m= sections must share it. */
    for (size_t i = 0; *n_tracks > 1 && i < *n_tracks; i++) {
        if (!sdp_list_has(offer->bundle, tracks[i].mid, " ")) {
            *n_tracks = 0;
            return fail(why, "offer does not BUNDLE all its media", -SQ_EUNSUPPORTED);
        }
    }
    return 0;
}

/* ---- subscribe: Sabaq's offer and the browser's answer ------------------ */

static int offer_media(const struct sdp_local *l, const struct sdp_outgoing *o,
                       struct sdp_media *m)
{
    bool audio = o->kind == SDP_KIND_AUDIO;
    if ((!audio && o->kind != SDP_KIND_VIDEO) || !is_mid(o->mid, sizeof o->mid))
        return -SQ_EINVAL;
    m->kind = o->kind;
    memcpy(m->mid, o->mid, sizeof m->mid);
    put_local(m, l, SDP_SETUP_ACTPASS);
    m->direction = o->active ? SDP_SENDONLY : SDP_INACTIVE;
    add_extmap(m, SDP_SUB_EXT_MID, SDP_URI_MID);
    if (audio)
        add_extmap(m, SDP_SUB_EXT_AUDIO_LEVEL, SDP_URI_AUDIO_LEVEL);
    add_extmap(m, SDP_SUB_EXT_ABS_SEND_TIME, SDP_URI_ABS_SEND_TIME);
    add_extmap(m, SDP_SUB_EXT_TRANSPORT_CC, SDP_URI_TRANSPORT_CC);
    if (audio) {
        set_codec(&m->codecs[0], SDP_SUB_PT_OPUS, "opus", 48000, 2, -1, SDP_FB_TRANSPORT_CC);
        m->n_codecs = 1;
    } else {
        set_codec(&m->codecs[0], SDP_SUB_PT_VP8, "VP8", 90000, 0, -1, SDP_VIDEO_FEEDBACK);
        set_codec(&m->codecs[1], SDP_SUB_PT_RTX, "rtx", 90000, 0, SDP_SUB_PT_VP8, 0);
        set_codec(&m->codecs[2], SDP_SUB_PT_H264, "H264", 90000, 0, -1, SDP_VIDEO_FEEDBACK);
        snprintf(m->codecs[2].fmtp, sizeof m->codecs[2].fmtp, "%s", SDP_SUB_H264_FMTP);
        set_codec(&m->codecs[3], SDP_SUB_PT_H264_RTX, "rtx", 90000, 0, SDP_SUB_PT_H264, 0);
        m->n_codecs = 4;
    }
    if (!o->active)
        return 0;
    bool has_msid = o->track_id[0] != '\0';
    if ((has_msid && !visible(o->track_id, sizeof o->track_id)) ||
        (o->stream_id[0] && !visible(o->stream_id, sizeof o->stream_id)) ||
        (o->cname[0] && !visible(o->cname, sizeof o->cname)))
        return -SQ_EINVAL;
    const char *stream = o->stream_id[0] ? o->stream_id : "-";
    if (has_msid)
        snprintf(m->msid, sizeof m->msid, "%s %s", stream, o->track_id);
    bool rtx = !audio && o->rtx_ssrc != 0;
    for (uint8_t i = 0; i < (rtx ? 2 : 1); i++) {
        struct sdp_ssrc *s = &m->ssrcs[m->n_ssrcs++];
        s->ssrc = i ? o->rtx_ssrc : o->ssrc;
        snprintf(s->cname, sizeof s->cname, "%s", o->cname);
        if (has_msid)
            snprintf(s->msid, sizeof s->msid, "%s %s", stream, o->track_id);
    }
    if (rtx) {
        m->ssrc_groups[0] = (struct sdp_ssrc_group){"FID", 2, {o->ssrc, o->rtx_ssrc, 0, 0}};
        m->n_ssrc_groups = 1;
    }
    return 0;
}

int sdp_offer_subscribe(const struct sdp_local *local, const struct sdp_outgoing *tracks,
                        size_t n, uint64_t session_id, uint64_t version, struct sdp_session *offer)
{
    if (!local_ok(local))
        return -SQ_EINVAL;
    if (n > SDP_MAX_MEDIA)
        return -SQ_ELIMIT;
    memset(offer, 0, sizeof *offer);
    offer->origin_session_id = session_id;
    offer->origin_version = version;
    offer->ice_lite = true;
    for (size_t i = 0; i < n; i++) {
        int rc = offer_media(local, &tracks[i], &offer->media[i]);
        if (rc < 0)
            return rc;
        for (size_t k = 0; k < i; k++)
            if (strcmp(offer->media[k].mid, offer->media[i].mid) == 0)
                return -SQ_EINVAL;
        if (!list_append(offer->bundle, sizeof offer->bundle, offer->media[i].mid))
            return -SQ_ELIMIT;
        offer->n_media = (uint8_t)(i + 1);
    }
    return 0;
}

bool sdp_media_has_payload_type(const struct sdp_media *m, uint8_t pt)
{
    if (m->port == 0)
        return false;
    for (uint8_t i = 0; i < m->n_codecs && i < SDP_MAX_CODECS; i++)
        if (m->codecs[i].pt == pt)
            return true;
    return false;
}

int sdp_check_subscribe_answer(const struct sdp_session *offer, const struct sdp_session *answer,
                               const char **why)
{
    const char *ignored;
    size_t live = 0;
    if (!why)
        why = &ignored;
    *why = NULL;
    if (answer->n_media != offer->n_media)
        return fail(why, "answer has a different number of m= sections", -SQ_EMALFORMED);
    for (uint8_t i = 0; i < answer->n_media && i < SDP_MAX_MEDIA; i++) {
        const struct sdp_media *am = &answer->media[i], *om = &offer->media[i];
        if (strcmp(am->mid, om->mid) != 0 || am->kind != om->kind)
            return fail(why, "answer m= sections differ from the offer's (mid or kind)", -SQ_EMALFORMED);
        if (am->port == 0)
            continue; /* the browser refused this one: nothing to check */
        live++;
        if (!sdp_media_ice_ufrag(answer, am)[0] || !sdp_media_ice_pwd(answer, am)[0])
            return fail(why, "answer has no a=ice-ufrag or a=ice-pwd", -SQ_EMALFORMED);
        if (!sdp_media_fingerprint(answer, am, NULL)[0])
            return fail(why, "answer has no a=fingerprint", -SQ_EMALFORMED);
        if (!am->rtcp_mux)
            return fail(why, "answer refused a=rtcp-mux", -SQ_EUNSUPPORTED);
        switch (sdp_media_setup(answer, am)) {
        case SDP_SETUP_ACTIVE: break;
        case SDP_SETUP_PASSIVE:
            return fail(why, "answer has a=setup:passive: Sabaq must stay the DTLS server", -SQ_EUNSUPPORTED);
        default: return fail(why, "answer must have a=setup:active", -SQ_EMALFORMED);
        }
    }
    for (uint8_t i = 0; live > 1 && i < answer->n_media; i++)
        if (answer->media[i].port && !sdp_list_has(answer->bundle, answer->media[i].mid, " "))
            return fail(why, "answer does not BUNDLE all its media", -SQ_EUNSUPPORTED);
    return 0;
}
