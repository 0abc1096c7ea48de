/* Sabaq's answer to a WHEP player's offer (whep_sdp.c): sendonly in the
 * player's own payload types and extension ids, one audio and one video
 * section at most, and a reason for every offer it cannot answer. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "signaling/whep_sdp.h"
#include "test_whep_offers.h"

struct run {
    struct sdp_session offer, answer, reparsed;
    struct sdp_outgoing audio, video;
    struct sdp_local local;
    const char *why;
    char text[16384];
};

static int answer_text(struct run *r, const char *sdp)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->local.ice_ufrag, sizeof(r->local.ice_ufrag), "SabqUfrg");
    snprintf(r->local.ice_pwd, sizeof(r->local.ice_pwd), "0123456789abcdefghijklmn");
    snprintf(r->local.fingerprint, sizeof(r->local.fingerprint), "AB:CD:EF");
    r->local.n_candidates = 1;
    struct sdp_candidate *c = &r->local.candidates[0];
    snprintf(c->foundation, sizeof(c->foundation), "1");
    c->component = 1;
    snprintf(c->transport, sizeof(c->transport), "udp");
    c->priority = 2130706431;
    snprintf(c->address, sizeof(c->address), "127.0.0.1");
    c->port = 41000;
    snprintf(c->type, sizeof(c->type), "host");
    if (sdp_parse(&r->offer, sdp, strlen(sdp), &r->why) != 0)
        return -1000;
    struct whep_sdp_params prm = {&r->local, 77, 1111, 2222, 3333, "LESSON1"};
    return whep_sdp_answer(&r->offer, &prm, &r->answer, &r->audio, &r->video, &r->why);
}

static struct run *new_run(void)
{
    return calloc(1, sizeof(struct run));
}

TEST(whep_answer_sends_in_the_players_own_numbers)
{
    struct run *r = new_run();
    ASSERT(r);
    ASSERT_EQ(0, answer_text(r, AIORTC_WHEP_OFFER));
    ASSERT(r->video.active && r->audio.active);
    ASSERT(r->video.has_own_numbers && r->audio.has_own_numbers);
#ifdef SDP_SUB_PT_H264_RTX
    ASSERT_EQ(4, r->video.n_pt_map);   /* + H.264 and its RTX: see below */
#else
    ASSERT_EQ(2, r->video.n_pt_map);
#endif
    ASSERT_EQ(SDP_SUB_PT_VP8, r->video.pt_map[0].sabaq);
    ASSERT_EQ(97, r->video.pt_map[0].own);
    ASSERT_EQ(SDP_SUB_PT_RTX, r->video.pt_map[1].sabaq);
    ASSERT_EQ(98, r->video.pt_map[1].own);
    ASSERT_EQ(1, r->audio.n_pt_map);
    ASSERT_EQ(SDP_SUB_PT_OPUS, r->audio.pt_map[0].sabaq);
    ASSERT_EQ(96, r->audio.pt_map[0].own);
    ASSERT_EQ(1, r->video.ext_mid);
    ASSERT_EQ(1, r->audio.ext_mid);
    ASSERT_EQ(3, r->audio.ext_audio_level);
    ASSERT_EQ(0, r->audio.ext_transport_cc);   /* aiortc offers no transport-cc */
    ASSERT_EQ(0, r->video.ext_audio_level);
    ASSERT_EQ(2222u, r->video.ssrc);
    ASSERT_EQ(3333u, r->video.rtx_ssrc);
    ASSERT_EQ(1111u, r->audio.ssrc);
    ASSERT_STR_EQ("0", r->video.mid);
    ASSERT_STR_EQ("1", r->audio.mid);

    int n = sdp_write(&r->answer, r->text, sizeof(r->text));
    ASSERT(n > 0);
    ASSERT_EQ(0, sdp_parse(&r->reparsed, r->text, (size_t)n, &r->why));
    const struct sdp_session *a = &r->reparsed;
    ASSERT(a->ice_lite);
    ASSERT_EQ(2, a->n_media);
    ASSERT_STR_EQ("0 1", a->bundle);
    const struct sdp_media *v = &a->media[0], *au = &a->media[1];
    ASSERT(v->kind == SDP_KIND_VIDEO && v->direction == SDP_SENDONLY && v->port == 41000);
    ASSERT(au->kind == SDP_KIND_AUDIO && au->direction == SDP_SENDONLY);
    ASSERT(sdp_media_setup(a, v) == SDP_SETUP_PASSIVE);
