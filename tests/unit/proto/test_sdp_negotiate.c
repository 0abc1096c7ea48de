/* sdp_answer_publish, sdp_offer_subscribe and sdp_check_subscribe_answer
 * against offers and an answer captured from Chromium 156 and aiortc 1.4. */
#include "test.h"

#include <stdlib.h>

#include "sabaq/error.h"
#include "sabaq/sdp.h"

#include "sdp_fixtures.h"

static struct sdp_session *sess(int i)
{
    static struct sdp_session *s[3];
    if (!s[i] && !(s[i] = malloc(sizeof *s[i])))
        abort();
    return s[i];
}

static const struct sdp_local local = {
    .ice_ufrag = "sQlt",
    .ice_pwd = "sabaqpasswordsabaqpassword01",
    .fingerprint = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                   "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
    .n_candidates = 1,
    .candidates = {{"1", 1, "udp", 2130706431, "127.0.0.1", 47999, "host"}},
};

static struct sdp_track tracks[8];
static size_t n_tracks;
static char text[65536];

/* Parses `offer` into sess(0) and answers it into sess(1). */
static int answer(const char *offer, const char **why)
{
    const char *pwhy = NULL;
    if (sdp_parse(sess(0), offer, strlen(offer), &pwhy) != 0) {
        test_fail(__FILE__, __LINE__, "offer does not parse: %s", pwhy);
        return -999;
    }
    return sdp_answer_publish(sess(0), &local, sess(1), tracks, 8, &n_tracks, why);
}

/* Replaces the first occurrence of `from` in `src` with `to`. */
/* Results live in a ring of buffers so edits can be nested a few deep. */
static const char *edit(const char *src, const char *from, const char *to)
{
    static char ring[4][65536];
    static int next;
    char *buf = ring[next++ % 4];
    const char *hit = strstr(src, from);
    if (!hit)
        abort();
    snprintf(buf, sizeof ring[0], "%.*s%s%s", (int)(hit - src), src, to, hit + strlen(from));
    return buf;
}

static const char *edit_all(const char *src, const char *from, const char *to)
{
    while (strstr(src, from))
        src = edit(src, from, to);
    return src;
}

TEST(sdp_answer_chromium_offer_takes_opus_and_vp8_with_rtx)
{
    const char *why = "unset";
    ASSERT_EQ(0, answer(chromium_offer, &why));
    ASSERT(why == NULL);
    ASSERT_EQ(2, n_tracks);
    const struct sdp_track *a = &tracks[0], *v = &tracks[1];
    ASSERT_STR_EQ("0", a->mid);
    ASSERT_EQ(SDP_KIND_AUDIO, a->kind);
    ASSERT_EQ(111, a->payload_type);
    ASSERT_EQ(0, a->rtx_payload_type);
    ASSERT_EQ(48000, a->clock_rate);
    ASSERT(a->ssrc == 4053063840u);
    ASSERT_EQ(0, a->rtx_ssrc);
    ASSERT_EQ(4, a->ext.mid);
    ASSERT_EQ(1, a->ext.audio_level);
    ASSERT_EQ(2, a->ext.abs_send_time);
    ASSERT_EQ(3, a->ext.transport_cc);
    ASSERT_EQ(0, a->ext.rid);
    ASSERT_EQ(SDP_FB_TRANSPORT_CC, a->feedback);
    ASSERT_STR_EQ("bfda0a54-3330-4ea6-ac99-12d90159cc7e 16bdf91e-e8fe-4ec5-aef0-e31181395ebf",
                  a->msid);

    ASSERT_STR_EQ("1", v->mid);
    ASSERT_EQ(SDP_KIND_VIDEO, v->kind);
    ASSERT_EQ(96, v->payload_type);
    ASSERT_EQ(97, v->rtx_payload_type);
    ASSERT_EQ(90000, v->clock_rate);
    ASSERT(v->ssrc == 1641040181u);
    ASSERT(v->rtx_ssrc == 805207586u);
    ASSERT_EQ(0, v->n_rids);
    ASSERT_EQ(4, v->ext.mid);
    ASSERT_EQ(10, v->ext.rid);
    ASSERT_EQ(11, v->ext.repaired_rid);
    ASSERT_EQ(0, v->ext.audio_level);
    ASSERT_EQ(SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR | SDP_FB_GOOG_REMB |
                  SDP_FB_TRANSPORT_CC,
              v->feedback);
}

