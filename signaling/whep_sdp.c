/* Sabaq's answer to a WHEP viewer's offer: see whep_sdp.h. The publish
 * answer (sdp_negotiate.c) is the mirror image: there the browser sends and
 * Sabaq keeps the browser's numbers for what it receives; here Sabaq sends
 * and writes the viewer's numbers into what it sends. */
#include "whep_sdp.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sabaq/error.h"

static int fail(const char **why, const char *reason, int code)
{
    *why = reason;
    return code;
}

/* A section Sabaq may send on: audio or video over SAVPF, not stopped, and
 * the viewer willing to receive. */
static bool wants_to_receive(const struct sdp_media *om)
{
    return sdp_media_carries_rtp(om) &&
           (om->direction == SDP_RECVONLY || om->direction == SDP_SENDRECV);
}

static void set_codec(struct sdp_codec *c, const struct sdp_codec *offered, const char *name,
                      uint8_t channels, int apt, uint32_t feedback)
{
    memset(c, 0, sizeof(*c));
    c->pt = offered->pt;
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->clock_rate = offered->clock_rate;
    c->channels = channels;
    c->apt = apt;
    c->feedback = offered->feedback & feedback;
    if (channels == 2)
        snprintf(c->fmtp, sizeof(c->fmtp), "%s", SDP_OPUS_FMTP);
    else if (apt >= 0)
        snprintf(c->fmtp, sizeof(c->fmtp), "apt=%d", apt);
}

static bool maps(const struct sdp_outgoing *out, uint8_t sabaq_pt)
{
    for (uint8_t i = 0; i < out->n_pt_map; i++)
        if (out->pt_map[i].sabaq == sabaq_pt)
            return true;
    return false;
}

/* Where Sabaq also forwards H.264 (a WHIP encoder such as OBS may put it on
 * the stage), the viewer's H.264 in packetization mode 1 is answered too,
 * constrained baseline preferred like Sabaq's own subscribe offer, so that
 * stage reaches it under its own payload type. */
static void add_h264(const struct sdp_media *om, struct sdp_media *am, struct sdp_outgoing *out)
{
    const struct sdp_codec *best = NULL;
    for (uint8_t i = 0; i < om->n_codecs && i < SDP_MAX_CODECS; i++) {
        const struct sdp_codec *c = &om->codecs[i];
        if (strcasecmp(c->name, "H264") != 0 || c->clock_rate != 90000 ||
            !strstr(c->fmtp, "packetization-mode=1"))
            continue;
        if (!best || (strstr(c->fmtp, "profile-level-id=42e01f") &&
                      !strstr(best->fmtp, "profile-level-id=42e01f")))
            best = c;
    }
    if (!best || am->n_codecs + 2 > SDP_MAX_CODECS || out->n_pt_map + 2 > SDP_PT_MAP_MAX)
        return;
    const struct sdp_codec *rtx =
        maps(out, SDP_SUB_PT_RTX) ? sdp_media_find_codec(om, "rtx", 90000, -1, best->pt) : NULL;
    struct sdp_codec *h = &am->codecs[am->n_codecs++];
    set_codec(h, best, "H264", 0, -1, SDP_VIDEO_FEEDBACK);
    memcpy(h->fmtp, best->fmtp, sizeof(h->fmtp));
    out->pt_map[out->n_pt_map++] = (struct sdp_pt_pair){SDP_SUB_PT_H264, best->pt};
    if (rtx) {
        set_codec(&am->codecs[am->n_codecs++], rtx, "rtx", 0, best->pt, 0);
        out->pt_map[out->n_pt_map++] = (struct sdp_pt_pair){SDP_SUB_PT_H264_RTX, rtx->pt};
    }
}

/* Opus, or VP8 and its RTX, in the viewer's payload types; false when the
 * section offers neither. */