#ifdef SDP_SUB_PT_H264_RTX
    ASSERT_EQ(4, v->n_codecs);   /* VP8 + RTX, then H.264 + RTX (see below) */
#else
    ASSERT_EQ(2, v->n_codecs);   /* VP8 and its RTX: no H.264 */
#endif
    ASSERT_EQ(97, v->codecs[0].pt);
    ASSERT_EQ(98, v->codecs[1].pt);
    ASSERT_EQ(97, v->codecs[1].apt);
    ASSERT(v->codecs[0].feedback & SDP_FB_NACK_PLI);
    ASSERT_EQ(1, au->n_codecs);
    ASSERT_EQ(96, au->codecs[0].pt);
    ASSERT_EQ(1, v->n_extmaps);   /* abs-send-time is not written: not answered */
    ASSERT_EQ(2, au->n_extmaps);
    ASSERT_EQ(2, v->n_ssrcs);
    ASSERT_EQ(1, v->n_ssrc_groups);
    ASSERT_STR_EQ("FID", v->ssrc_groups[0].semantics);
    ASSERT_STR_EQ("LESSON1 stage", v->msid);
    ASSERT_STR_EQ("LESSON1 speaker", au->msid);
    ASSERT_STR_EQ("SabqUfrg", sdp_media_ice_ufrag(a, v));
    free(r);
}

TEST(whep_answer_takes_chromium_shaped_ids_and_transport_cc)
{
    struct run *r = new_run();
    ASSERT(r);
    char *sdp = test_whep_variant("a=extmap:3 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                                  "a=extmap:5 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
                                  "a=extmap:7 http://www.ietf.org/id/"
                                  "draft-holmer-rmcat-transport-wide-cc-extensions-01");
    ASSERT(sdp);
    ASSERT_EQ(0, answer_text(r, sdp));
    ASSERT_EQ(5, r->audio.ext_audio_level);
    ASSERT_EQ(7, r->audio.ext_transport_cc);
    free(sdp);
    /* Only the one-byte header form: an id of 15 or more is not written. */
    sdp = test_whep_variant("a=extmap:1 urn", "a=extmap:20 urn");
    ASSERT_EQ(0, answer_text(r, sdp));
    ASSERT_EQ(0, r->video.ext_mid);
    free(sdp);
    free(r);
}

TEST(whep_answer_takes_one_section_of_each_kind)
{
    struct run *r = new_run();
    ASSERT(r);
    /* Video only: the audio section made sendonly is rejected, video kept. */
    char *sdp = test_whep_variant("m=audio", "m=audio");
    char *p = strstr(sdp, "m=audio");
    char *dir = strstr(p, "a=recvonly");
    memcpy(dir, "a=sendonly", 10);
    ASSERT_EQ(0, answer_text(r, sdp));
    ASSERT(r->video.active && !r->audio.active);
    ASSERT_EQ(0, r->answer.media[1].port);
    ASSERT_STR_EQ("0", r->answer.bundle);
    free(sdp);

    /* A second video section: rejected, the first one is the stage. */
    const char *v = strstr(AIORTC_WHEP_OFFER, "m=video");
    const char *a = strstr(AIORTC_WHEP_OFFER, "m=audio");
    size_t head = (size_t)(v - AIORTC_WHEP_OFFER), vlen = (size_t)(a - v);
    char *twice = malloc(strlen(AIORTC_WHEP_OFFER) + vlen + 1);
    memcpy(twice, AIORTC_WHEP_OFFER, (size_t)(a - AIORTC_WHEP_OFFER));
    char *o = twice + (a - AIORTC_WHEP_OFFER);
    memcpy(o, v, vlen);
    char *mid = strstr(o, "a=mid:0");
    mid[6] = '2';
    strcpy(o + vlen, a);
    char *bundled = strstr(twice, "BUNDLE 0 1");
    ASSERT(bundled);
    (void)head;
    ASSERT_EQ(0, answer_text(r, twice));
    ASSERT_EQ(3, r->answer.n_media);
    ASSERT_STR_EQ("0", r->video.mid);
    ASSERT_EQ(0, r->answer.media[1].port);
    ASSERT(r->answer.media[2].port != 0);
    free(twice);
    free(r);
}