TEST(sdp_answer_chromium_offer_session_and_sections)
{
    ASSERT_EQ(0, answer(chromium_offer, NULL));
    const struct sdp_session *s = sess(1);
    ASSERT(s->ice_lite);
    ASSERT_STR_EQ("0 1", s->bundle);
    ASSERT_EQ(3, s->n_media);
    for (int i = 0; i < 2; i++) {
        const struct sdp_media *m = &s->media[i];
        ASSERT_EQ(47999, m->port);
        ASSERT_EQ(SDP_RECVONLY, m->direction);
        ASSERT_EQ(SDP_SETUP_PASSIVE, sdp_media_setup(s, m));
        ASSERT_STR_EQ("sQlt", sdp_media_ice_ufrag(s, m));
        ASSERT_STR_EQ(local.ice_pwd, sdp_media_ice_pwd(s, m));
        ASSERT_STR_EQ(local.fingerprint, sdp_media_fingerprint(s, m, NULL));
        ASSERT(m->rtcp_mux && m->end_of_candidates);
        ASSERT_EQ(1, m->n_candidates);
        ASSERT_EQ(0, m->n_ssrcs);
    }
    const struct sdp_media *a = &s->media[0], *v = &s->media[1], *d = &s->media[2];
    ASSERT_EQ(1, a->n_codecs);
    ASSERT_STR_EQ("minptime=10;useinbandfec=1", a->codecs[0].fmtp);
    ASSERT_EQ(4, a->n_extmaps); /* audio level, abs-send-time, transport-cc, mid */
    ASSERT_EQ(2, v->n_codecs);
    ASSERT_STR_EQ("rtx", v->codecs[1].name);
    ASSERT_EQ(96, v->codecs[1].apt);
    ASSERT_EQ(5, v->n_extmaps); /* toffset, orientation, playout-delay ... refused */
    ASSERT_EQ(0, sdp_media_extmap_id(v, "urn:ietf:params:rtp-hdrext:toffset"));
    /* the data channel is refused: port 0, same kind, protocol and mid */
    ASSERT_EQ(0, d->port);
    ASSERT_EQ(SDP_KIND_APPLICATION, d->kind);
    ASSERT_STR_EQ("2", d->mid);
    ASSERT_STR_EQ("UDP/DTLS/SCTP", d->proto);
}

TEST(sdp_answer_text_is_what_browsers_expect)
{
    ASSERT_EQ(0, answer(chromium_offer, NULL));
    int n = sdp_write(sess(1), text, sizeof text);
    ASSERT(n > 0);
    ASSERT(strstr(text, "a=ice-lite\r\na=group:BUNDLE 0 1\r\n") != NULL);
    ASSERT(strstr(text, "m=audio 47999 UDP/TLS/RTP/SAVPF 111\r\n") != NULL);
    ASSERT(strstr(text, "m=video 47999 UDP/TLS/RTP/SAVPF 96 97\r\n") != NULL);
    ASSERT(strstr(text, "a=setup:passive\r\n") != NULL);
    ASSERT(strstr(text, "a=fmtp:97 apt=96\r\n") != NULL);
    ASSERT(strstr(text, "a=candidate:1 1 udp 2130706431 127.0.0.1 47999 typ host\r\n"
                        "a=end-of-candidates\r\n") != NULL);
    ASSERT(strstr(text, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                        "c=IN IP4 0.0.0.0\r\na=mid:2\r\n") != NULL);
    ASSERT(strstr(text, "a=sendonly") == NULL && strstr(text, "a=ssrc") == NULL);
    /* and it parses back to the same accepted sections */
    ASSERT_EQ(0, sdp_parse(sess(2), text, (size_t)n, NULL));
    ASSERT_MEM_EQ(sess(1)->media, sess(2)->media, 2 * sizeof(struct sdp_media));
    ASSERT_STR_EQ(sess(1)->bundle, sess(2)->bundle);
    ASSERT(sess(2)->ice_lite);
}

