/* H.264 in Sabaq's offer/answer: a publisher that offers only H.264 (OBS's
 * WHIP output, a browser without VP8) gets it in packetization-mode 1, a
 * publisher that also offers VP8 keeps VP8, and every subscribe video m-line
 * offers both. */
#include "test.h"

#include <stdlib.h>

#include "sabaq/error.h"
#include "sabaq/sdp.h"

#include "sdp_fixtures.h"

/* The shape of OBS Studio's WHIP offer (one H.264 format, a=ssrc, no RTX,
 * no header extensions, session-level fingerprint). */
static const char obs_offer[] =
    "v=0\r\n"
    "o=rtc 3526741839 0 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=msid-semantic:WMS *\r\n"
    "a=fingerprint:sha-256 B0:F7:C8:DD:83:3D:86:6F:C9:7C:47:16:03:DD:C3:5B:4C:26:68:53:23:83:27:11:D0:B5:25:F0:D6:AA:BA:4A\r\n"
    "a=ice-options:ice2,trickle\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:0\r\n"
    "a=sendonly\r\n"
    "a=ssrc:3301 cname:obscname\r\n"
    "a=msid:obsstream obsstream-audio\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10;maxaveragebitrate=96000;stereo=1;sprop-stereo=1;useinbandfec=1\r\n"
    "a=setup:actpass\r\n"
    "a=ice-ufrag:Obs1\r\n"
    "a=ice-pwd:obspasswordobspassword\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:1\r\n"
    "a=sendonly\r\n"
    "a=ssrc:3302 cname:obscname\r\n"
    "a=msid:obsstream obsstream-video\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtcp-fb:96 goog-remb\r\n"
    "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1\r\n"
    "a=setup:actpass\r\n"
    "a=ice-ufrag:Obs1\r\n"
    "a=ice-pwd:obspasswordobspassword\r\n";