static bool choose_codecs(const struct sdp_media *om, struct sdp_media *am,
                          struct sdp_outgoing *out)
{
    const struct sdp_codec *c, *rtx = NULL;
    if (om->kind == SDP_KIND_AUDIO) {
        if (!(c = sdp_media_find_codec(om, "opus", 48000, 2, -1)))
            return false;
        set_codec(&am->codecs[0], c, "opus", 2, -1, SDP_FB_TRANSPORT_CC);
    } else {
        if (!(c = sdp_media_find_codec(om, "VP8", 90000, -1, -1)))
            return false;
        rtx = sdp_media_find_codec(om, "rtx", 90000, -1, c->pt);
        set_codec(&am->codecs[0], c, "VP8", 0, -1, SDP_VIDEO_FEEDBACK);
        if (rtx)
            set_codec(&am->codecs[1], rtx, "rtx", 0, c->pt, 0);
    }
    am->n_codecs = rtx ? 2 : 1;
    /* Sabaq's own numbers for what its consumers send, then the viewer's. */
    out->pt_map[out->n_pt_map++] = (struct sdp_pt_pair){
        om->kind == SDP_KIND_AUDIO ? SDP_SUB_PT_OPUS : SDP_SUB_PT_VP8, c->pt};
    if (rtx)
        out->pt_map[out->n_pt_map++] = (struct sdp_pt_pair){SDP_SUB_PT_RTX, rtx->pt};
    if (om->kind == SDP_KIND_VIDEO)
        add_h264(om, am, out);
    return true;
}

static void add_extmap(struct sdp_media *am, const struct sdp_extmap *e)
{
    if (am->n_extmaps < SDP_MAX_EXTMAPS)
        am->extmaps[am->n_extmaps++] = *e;
}

/* The extensions a consumer writes, answered with the viewer's ids. */
static void choose_extmaps(const struct sdp_media *om, struct sdp_media *am,
                           struct sdp_outgoing *out)
{
    for (uint8_t i = 0; i < om->n_extmaps && i < SDP_MAX_EXTMAPS; i++) {
        const struct sdp_extmap *e = &om->extmaps[i];
        uint8_t *id = NULL;
        if (strcmp(e->uri, SDP_URI_MID) == 0)
            id = &out->ext_mid;
        else if (strcmp(e->uri, SDP_URI_AUDIO_LEVEL) == 0 && om->kind == SDP_KIND_AUDIO)
            id = &out->ext_audio_level;
        else if (strcmp(e->uri, SDP_URI_TRANSPORT_CC) == 0)
            id = &out->ext_transport_cc;
        /* One-byte header form only (RFC 8285 4.2): ids 1-14. */
        if (id && !*id && e->id >= 1 && e->id <= 14) {
            *id = e->id;
            add_extmap(am, e);
        }
    }
}

static void put_local(struct sdp_media *am, const struct sdp_local *l)
{
    uint16_t port = l->n_candidates ? l->candidates[0].port : 0;
    am->port = port ? port : 9;   /* 9 = "discard", JSEP's placeholder */
    snprintf(am->proto, sizeof(am->proto), "%s", SDP_PROTO_SAVPF);
    snprintf(am->ice_ufrag, sizeof(am->ice_ufrag), "%s", l->ice_ufrag);
    snprintf(am->ice_pwd, sizeof(am->ice_pwd), "%s", l->ice_pwd);
    snprintf(am->fingerprint_alg, sizeof(am->fingerprint_alg), "sha-256");
    snprintf(am->fingerprint, sizeof(am->fingerprint), "%s", l->fingerprint);
    am->setup = SDP_SETUP_PASSIVE;
    am->rtcp_mux = true;
    am->n_candidates = l->n_candidates <= SDP_MAX_CANDIDATES ? l->n_candidates
                                                             : SDP_MAX_CANDIDATES;
    memcpy(am->candidates, l->candidates, sizeof(am->candidates));
    am->end_of_candidates = true;
}

/* a=msid, a=ssrc (cname, msid) and a=ssrc-group:FID of what Sabaq sends. */
static void put_ssrcs(struct sdp_media *am, const struct sdp_outgoing *out)
{
    snprintf(am->msid, sizeof(am->msid), "%s %s", out->stream_id, out->track_id);
    uint32_t ssrcs[2] = {out->ssrc, out->rtx_ssrc};
    for (int i = 0; i < (out->rtx_ssrc ? 2 : 1); i++) {
        struct sdp_ssrc *s = &am->ssrcs[am->n_ssrcs++];
        s->ssrc = ssrcs[i];
        snprintf(s->cname, sizeof(s->cname), "%s", out->cname);
        snprintf(s->msid, sizeof(s->msid), "%.63s %.63s", out->stream_id, out->track_id);
    }
    if (out->rtx_ssrc) {
        am->ssrc_groups[0] = (struct sdp_ssrc_group){"FID", 2, {out->ssrc, out->rtx_ssrc, 0, 0}};
        am->n_ssrc_groups = 1;
    }
}