TEST(sdp_answer_chromium_simulcast_receives_the_rids)
{
    ASSERT_EQ(0, answer(chromium_simulcast_offer, NULL));
    ASSERT_EQ(2, n_tracks);
    const struct sdp_track *v = &tracks[1];
    ASSERT_EQ(3, v->n_rids);
    ASSERT_STR_EQ("q", v->rids[0].id);
    ASSERT_STR_EQ("h", v->rids[1].id);
    ASSERT_STR_EQ("f", v->rids[2].id);
    ASSERT_EQ(0, v->ssrc); /* one ssrc per layer, learnt from the rid extension */
    ASSERT_EQ(0, v->rtx_ssrc);
    ASSERT_EQ(10, v->ext.rid);
    const struct sdp_media *m = &sess(1)->media[1];
    ASSERT_EQ(3, m->n_rids);
    ASSERT(!m->rids[0].send && !m->rids[2].send);
    ASSERT_STR_EQ("recv q;h;f", m->simulcast);
    ASSERT(tracks[0].ssrc == 832438579u);
}

TEST(sdp_answer_simulcast_needs_the_rid_extension)
{
    const char *offer =
        edit(chromium_simulcast_offer,
             "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n", "");
    ASSERT_EQ(0, answer(offer, NULL));
    ASSERT_EQ(0, tracks[1].n_rids);
    ASSERT_EQ(0, sess(1)->media[1].n_rids);
    ASSERT_STR_EQ("", sess(1)->media[1].simulcast);
}

TEST(sdp_answer_simulcast_keeps_only_listed_send_rids)
{
    const char *offer = edit(chromium_simulcast_offer, "a=simulcast:send q;h;f",
                             "a=simulcast:send ~q;f");
    ASSERT_EQ(0, answer(offer, NULL));
    ASSERT_EQ(2, tracks[1].n_rids);
    ASSERT_STR_EQ("q", tracks[1].rids[0].id);
    ASSERT_STR_EQ("f", tracks[1].rids[1].id);
    ASSERT_STR_EQ("recv q;f", sess(1)->media[1].simulcast);
}

TEST(sdp_answer_aiortc_offer)
{
    ASSERT_EQ(0, answer(aiortc_offer, NULL));
    ASSERT_EQ(2, n_tracks);
    const struct sdp_track *a = &tracks[0], *v = &tracks[1];
    ASSERT_EQ(96, a->payload_type);
    ASSERT(a->ssrc == 904278497u);
    ASSERT_EQ(1, a->ext.mid);
    ASSERT_EQ(2, a->ext.audio_level);
    ASSERT_EQ(0, a->ext.transport_cc);
    ASSERT_EQ(0, a->feedback);
    ASSERT_EQ(97, v->payload_type);
    ASSERT_EQ(98, v->rtx_payload_type);
    ASSERT(v->ssrc == 1853613246u);
    ASSERT(v->rtx_ssrc == 3620125369u);
    ASSERT_EQ(1, v->ext.mid);
    ASSERT_EQ(2, v->ext.abs_send_time);
    ASSERT_EQ(SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_GOOG_REMB, v->feedback);
    ASSERT_STR_EQ("0 1", sess(1)->bundle);
    ASSERT_STR_EQ("minptime=10;useinbandfec=1", sess(1)->media[0].codecs[0].fmtp);
}

