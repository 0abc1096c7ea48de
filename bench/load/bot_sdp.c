/* bench/load: the SDP a bot writes and reads (RFC 8866, JSEP RFC 8829).
 * A publisher offers like a browser does: the teacher a VP8 camera with three
 * simulcast rids (RFC 8853 / RFC 8851) and RTX, plus a VP8 screen share; a
 * speaker one Opus microphone. Every bot answers Sabaq's subscribe offers
 * (a=setup:active: the bot is the DTLS client on both connections). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "bot.h"
#include "sabaq/dtls.h"

#define PROTO "UDP/TLS/RTP/SAVPF"

void bot_random_token(char *out, size_t len)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (size_t i = 0; i + 1 < len; i++)
        out[i] = chars[(size_t)random() % (sizeof(chars) - 1)];
    out[len - 1] = '\0';
}

static void add_codec(struct sdp_media *m, uint8_t pt, const char *name, uint32_t rate,
                      uint8_t channels, const char *fmtp, int apt, uint32_t feedback)
{
    struct sdp_codec *c = &m->codecs[m->n_codecs++];
    c->pt = pt;
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->clock_rate = rate;
    c->channels = channels;
    snprintf(c->fmtp, sizeof(c->fmtp), "%s", fmtp);
    c->apt = apt;
    c->feedback = feedback;
}

static void add_extmap(struct sdp_media *m, uint8_t id, const char *uri)
{
    struct sdp_extmap *e = &m->extmaps[m->n_extmaps++];
    e->id = id;
    snprintf(e->uri, sizeof(e->uri), "%s", uri);
}

static void add_ssrc(struct sdp_media *m, uint32_t ssrc, const char *cname, const char *msid)
{
    struct sdp_ssrc *s = &m->ssrcs[m->n_ssrcs++];
    s->ssrc = ssrc;
    snprintf(s->cname, sizeof(s->cname), "%s", cname);
    snprintf(s->msid, sizeof(s->msid), "%s", msid);
}

static struct sdp_media *start_media(struct sdp_session *s, enum sdp_media_kind kind,
                                     const char *mid, const char *msid)
{
    struct sdp_media *m = &s->media[s->n_media++];
    m->kind = kind;
    m->port = 9;
    snprintf(m->proto, sizeof(m->proto), PROTO);
    snprintf(m->mid, sizeof(m->mid), "%s", mid);
    m->direction = SDP_SENDONLY;
    m->rtcp_mux = true;
    m->rtcp_rsize = true;
    snprintf(m->msid, sizeof(m->msid), "%s", msid);
    add_extmap(m, BOT_EXT_MID, SDP_URI_MID);
    return m;
}

static void add_vp8(struct sdp_media *m)
{
    char apt[16];
    snprintf(apt, sizeof(apt), "apt=%d", BOT_PT_VP8);
    add_codec(m, BOT_PT_VP8, "VP8", 90000, 0, "", -1,
              SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR);
    add_codec(m, BOT_PT_RTX, "rtx", 90000, 0, apt, BOT_PT_VP8, 0);
}

/* The teacher's camera: no a=ssrc, the layers are told apart by rid. */
static void teacher_media(const struct bot *b, struct sdp_session *s, const char *cname)
{
    const struct bot_config *c = b->proc->cfg;
    char msid[64];
    snprintf(msid, sizeof(msid), "%s %s-cam", cname, cname);
    struct sdp_media *m = start_media(s, SDP_KIND_VIDEO, BOT_MID_CAMERA, msid);
    add_vp8(m);
    add_extmap(m, BOT_EXT_RID, SDP_URI_RID);
    add_extmap(m, BOT_EXT_RRID, SDP_URI_REPAIRED_RID);
    size_t used = (size_t)snprintf(m->simulcast, sizeof(m->simulcast), "send ");
    for (unsigned i = 0; i < LOAD_LAYERS; i++) {
        snprintf(m->rids[m->n_rids].id, sizeof(m->rids[0].id), "%s", c->layers[i].rid);
        m->rids[m->n_rids++].send = true;
        used += (size_t)snprintf(m->simulcast + used, sizeof(m->simulcast) - used, "%s%s",
                                 i ? ";" : "", c->layers[i].rid);
    }
    snprintf(msid, sizeof(msid), "%s %s-screen", cname, cname);
    m = start_media(s, SDP_KIND_VIDEO, BOT_MID_SCREEN, msid);
    add_vp8(m);
    const struct tx_stream *st = &b->tx[LOAD_LAYERS];
    add_ssrc(m, st->ssrc, cname, msid);
    add_ssrc(m, st->rtx_ssrc, cname, msid);
    m->ssrc_groups[0] = (struct sdp_ssrc_group){"FID", 2, {st->ssrc, st->rtx_ssrc, 0, 0}};
    m->n_ssrc_groups = 1;
    snprintf(s->bundle, sizeof(s->bundle), "%s %s", BOT_MID_CAMERA, BOT_MID_SCREEN);
}