/* 1 accepted (out filled), 0 rejected, or a negative code. */
static int answer_media(const struct sdp_session *offer, const struct sdp_media *om,
                        const struct whep_sdp_params *prm, struct sdp_media *am,
                        struct sdp_outgoing *out, const char **why)
{
    sdp_media_reject(om, am);
    if (out->active || !wants_to_receive(om))
        return 0;   /* one audio and one video: the stage and the speaker */
    int rc = sdp_check_offer_media(offer, om, why);
    if (rc < 0)
        return rc;
    struct sdp_media m;
    memset(&m, 0, sizeof(m));
    struct sdp_outgoing o;
    memset(&o, 0, sizeof(o));
    if (!choose_codecs(om, &m, &o))
        return 0;
    bool audio = om->kind == SDP_KIND_AUDIO;
    m.kind = om->kind;
    memcpy(m.mid, om->mid, sizeof(m.mid));
    put_local(&m, prm->local);
    m.direction = SDP_SENDONLY;
    m.rtcp_rsize = om->rtcp_rsize;
    choose_extmaps(om, &m, &o);
    memcpy(o.mid, om->mid, sizeof(o.mid));
    o.kind = om->kind;
    o.active = true;
    o.has_own_numbers = true;
    o.ssrc = audio ? prm->audio_ssrc : prm->video_ssrc;
    o.rtx_ssrc = !audio && maps(&o, SDP_SUB_PT_RTX) ? prm->video_rtx_ssrc : 0;
    snprintf(o.cname, sizeof(o.cname), "%s", prm->stream_id);
    snprintf(o.stream_id, sizeof(o.stream_id), "%s", prm->stream_id);
    snprintf(o.track_id, sizeof(o.track_id), "%s", audio ? "speaker" : "stage");
    put_ssrcs(&m, &o);
    *am = m;
    *out = o;
    return 1;
}

int whep_sdp_answer(const struct sdp_session *offer, const struct whep_sdp_params *prm,
                    struct sdp_session *answer, struct sdp_outgoing *audio,
                    struct sdp_outgoing *video, const char **why)
{
    const char *ignored;
    if (!why)
        why = &ignored;
    *why = NULL;
    memset(audio, 0, sizeof(*audio));
    memset(video, 0, sizeof(*video));
    audio->kind = SDP_KIND_AUDIO;
    video->kind = SDP_KIND_VIDEO;
    memset(answer, 0, sizeof(*answer));
    answer->origin_session_id = prm->session_id;
    answer->origin_version = 1;
    answer->ice_lite = true;
    answer->n_media = offer->n_media <= SDP_MAX_MEDIA ? offer->n_media : SDP_MAX_MEDIA;
    int accepted = 0;
    for (uint8_t i = 0; i < answer->n_media; i++) {
        const struct sdp_media *om = &offer->media[i];
        struct sdp_outgoing *out = om->kind == SDP_KIND_AUDIO ? audio : video;
        int rc = answer_media(offer, om, prm, &answer->media[i], out, why);
        if (rc < 0)
            return rc;
        if (rc == 0)
            continue;
        accepted++;
        size_t used = strlen(answer->bundle);
        snprintf(answer->bundle + used, sizeof(answer->bundle) - used, "%s%s", used ? " " : "",
                 om->mid);
    }
    if (!accepted)
        return fail(why, "nothing to send: offer recvonly audio (Opus) and/or video (VP8)",
                    -SQ_EUNSUPPORTED);
    /* One transport per viewer: both sections must share it. */
    if (accepted == 2 && !(sdp_list_has(offer->bundle, audio->mid, " ") &&
                           sdp_list_has(offer->bundle, video->mid, " ")))
        return fail(why, "offer does not BUNDLE all its media", -SQ_EUNSUPPORTED);
    return 0;
}