TEST(sdp_answer_refuses_sections_it_cannot_receive)
{
    /* audio recvonly, video without VP8 or H.264: both refused, zero
     * tracks is no error */
    const char *offer = edit(aiortc_offer, "a=sendonly", "a=recvonly");
    offer = edit(offer, "a=rtpmap:97 VP8/90000", "a=rtpmap:97 VP9/90000");
    offer = edit_all(offer, "H264/90000", "H265/90000");
    const char *why = "unset";
    ASSERT_EQ(0, answer(offer, &why));
    ASSERT(why == NULL);
    ASSERT_EQ(0, n_tracks);
    ASSERT_EQ(2, sess(1)->n_media);
    ASSERT_EQ(0, sess(1)->media[0].port);
    ASSERT_EQ(0, sess(1)->media[1].port);
    ASSERT_STR_EQ("", sess(1)->bundle);
    /* the refused video keeps the offer's payload types on its m= line */
    ASSERT_EQ(6, sess(1)->media[1].n_codecs);
    ASSERT(sdp_write(sess(1), text, sizeof text) > 0);
    ASSERT(strstr(text, "m=video 0 UDP/TLS/RTP/SAVPF 97 98 99 100 101 102\r\n") != NULL);
}

TEST(sdp_answer_needs_opus_stereo_at_48k)
{
    ASSERT_EQ(0, answer(edit(aiortc_offer, "opus/48000/2", "opus/48000"), NULL));
    ASSERT_EQ(1, n_tracks);
    ASSERT_EQ(SDP_KIND_VIDEO, tracks[0].kind);
    ASSERT_EQ(0, sess(1)->media[0].port);
}

TEST(sdp_answer_rtx_must_point_at_the_chosen_vp8)
{
    ASSERT_EQ(0, answer(edit(aiortc_offer, "a=fmtp:98 apt=97", "a=fmtp:98 apt=99"), NULL));
    ASSERT_EQ(97, tracks[1].payload_type);
    ASSERT_EQ(0, tracks[1].rtx_payload_type);
    ASSERT_EQ(0, tracks[1].rtx_ssrc); /* no RTX negotiated: its ssrc means nothing */
    ASSERT_EQ(1, sess(1)->media[1].n_codecs);
}

TEST(sdp_answer_errors_name_the_problem)
{
    const char *why = NULL;
    ASSERT_EQ(-SQ_EUNSUPPORTED, answer(edit_all(aiortc_offer, "a=rtcp-mux\r\n", ""), &why));
    ASSERT_STR_EQ("a=rtcp-mux is required", why);
    ASSERT_EQ(0, n_tracks);
    ASSERT_EQ(-SQ_EMALFORMED, answer(edit(aiortc_offer, "a=ice-ufrag:TpJ4\r\n", ""), &why));
    ASSERT_STR_EQ("offer has no a=ice-ufrag or a=ice-pwd", why);
    ASSERT_EQ(-SQ_EMALFORMED,
              answer(edit(chromium_offer, "a=ice-pwd:rNU8hUjx57NUPjrmh6WF+OdR\r\n", ""), &why));
    ASSERT_EQ(-SQ_EMALFORMED,
              answer(edit_all(chromium_offer, "a=fingerprint:sha-256", "a=x-fingerprint:sha-256"),
                     &why));
    ASSERT_STR_EQ("offer has no a=fingerprint", why);
    ASSERT_EQ(-SQ_EUNSUPPORTED, answer(edit(aiortc_offer, "a=setup:actpass", "a=setup:passive"),
                                       &why));
    ASSERT(strstr(why, "DTLS server") != NULL);
    ASSERT_EQ(-SQ_EUNSUPPORTED, answer(edit(aiortc_offer, "a=setup:actpass\r\n", ""), &why));
    ASSERT_EQ(0, answer(edit_all(aiortc_offer, "a=setup:actpass", "a=setup:active"), &why));
    ASSERT_EQ(-SQ_EMALFORMED, answer(edit(aiortc_offer, "a=mid:1\r\n", ""), &why));
    ASSERT_STR_EQ("an m= section has no a=mid", why);
}