static void speaker_media(const struct bot *b, struct sdp_session *s, const char *cname)
{
    char msid[64];
    snprintf(msid, sizeof(msid), "%s %s-mic", cname, cname);
    struct sdp_media *m = start_media(s, SDP_KIND_AUDIO, BOT_MID_MIC, msid);
    add_codec(m, BOT_PT_OPUS, "opus", 48000, 2, "minptime=10;useinbandfec=1", -1, 0);
    add_extmap(m, BOT_EXT_AUDIO_LEVEL, SDP_URI_AUDIO_LEVEL);
    add_ssrc(m, b->tx[0].ssrc, cname, msid);
    snprintf(s->bundle, sizeof(s->bundle), "%s", BOT_MID_MIC);
}

int bot_sdp_publish_offer(struct bot *b, char *out, size_t cap)
{
    struct sdp_session *s = b->proc->sdp_out;
    memset(s, 0, sizeof(*s));
    s->origin_session_id = (uint64_t)random() << 20 | (uint64_t)b->index;
    s->origin_version = 1;
    snprintf(s->ice_ufrag, sizeof(s->ice_ufrag), "%s", b->pub.local_ufrag);
    snprintf(s->ice_pwd, sizeof(s->ice_pwd), "%s", b->pub.local_pwd);
    snprintf(s->fingerprint_alg, sizeof(s->fingerprint_alg), "sha-256");
    snprintf(s->fingerprint, sizeof(s->fingerprint), "%s", dtls_cert_fingerprint(b->proc->cert));
    s->setup = SDP_SETUP_ACTPASS;
    char cname[24];
    snprintf(cname, sizeof(cname), "bot%u", b->index);
    if (b->role == BOT_TEACHER)
        teacher_media(b, s, cname);
    else
        speaker_media(b, s, cname);
    return sdp_write(s, out, cap);
}

/* Sabaq's ICE credentials, fingerprint and host candidate, from the first
 * m-line it did not reject (everything is bundled on that one). */
int bot_sdp_take_remote(struct bot_transport *t, const struct sdp_session *s)
{
    for (uint8_t i = 0; i < s->n_media && i < SDP_MAX_MEDIA; i++) {
        const struct sdp_media *m = &s->media[i];
        const char *alg = NULL;
        const char *fp = sdp_media_fingerprint(s, m, &alg);
        const char *ufrag = sdp_media_ice_ufrag(s, m), *pwd = sdp_media_ice_pwd(s, m);
        if (m->port == 0 || strlen(ufrag) >= sizeof(t->remote_ufrag) ||
            strlen(pwd) >= sizeof(t->remote_pwd) || strlen(fp) >= sizeof(t->remote_fp))
            continue;
        for (uint8_t k = 0; k < m->n_candidates && k < SDP_MAX_CANDIDATES; k++) {
            const struct sdp_candidate *c = &m->candidates[k];
            struct in_addr a;
            if (strcasecmp(c->transport, "udp") != 0 || inet_pton(AF_INET, c->address, &a) != 1)
                continue;
            memset(&t->remote, 0, sizeof(t->remote));
            t->remote.sin_family = AF_INET;
            t->remote.sin_addr = a;
            t->remote.sin_port = htons(c->port);
            snprintf(t->remote_ufrag, sizeof(t->remote_ufrag), "%s", ufrag);
            snprintf(t->remote_pwd, sizeof(t->remote_pwd), "%s", pwd);
            snprintf(t->remote_fp, sizeof(t->remote_fp), "%s", fp);
            return alg && strcasecmp(alg, "sha-256") == 0 ? 0 : -1;
        }
    }
    return -1;
}

static enum sdp_direction answer_direction(enum sdp_direction offered)
{
    switch (offered) {
    case SDP_SENDONLY: return SDP_RECVONLY;
    case SDP_RECVONLY: return SDP_SENDONLY;
    case SDP_SENDRECV: return SDP_RECVONLY;
    case SDP_INACTIVE: break;
    }
    return SDP_INACTIVE;
}

int bot_sdp_subscribe_answer(struct bot *b, const struct sdp_session *offer, char *out,
                             size_t cap)
{
    struct sdp_session *a = b->proc->sdp_out;
    memcpy(a, offer, sizeof(*a));
    a->ice_lite = false;
    snprintf(a->ice_ufrag, sizeof(a->ice_ufrag), "%s", b->sub.local_ufrag);
    snprintf(a->ice_pwd, sizeof(a->ice_pwd), "%s", b->sub.local_pwd);
    snprintf(a->fingerprint_alg, sizeof(a->fingerprint_alg), "sha-256");
    snprintf(a->fingerprint, sizeof(a->fingerprint), "%s", dtls_cert_fingerprint(b->proc->cert));
    a->setup = SDP_SETUP_ACTIVE;
    for (uint8_t i = 0; i < a->n_media && i < SDP_MAX_MEDIA; i++) {
        struct sdp_media *m = &a->media[i];
        m->direction = answer_direction(m->direction);
        m->ice_ufrag[0] = m->ice_pwd[0] = '\0';
        m->fingerprint_alg[0] = m->fingerprint[0] = '\0';
        m->setup = SDP_SETUP_NONE;
        m->msid[0] = '\0';
        m->n_ssrcs = m->n_ssrc_groups = m->n_rids = m->n_candidates = 0;
        m->simulcast[0] = '\0';
        m->end_of_candidates = false;
    }
    return sdp_write(a, out, cap);
}