static struct sdp_session *sess(int i)
{
    static struct sdp_session *s[2];
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

static int answer(const char *offer)
{
    const char *why = NULL;
    if (sdp_parse(sess(0), offer, strlen(offer), &why) != 0) {
        test_fail(__FILE__, __LINE__, "offer does not parse: %s", why);
        return -999;
    }
    return sdp_answer_publish(sess(0), &local, sess(1), tracks, 8, &n_tracks, &why);
}

/* Replaces every occurrence of `from` in one pass (the replacement is not
 * searched again). Results live in a ring of buffers: nestable. */
static const char *edit_all(const char *src, const char *from, const char *to)
{
    static char ring[4][65536];
    static int next;
    char *buf = ring[next++ % 4];
    size_t n = 0, flen = strlen(from);
    const char *hit;
    buf[0] = '\0';
    while ((hit = strstr(src, from)) && n < sizeof ring[0]) {
        n += (size_t)snprintf(buf + n, sizeof ring[0] - n, "%.*s%s", (int)(hit - src), src, to);
        src = hit + flen;
    }
    if (n < sizeof ring[0])
        snprintf(buf + n, sizeof ring[0] - n, "%s", src);
    return buf;
}

/* The video m= section of sess(1) as text, for a few string checks. */
static const char *answer_text(void)
{
    if (sdp_write(sess(1), text, sizeof text) <= 0)
        return "";
    return text;
}

TEST(sdp_h264_obs_offer_gets_h264_with_its_own_fmtp)
{
    ASSERT_EQ(0, answer(obs_offer));
    ASSERT_EQ(2, n_tracks);
    ASSERT_EQ(SDP_CODEC_OPUS, tracks[0].codec);
    const struct sdp_track *v = &tracks[1];
    ASSERT_EQ(SDP_KIND_VIDEO, v->kind);
    ASSERT_EQ(SDP_CODEC_H264, v->codec);
    ASSERT_EQ(96, v->payload_type);
    ASSERT_EQ(0, v->rtx_payload_type);
    ASSERT_EQ(90000, v->clock_rate);
    ASSERT_EQ(3302, v->ssrc);
    ASSERT_EQ(SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_GOOG_REMB, v->feedback);
    const struct sdp_media *m = &sess(1)->media[1];
    ASSERT_EQ(SDP_RECVONLY, m->direction);
    ASSERT_EQ(1, m->n_codecs);
    ASSERT_STR_EQ("H264", m->codecs[0].name);
    ASSERT_STR_EQ("profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1",
                  m->codecs[0].fmtp);
    const char *t = answer_text();
    ASSERT(strstr(t, "m=video 47999 UDP/TLS/RTP/SAVPF 96\r\n") != NULL);
    ASSERT(strstr(t, "a=rtpmap:96 H264/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
                     "a=rtcp-fb:96 goog-remb\r\na=fmtp:96 profile-level-id=42e01f;"
                     "packetization-mode=1;level-asymmetry-allowed=1\r\n") != NULL);
    ASSERT_STR_EQ("0 1", sess(1)->bundle);
}

TEST(sdp_h264_vp8_stays_preferred_when_offered)
{
    ASSERT_EQ(0, answer(chromium_offer));
    ASSERT_EQ(SDP_CODEC_VP8, tracks[1].codec);
    ASSERT_EQ(96, tracks[1].payload_type);
    ASSERT_EQ(0, answer(aiortc_offer)); /* H.264 listed after VP8 */
    ASSERT_EQ(SDP_CODEC_VP8, tracks[1].codec);
    ASSERT_EQ(97, tracks[1].payload_type);
    /* Even when H.264 comes first in the offer. */
    const char *h264_first =
        edit_all(aiortc_offer, "m=video 33596 UDP/TLS/RTP/SAVPF 97 98 99 100 101 102",
                 "m=video 33596 UDP/TLS/RTP/SAVPF 101 102 99 100 97 98");
    ASSERT_EQ(0, answer(h264_first));
    ASSERT_EQ(SDP_CODEC_VP8, tracks[1].codec);
    ASSERT_EQ(97, tracks[1].payload_type);
}

TEST(sdp_h264_chromium_without_vp8_prefers_constrained_baseline_mode_1)
{
    /* Chromium lists 102 (42001f, mode 1), 104 (mode 0), 108 (42e01f, mode
     * 1), ..., 116 (4d001f, mode 1): constrained baseline 108 wins. */
    ASSERT_EQ(0, answer(edit_all(chromium_offer, "VP8/90000", "VP7/90000")));
    ASSERT_EQ(2, n_tracks);
    const struct sdp_track *v = &tracks[1];
    ASSERT_EQ(SDP_CODEC_H264, v->codec);
    ASSERT_EQ(108, v->payload_type);
    ASSERT_EQ(109, v->rtx_payload_type);
    ASSERT(v->rtx_ssrc == 805207586u);
    const struct sdp_media *m = &sess(1)->media[1];
    ASSERT_EQ(2, m->n_codecs);
    ASSERT_STR_EQ("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
                  m->codecs[0].fmtp);
    ASSERT_STR_EQ("rtx", m->codecs[1].name);
    ASSERT_EQ(108, m->codecs[1].apt);
}

TEST(sdp_h264_profile_order_baseline_then_main_then_others)
{
    const char *no_vp8 = edit_all(chromium_offer, "VP8/90000", "VP7/90000");
    /* Without constrained baseline: baseline 42001f (102). */
    const char *o = edit_all(no_vp8, "profile-level-id=42e01f", "profile-level-id=64001f");
    ASSERT_EQ(0, answer(o));
    ASSERT_EQ(102, tracks[1].payload_type);
    /* Without baseline either: main 4d001f (116) over high (108). */
    o = edit_all(o, "profile-level-id=42001f", "profile-level-id=64001f");
    ASSERT_EQ(0, answer(o));
    ASSERT_EQ(116, tracks[1].payload_type);
    ASSERT_EQ(117, tracks[1].rtx_payload_type);
    /* High alone is still taken: decoders play it. */
    ASSERT_EQ(0, answer(edit_all(obs_offer, "profile-level-id=42e01f", "profile-level-id=640028")));
    ASSERT_EQ(SDP_CODEC_H264, tracks[1].codec);
    /* Main with constraint_set0 is constrained baseline too (RFC 6184 8.1). */
    o = edit_all(obs_offer, "m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video 9 UDP/TLS/RTP/SAVPF 96 98");
    o = edit_all(o, "a=setup:actpass\r\na=ice-ufrag:Obs1\r\na=ice-pwd:obspasswordobspassword\r\n",
                 "a=rtpmap:98 H264/90000\r\na=fmtp:98 packetization-mode=1;profile-level-id=4d801f\r\n"
                 "a=setup:actpass\r\na=ice-ufrag:Obs1\r\na=ice-pwd:obspasswordobspassword\r\n");
    o = edit_all(o, "profile-level-id=42e01f", "profile-level-id=4d001f");
    ASSERT_EQ(0, answer(o));
    ASSERT_EQ(98, tracks[1].payload_type);
    /* The answer repeats the publisher's parameters but not its sprop-*. */
    ASSERT_EQ(0, answer(edit_all(obs_offer, "packetization-mode=1;",
                                 "packetization-mode=1; sprop-parameter-sets=Z0LgH4yNQA==,aM48gA==;")));
    ASSERT_STR_EQ("profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1",
                  sess(1)->media[1].codecs[0].fmtp);
    /* No profile-level-id means baseline 42000a: taken. */
    ASSERT_EQ(0, answer(edit_all(obs_offer, "profile-level-id=42e01f;", "")));
    ASSERT_EQ(SDP_CODEC_H264, tracks[1].codec);
    ASSERT_STR_EQ("packetization-mode=1;level-asymmetry-allowed=1", sess(1)->media[1].codecs[0].fmtp);
}

TEST(sdp_h264_refuses_mode_0_and_bad_profiles)
{
    static const struct {
        const char *from, *to;
    } edits[] = {
        {"packetization-mode=1", "packetization-mode=0"},
        {"packetization-mode=1;", ""}, /* mode 0 by default */
        {"packetization-mode=1", "packetization-mode=2"},
        {"packetization-mode=1", "packetization-mode=11"},
        {"profile-level-id=42e01f", "profile-level-id=42e01"},
        {"profile-level-id=42e01f", "profile-level-id=42e01fff"},
        {"profile-level-id=42e01f", "profile-level-id=42x01f"},
        {"profile-level-id=42e01f", "profile-level-id="},
        {"H264/90000", "H264/48000"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        ASSERT_EQ(0, answer(edit_all(obs_offer, edits[i].from, edits[i].to)));
        if (n_tracks != 1 || tracks[0].kind != SDP_KIND_AUDIO || sess(1)->media[1].port != 0) {
            test_fail(__FILE__, __LINE__, "video accepted with \"%s\"", edits[i].to);
            return;
        }
    }
    /* Parameter names are case-insensitive and spaces around are fine. */
    ASSERT_EQ(0, answer(edit_all(obs_offer, "packetization-mode=1;", " Packetization-Mode=1 ; ")));
    ASSERT_EQ(SDP_CODEC_H264, tracks[1].codec);
}

TEST(sdp_h264_rtx_must_point_at_the_chosen_format)
{
    const char *no_vp8 = edit_all(chromium_offer, "VP8/90000", "VP7/90000");
    ASSERT_EQ(0, answer(edit_all(no_vp8, "a=fmtp:109 apt=108", "a=fmtp:109 apt=102")));
    ASSERT_EQ(108, tracks[1].payload_type);
    ASSERT_EQ(0, tracks[1].rtx_payload_type);
    ASSERT_EQ(0, tracks[1].rtx_ssrc);
    ASSERT_EQ(1, sess(1)->media[1].n_codecs);
}

TEST(sdp_h264_simulcast_offer_gets_one_layer)
{
    /* The simulcast fixture keeps VP8 (96) and H.264 42001f (102). */
    const char *h264 = edit_all(chromium_simulcast_offer, "VP8/90000", "VP7/90000");
    ASSERT_EQ(0, answer(h264));
    const struct sdp_track *v = &tracks[1];
    ASSERT_EQ(SDP_CODEC_H264, v->codec);
    ASSERT_EQ(1, v->n_rids);
    ASSERT_STR_EQ("q", v->rids[0].id); /* the first of "send q;h;f" */
    ASSERT_EQ(0, v->ssrc);             /* learnt from the rid extension */
    const struct sdp_media *m = &sess(1)->media[1];
    ASSERT_EQ(1, m->n_rids);
    ASSERT_STR_EQ("recv q", m->simulcast);
    /* The first stream that is not paused. */
    ASSERT_EQ(0, answer(edit_all(h264, "a=simulcast:send q;h;f", "a=simulcast:send ~f;h,q")));
    ASSERT_EQ(1, tracks[1].n_rids);
    ASSERT_STR_EQ("h", tracks[1].rids[0].id);
    ASSERT_STR_EQ("recv h", sess(1)->media[1].simulcast);
    /* VP8 keeps every layer. */
    ASSERT_EQ(0, answer(chromium_simulcast_offer));
    ASSERT_EQ(3, tracks[1].n_rids);
}

static const struct sdp_outgoing outgoing[2] = {
    {.mid = "0", .kind = SDP_KIND_AUDIO, .active = true, .ssrc = 1111, .cname = "cn1",
     .stream_id = "p2", .track_id = "a-p2"},
    {.mid = "1", .kind = SDP_KIND_VIDEO, .active = true, .ssrc = 2222, .rtx_ssrc = 3333,
     .cname = "cn1", .stream_id = "p2", .track_id = "v-p2"},
};

TEST(sdp_h264_subscribe_offer_has_vp8_and_h264_with_rtx)
{
    ASSERT_EQ(0, sdp_offer_subscribe(&local, outgoing, 2, 42, 7, sess(0)));
    const struct sdp_media *a = &sess(0)->media[0], *v = &sess(0)->media[1];
    ASSERT_EQ(1, a->n_codecs);
    ASSERT_EQ(4, v->n_codecs);
    ASSERT_EQ(SDP_SUB_PT_H264, v->codecs[2].pt);
    ASSERT_STR_EQ("H264", v->codecs[2].name);
    ASSERT_EQ(90000, v->codecs[2].clock_rate);
    ASSERT_STR_EQ(SDP_SUB_H264_FMTP, v->codecs[2].fmtp);
    ASSERT_EQ(v->codecs[0].feedback, v->codecs[2].feedback);
    ASSERT_EQ(SDP_SUB_PT_H264_RTX, v->codecs[3].pt);
    ASSERT_EQ(SDP_SUB_PT_H264, v->codecs[3].apt);
    int n = sdp_write(sess(0), text, sizeof text);
    ASSERT(n > 0);
    ASSERT(strstr(text, "m=video 47999 UDP/TLS/RTP/SAVPF 96 97 102 103\r\n") != NULL);
    ASSERT(strstr(text, "a=rtpmap:102 H264/90000\r\n") != NULL);
    ASSERT(strstr(text, "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;"
                        "profile-level-id=42e01f\r\n") != NULL);
    ASSERT(strstr(text, "a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\n") != NULL);
    /* What Sabaq writes, it reads back the same. */
    ASSERT_EQ(0, sdp_parse(sess(1), text, (size_t)n, NULL));
    ASSERT_MEM_EQ(sess(0), sess(1), sizeof(struct sdp_session));
}

TEST(sdp_h264_subscribe_payload_types_follow_the_source)
{
    ASSERT_EQ(SDP_SUB_PT_OPUS, sdp_sub_payload_type(SDP_KIND_AUDIO, SDP_CODEC_OPUS));
    ASSERT_EQ(SDP_SUB_PT_OPUS, sdp_sub_payload_type(SDP_KIND_AUDIO, SDP_CODEC_UNSET));
    ASSERT_EQ(SDP_SUB_PT_VP8, sdp_sub_payload_type(SDP_KIND_VIDEO, SDP_CODEC_VP8));
    ASSERT_EQ(SDP_SUB_PT_VP8, sdp_sub_payload_type(SDP_KIND_VIDEO, SDP_CODEC_UNSET));
    ASSERT_EQ(SDP_SUB_PT_H264, sdp_sub_payload_type(SDP_KIND_VIDEO, SDP_CODEC_H264));
    ASSERT_EQ(SDP_SUB_PT_RTX, sdp_sub_rtx_payload_type(SDP_SUB_PT_VP8));
    ASSERT_EQ(SDP_SUB_PT_H264_RTX, sdp_sub_rtx_payload_type(SDP_SUB_PT_H264));
    ASSERT_EQ(0, sdp_sub_rtx_payload_type(SDP_SUB_PT_OPUS));
}

TEST(sdp_h264_answer_tells_whether_the_subscriber_kept_h264)
{
    /* Chromium's captured answer predates H.264 in the offer: it has VP8
     * and RTX only, as a browser without an H.264 decoder would answer. */
    ASSERT_EQ(0, sdp_parse(sess(1), chromium_subscribe_answer, strlen(chromium_subscribe_answer),
                           NULL));
    const struct sdp_media *v = &sess(1)->media[1];
    ASSERT(sdp_media_has_payload_type(v, SDP_SUB_PT_VP8));
    ASSERT(!sdp_media_has_payload_type(v, SDP_SUB_PT_H264));
    const char *with_h264 = edit_all(chromium_subscribe_answer, "UDP/TLS/RTP/SAVPF 96 97\r\n",
                                     "UDP/TLS/RTP/SAVPF 96 97 102 103\r\n");
    ASSERT_EQ(0, sdp_parse(sess(1), with_h264, strlen(with_h264), NULL));
    ASSERT(sdp_media_has_payload_type(&sess(1)->media[1], SDP_SUB_PT_H264));
    /* A refused section has nothing. */
    struct sdp_media off = sess(1)->media[1];
    off.port = 0;
    ASSERT(!sdp_media_has_payload_type(&off, SDP_SUB_PT_VP8));
}

TEST(sdp_h264_full_subscribe_offer_still_fits)
{
    /* The most a subscribe connection holds: every m-line video and active,
     * now with four formats each. It must stay well inside SDP_MAX_TEXT
     * (the browser's answer goes back through the same bound). */
    static struct sdp_outgoing many[SDP_MAX_MEDIA];
    for (int i = 0; i < SDP_MAX_MEDIA; i++) {
        many[i] = outgoing[1];
        snprintf(many[i].mid, sizeof many[i].mid, "%d", i);
        many[i].ssrc = 10000u + 2u * (uint32_t)i;
        many[i].rtx_ssrc = many[i].ssrc + 1;
        snprintf(many[i].stream_id, sizeof many[i].stream_id, "p%d", i);
        snprintf(many[i].track_id, sizeof many[i].track_id, "p%d-1", i);
    }
    ASSERT_EQ(0, sdp_offer_subscribe(&local, many, SDP_MAX_MEDIA, 42, 7, sess(0)));
    static char big[SDP_MAX_TEXT];
    int n = sdp_write(sess(0), big, sizeof big);
    ASSERT(n > 0 && n < SDP_MAX_TEXT / 2);
    ASSERT_EQ(0, sdp_parse(sess(1), big, (size_t)n, NULL));
    ASSERT_EQ(SDP_MAX_MEDIA, sess(1)->n_media);
}