TEST(sdp_answer_takes_session_level_credentials)
{
    const char *offer = edit(edit_all(aiortc_offer, "a=ice-ufrag:TpJ4\r\n", ""), "a=ice-ufrag:PXBM\r\n", "");
    offer = edit(edit(offer, "a=ice-pwd:8BWHhlUJ7sKj4Sx1Eo5DEE\r\n", ""),
                 "a=ice-pwd:Bcjq1pgQ5jVUfXMLrp0Uhh\r\n", "");
    offer = edit(offer, "t=0 0\r\n", "t=0 0\r\na=ice-ufrag:sess\r\na=ice-pwd:sessionpasswordsessionpw\r\n");
    ASSERT_EQ(0, answer(offer, NULL));
    ASSERT_EQ(2, n_tracks);
}

TEST(sdp_answer_requires_bundle_for_several_tracks)
{
    const char *why;
    ASSERT_EQ(-SQ_EUNSUPPORTED, answer(edit(aiortc_offer, "a=group:BUNDLE 0 1", "a=group:BUNDLE 0"),
                                       &why));
    ASSERT_STR_EQ("offer does not BUNDLE all its media", why);
    ASSERT_EQ(0, n_tracks);
    /* one track needs no BUNDLE */
    const char *one = edit(edit(aiortc_offer, "a=group:BUNDLE 0 1\r\n", ""), "opus/48000/2", "x/1");
    ASSERT_EQ(0, answer(one, NULL));
    ASSERT_EQ(1, n_tracks);
}

TEST(sdp_answer_refuses_more_tracks_than_the_caller_takes)
{
    const char *why;
    ASSERT_EQ(0, sdp_parse(sess(0), chromium_offer, strlen(chromium_offer), NULL));
    ASSERT_EQ(-SQ_ELIMIT, sdp_answer_publish(sess(0), &local, sess(1), tracks, 1, &n_tracks, &why));
    ASSERT_EQ(0, n_tracks);
    ASSERT(why != NULL);
    struct sdp_local bad = local;
    bad.ice_pwd[0] = '\0';
    ASSERT_EQ(-SQ_EINVAL, sdp_answer_publish(sess(0), &bad, sess(1), tracks, 8, &n_tracks, &why));
}

/* ---- subscribe ------------------------------------------------------------ */

static const struct sdp_outgoing outgoing[3] = {
    {"0", SDP_KIND_AUDIO, true, 1111, 0, "cn1", "p2", "a-p2", .has_own_numbers = false},
    {"1", SDP_KIND_VIDEO, true, 2222, 3333, "cn1", "p2", "v-p2", .has_own_numbers = false},
    {"2", SDP_KIND_VIDEO, false, 0, 0, "", "", "", .has_own_numbers = false},
};