TEST(whep_answer_refuses_offers_it_cannot_serve_with_a_reason)
{
    struct run *r = new_run();
    ASSERT(r);
    char *sdp = test_whep_variant("a=recvonly", "a=sendonly");
    ASSERT_EQ(-SQ_EUNSUPPORTED, answer_text(r, sdp));
    ASSERT(r->why && strstr(r->why, "nothing to send"));
    free(sdp);
    sdp = test_whep_variant("a=group:BUNDLE 0 1", "a=group:BUNDLE 0");
    ASSERT_EQ(-SQ_EUNSUPPORTED, answer_text(r, sdp));
    ASSERT(r->why && strstr(r->why, "BUNDLE"));
    free(sdp);
    sdp = test_whep_variant("a=setup:actpass", "a=setup:passive");
    ASSERT_EQ(-SQ_EUNSUPPORTED, answer_text(r, sdp));
    ASSERT(r->why && strstr(r->why, "setup"));
    free(sdp);
    sdp = test_whep_variant("a=rtcp-mux\r\n", "");
    ASSERT_EQ(-SQ_EUNSUPPORTED, answer_text(r, sdp));
    ASSERT(r->why && strstr(r->why, "rtcp-mux"));
    free(sdp);
    sdp = test_whep_variant("a=mid:", "a=xmid:");
    ASSERT(answer_text(r, sdp) < 0);
    ASSERT(r->why && strstr(r->why, "mid"));
    free(sdp);
    /* No VP8 and no Opus: nothing Sabaq can send. */
    char *a = test_whep_variant("VP8/90000", "AV1/90000");
    char *b = a ? strdup(a) : NULL;
    free(a);
    ASSERT(b);
    char *opus = strstr(b, "opus/48000/2");
    memcpy(opus, "ISAC", 4);
    ASSERT_EQ(-SQ_EUNSUPPORTED, answer_text(r, b));
    free(b);
    free(r);
}

#ifdef SDP_SUB_PT_H264_RTX
/* With H.264 forwarding built in: the viewer's constrained-baseline H.264
 * (aiortc: 101, RTX 102) is answered and mapped beside VP8. */
TEST(whep_answer_maps_the_players_h264_beside_vp8)
{
    struct run *r = new_run();
    ASSERT(r);
    ASSERT_EQ(0, answer_text(r, AIORTC_WHEP_OFFER));
    ASSERT_EQ(4, r->video.n_pt_map);
    ASSERT_EQ(SDP_SUB_PT_H264, r->video.pt_map[2].sabaq);
    ASSERT_EQ(101, r->video.pt_map[2].own);
    ASSERT_EQ(SDP_SUB_PT_H264_RTX, r->video.pt_map[3].sabaq);
    ASSERT_EQ(102, r->video.pt_map[3].own);
    const struct sdp_media *v = &r->answer.media[0];
    ASSERT_EQ(4, v->n_codecs);
    ASSERT_EQ(101, v->codecs[2].pt);
    ASSERT(strstr(v->codecs[2].fmtp, "profile-level-id=42e01f"));
    ASSERT_EQ(101, v->codecs[3].apt);
    free(r);
}
#endif