TEST(sdp_offer_subscribe_builds_fixed_sections)
{
    ASSERT_EQ(0, sdp_offer_subscribe(&local, outgoing, 3, 42, 7, sess(0)));
    const struct sdp_session *s = sess(0);
    ASSERT_EQ(42, s->origin_session_id);
    ASSERT_EQ(7, s->origin_version);
    ASSERT(s->ice_lite);
    ASSERT_STR_EQ("0 1 2", s->bundle);
    ASSERT_EQ(3, s->n_media);
    const struct sdp_media *a = &s->media[0], *v = &s->media[1], *off = &s->media[2];
    ASSERT_EQ(SDP_SENDONLY, a->direction);
    ASSERT_EQ(SDP_SETUP_ACTPASS, a->setup);
    ASSERT(a->rtcp_mux && a->end_of_candidates);
    ASSERT_EQ(1, a->n_codecs);
    ASSERT_EQ(SDP_SUB_PT_OPUS, a->codecs[0].pt);
    ASSERT_EQ(SDP_FB_TRANSPORT_CC, a->codecs[0].feedback);
    ASSERT_EQ(SDP_SUB_EXT_MID, sdp_media_extmap_id(a, SDP_URI_MID));
    ASSERT_EQ(SDP_SUB_EXT_AUDIO_LEVEL, sdp_media_extmap_id(a, SDP_URI_AUDIO_LEVEL));
    ASSERT_EQ(SDP_SUB_EXT_ABS_SEND_TIME, sdp_media_extmap_id(a, SDP_URI_ABS_SEND_TIME));
    ASSERT_EQ(SDP_SUB_EXT_TRANSPORT_CC, sdp_media_extmap_id(a, SDP_URI_TRANSPORT_CC));
    ASSERT_STR_EQ("p2 a-p2", a->msid);
    ASSERT_EQ(1, a->n_ssrcs);
    ASSERT_EQ(0, a->n_ssrc_groups);
    ASSERT_EQ(0, sdp_media_extmap_id(v, SDP_URI_AUDIO_LEVEL));
    ASSERT_EQ(4, v->n_codecs); /* VP8, RTX, H.264, RTX: test_sdp_h264.c */
    ASSERT_EQ(SDP_SUB_PT_VP8, v->codecs[0].pt);
    ASSERT_EQ(SDP_SUB_PT_RTX, v->codecs[1].pt);
    ASSERT_EQ(SDP_SUB_PT_VP8, v->codecs[1].apt);
    ASSERT_EQ(2, v->n_ssrcs);
    ASSERT_EQ(1, v->n_ssrc_groups);
    ASSERT_STR_EQ("FID", v->ssrc_groups[0].semantics);
    ASSERT_EQ(3333, v->ssrc_groups[0].ssrcs[1]);
    ASSERT_EQ(SDP_INACTIVE, off->direction);
    ASSERT(off->port != 0);
    ASSERT_EQ(4, off->n_codecs);
    ASSERT_EQ(0, off->n_ssrcs);
    ASSERT_STR_EQ("", off->msid);
}

TEST(sdp_offer_subscribe_round_trips_through_text)
{
    ASSERT_EQ(0, sdp_offer_subscribe(&local, outgoing, 3, 42, 7, sess(0)));
    int n = sdp_write(sess(0), text, sizeof text);
    ASSERT(n > 0);
    ASSERT(strstr(text, "a=ssrc-group:FID 2222 3333\r\na=ssrc:2222 cname:cn1\r\n"
                        "a=ssrc:2222 msid:p2 v-p2\r\na=ssrc:3333 cname:cn1\r\n") != NULL);
    ASSERT(strstr(text, "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
                        "a=fmtp:111 minptime=10;useinbandfec=1\r\n") != NULL);
    ASSERT(strstr(text, "a=inactive\r\n") != NULL);
    ASSERT_EQ(0, sdp_parse(sess(1), text, (size_t)n, NULL));
    ASSERT_MEM_EQ(sess(0), sess(1), sizeof(struct sdp_session));
}

TEST(sdp_offer_subscribe_with_no_tracks_is_valid)
{
    ASSERT_EQ(0, sdp_offer_subscribe(&local, NULL, 0, 1, 1, sess(0)));
    ASSERT_EQ(0, sess(0)->n_media);
    int n = sdp_write(sess(0), text, sizeof text);
    ASSERT(n > 0);
    ASSERT(strstr(text, "a=group") == NULL);
    ASSERT_EQ(0, sdp_parse(sess(1), text, (size_t)n, NULL));
}

TEST(sdp_offer_subscribe_refuses_bad_tracks)
{
    struct sdp_outgoing t[2] = {outgoing[0], outgoing[1]};
    t[1].kind = SDP_KIND_APPLICATION;
    ASSERT_EQ(-SQ_EINVAL, sdp_offer_subscribe(&local, t, 2, 1, 1, sess(0)));
    t[1] = outgoing[1];
    strcpy(t[1].mid, "0");
    ASSERT_EQ(-SQ_EINVAL, sdp_offer_subscribe(&local, t, 2, 1, 1, sess(0)));
    strcpy(t[1].mid, "a b");
    ASSERT_EQ(-SQ_EINVAL, sdp_offer_subscribe(&local, t, 2, 1, 1, sess(0)));
    t[1] = outgoing[1];
    strcpy(t[1].track_id, "x\r\na=setup:active");
    ASSERT_EQ(-SQ_EINVAL, sdp_offer_subscribe(&local, t, 2, 1, 1, sess(0)));
    ASSERT_EQ(-SQ_ELIMIT, sdp_offer_subscribe(&local, t, SDP_MAX_MEDIA + 1, 1, 1, sess(0)));
}

TEST(sdp_check_subscribe_answer_accepts_chromium)
{
    const char *why = "unset";
    ASSERT_EQ(0, sdp_offer_subscribe(&local, outgoing, 3, 42, 7, sess(0)));
    ASSERT_EQ(0, sdp_parse(sess(1), chromium_subscribe_answer, strlen(chromium_subscribe_answer),
                           NULL));
    ASSERT_EQ(0, sdp_check_subscribe_answer(sess(0), sess(1), &why));
    ASSERT(why == NULL);
}

static int check(const char *answer_text, const char **why)
{
    if (sdp_offer_subscribe(&local, outgoing, 3, 42, 7, sess(0)) != 0 ||
        sdp_parse(sess(1), answer_text, strlen(answer_text), NULL) != 0)
        return -999;
    return sdp_check_subscribe_answer(sess(0), sess(1), why);
}

TEST(sdp_check_subscribe_answer_refuses_what_sabaq_cannot_do)
{
    const char *why;
    const char *a = chromium_subscribe_answer;
    ASSERT_EQ(-SQ_EUNSUPPORTED, check(edit_all(a, "a=setup:active", "a=setup:passive"), &why));
    ASSERT_STR_EQ("answer has a=setup:passive: Sabaq must stay the DTLS server", why);
    ASSERT_EQ(-SQ_EMALFORMED, check(edit(a, "a=setup:active\r\n", ""), &why));
    ASSERT_EQ(-SQ_EMALFORMED, check(edit(a, "a=mid:1", "a=mid:9"), &why));
    ASSERT_STR_EQ("answer m= sections differ from the offer's (mid or kind)", why);
    static char cut[sizeof chromium_subscribe_answer];
    const char *third = strstr(strstr(strstr(a, "\nm=") + 1, "\nm=") + 1, "\nm=");
    snprintf(cut, sizeof cut, "%.*s", (int)(third + 1 - a), a); /* drop the third m= */
    ASSERT_EQ(-SQ_EMALFORMED, check(edit(cut, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1"), &why));
    ASSERT_STR_EQ("answer has a different number of m= sections", why);
    ASSERT_EQ(-SQ_EMALFORMED,
              check(edit_all(a, "a=fingerprint:sha-256", "a=x-fingerprint:sha-256"), &why));
    ASSERT_STR_EQ("answer has no a=fingerprint", why);
    ASSERT_EQ(-SQ_EMALFORMED, check(edit_all(a, "a=ice-pwd:", "a=x-ice-pwd:"), &why));
    ASSERT_EQ(-SQ_EUNSUPPORTED, check(edit(a, "a=group:BUNDLE 0 1 2", "a=group:BUNDLE 0 1"), &why));
    ASSERT_EQ(-SQ_EUNSUPPORTED, check(edit_all(a, "a=rtcp-mux\r\n", ""), &why));
}

TEST(sdp_check_subscribe_answer_takes_session_level_values_and_refusals)
{
    const char *why;
    /* credentials at session level only */
    const char *a = edit_all(chromium_subscribe_answer, "a=ice-ufrag:bt1i\r\n", "");
    a = edit_all(a, "a=ice-pwd:0wcwHuw69kR6I4q7FGpteGAG\r\n", "");
    a = edit(a, "t=0 0\r\n", "t=0 0\r\na=ice-ufrag:bt1i\r\na=ice-pwd:0wcwHuw69kR6I4q7FGpteGAG\r\n");
    ASSERT_EQ(0, check(a, &why));
    /* a refused m= section (port 0) needs nothing */
    const char *r = edit(chromium_subscribe_answer, "m=audio 9", "m=audio 0");
    r = edit(r, "a=setup:active", "a=setup:passive");
    ASSERT_EQ(0, check(r, &why));
}
