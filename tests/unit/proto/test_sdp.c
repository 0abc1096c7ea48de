/* sdp_parse, the accessors and sdp_write: real offers from Chromium 156 and
 * aiortc 1.4, round trips, and hostile input (truncations, overlong fields,
 * counts past the bounds, bad numbers, control bytes). */
#include "test.h"

#include <stdlib.h>

#include "sabaq/error.h"
#include "sabaq/sdp.h"

#include "sdp_fixtures.h"

/* The sessions are ~800 KB each: keep them off the stack, made once. */
static struct sdp_session *sess(int i)
{
    static struct sdp_session *s[3];
    if (!s[i] && !(s[i] = malloc(sizeof *s[i])))
        abort();
    return s[i];
}

static int parse(int i, const char *text, const char **why)
{
    return sdp_parse(sess(i), text, strlen(text), why);
}

/* A minimal valid SDP followed by `extra`, in a static buffer. */
static const char *with(const char *extra)
{
    static char buf[20000];
    snprintf(buf, sizeof buf,
             "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
             "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:0\r\n%s",
             extra);
    return buf;
}

static const struct sdp_codec *codec(const struct sdp_media *m, uint8_t pt)
{
    for (uint8_t i = 0; i < m->n_codecs; i++)
        if (m->codecs[i].pt == pt)
            return &m->codecs[i];
    return NULL;
}

TEST(sdp_parse_reads_chromium_offer_session)
{
    const char *why = "unset";
    ASSERT_EQ(0, parse(0, chromium_offer, &why));
    ASSERT(why == NULL);
    struct sdp_session *s = sess(0);
    ASSERT(s->origin_session_id == 2922862145390190768ULL);
    ASSERT_EQ(2, s->origin_version);
    ASSERT_STR_EQ("0 1 2", s->bundle);
    ASSERT(!s->ice_lite);
    ASSERT_EQ(3, s->n_media);
    ASSERT_EQ(SDP_KIND_AUDIO, s->media[0].kind);
    ASSERT_EQ(SDP_KIND_VIDEO, s->media[1].kind);
    ASSERT_EQ(SDP_KIND_APPLICATION, s->media[2].kind);
    ASSERT_STR_EQ("2", s->media[2].mid);
    ASSERT_STR_EQ("UDP/DTLS/SCTP", s->media[2].proto);
    ASSERT_STR_EQ("5000", s->media[2].sctp_port);
    ASSERT_EQ(0, s->media[2].n_codecs);
}

TEST(sdp_parse_reads_chromium_audio_section)
{
    ASSERT_EQ(0, parse(0, chromium_offer, NULL));
    const struct sdp_media *m = &sess(0)->media[0];
    const char *alg;
    ASSERT_EQ(39694, m->port);
    ASSERT_STR_EQ("UDP/TLS/RTP/SAVPF", m->proto);
    ASSERT_STR_EQ("0", m->mid);
    ASSERT_EQ(SDP_SENDONLY, m->direction);
    ASSERT(m->rtcp_mux && m->rtcp_rsize);
    ASSERT_STR_EQ("KBkp", sdp_media_ice_ufrag(sess(0), m));
    ASSERT_STR_EQ("rNU8hUjx57NUPjrmh6WF+OdR", sdp_media_ice_pwd(sess(0), m));
    ASSERT(strncmp("E6:99:CB", sdp_media_fingerprint(sess(0), m, &alg), 8) == 0);
    ASSERT_STR_EQ("sha-256", alg);
    ASSERT_EQ(SDP_SETUP_ACTPASS, sdp_media_setup(sess(0), m));
    ASSERT_EQ(8, m->n_codecs);
    const struct sdp_codec *opus = codec(m, 111);
    ASSERT(opus != NULL);
    ASSERT_STR_EQ("opus", opus->name);
    ASSERT_EQ(48000, opus->clock_rate);
    ASSERT_EQ(2, opus->channels);
    ASSERT_STR_EQ("minptime=10;useinbandfec=1", opus->fmtp);
    ASSERT_EQ(-1, opus->apt);
    ASSERT_EQ(SDP_FB_TRANSPORT_CC, opus->feedback);
    ASSERT_STR_EQ("111/111", codec(m, 63)->fmtp);
    ASSERT_EQ(1, sdp_media_extmap_id(m, SDP_URI_AUDIO_LEVEL));
    ASSERT_EQ(3, sdp_media_extmap_id(m, SDP_URI_TRANSPORT_CC));
    ASSERT_EQ(4, sdp_media_extmap_id(m, SDP_URI_MID));
    ASSERT_EQ(0, sdp_media_extmap_id(m, SDP_URI_RID));
    ASSERT_EQ(1, m->n_ssrcs);
    ASSERT(m->ssrcs[0].ssrc == 4053063840u);
    ASSERT_STR_EQ("TyThukZeW9kGc/A+", m->ssrcs[0].cname);
    ASSERT_STR_EQ("bfda0a54-3330-4ea6-ac99-12d90159cc7e 16bdf91e-e8fe-4ec5-aef0-e31181395ebf",
                  m->ssrcs[0].msid);
    ASSERT_STR_EQ(m->ssrcs[0].msid, m->msid);
    ASSERT_EQ(2, m->n_candidates);
    ASSERT_STR_EQ("3483339034", m->candidates[0].foundation);
    ASSERT_STR_EQ("udp", m->candidates[0].transport);
    ASSERT(m->candidates[0].priority == 2122260223u);
    ASSERT_STR_EQ("127.0.0.1", m->candidates[0].address);
    ASSERT_EQ(39694, m->candidates[0].port);
    ASSERT_STR_EQ("host", m->candidates[0].type);
    ASSERT_STR_EQ("tcp", m->candidates[1].transport);
    ASSERT(!m->end_of_candidates);
}

TEST(sdp_parse_reads_chromium_video_section)
{
    ASSERT_EQ(0, parse(0, chromium_offer, NULL));
    const struct sdp_media *m = &sess(0)->media[1];
    ASSERT_EQ(23, m->n_codecs);
    ASSERT_EQ(96, m->codecs[0].pt);
    ASSERT_STR_EQ("VP8", m->codecs[0].name);
    ASSERT_EQ(90000, m->codecs[0].clock_rate);
    ASSERT_EQ(0, m->codecs[0].channels);
    ASSERT_EQ(SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR | SDP_FB_GOOG_REMB |
                  SDP_FB_TRANSPORT_CC,
              m->codecs[0].feedback);
    ASSERT_STR_EQ("rtx", codec(m, 97)->name);
    ASSERT_EQ(96, codec(m, 97)->apt);
    ASSERT_EQ(45, codec(m, 46)->apt);
    ASSERT_STR_EQ("ulpfec", codec(m, 120)->name);
    ASSERT_EQ(-1, codec(m, 120)->apt);
    ASSERT_STR_EQ("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
                  codec(m, 102)->fmtp);
    ASSERT_EQ(11, m->n_extmaps);
    ASSERT_EQ(14, m->extmaps[0].id);
    ASSERT_EQ(10, sdp_media_extmap_id(m, SDP_URI_RID));
    ASSERT_EQ(11, sdp_media_extmap_id(m, SDP_URI_REPAIRED_RID));
    ASSERT_EQ(2, sdp_media_extmap_id(m, SDP_URI_ABS_SEND_TIME));
    ASSERT_EQ(1, m->n_ssrc_groups);
    ASSERT_STR_EQ("FID", m->ssrc_groups[0].semantics);
    ASSERT_EQ(2, m->ssrc_groups[0].n);
    ASSERT(m->ssrc_groups[0].ssrcs[0] == 1641040181u);
    ASSERT(m->ssrc_groups[0].ssrcs[1] == 805207586u);
    ASSERT_EQ(2, m->n_ssrcs);
    ASSERT(m->ssrcs[1].ssrc == 805207586u);
}

TEST(sdp_parse_reads_chromium_simulcast_rids)
{
    ASSERT_EQ(0, parse(0, chromium_simulcast_offer, NULL));
    const struct sdp_media *m = &sess(0)->media[1];
    ASSERT_STR_EQ("0 1", sess(0)->bundle);
    ASSERT_EQ(9, m->port);
    ASSERT_EQ(3, m->n_rids);
    ASSERT_STR_EQ("q", m->rids[0].id);
    ASSERT_STR_EQ("f", m->rids[2].id);
    ASSERT(m->rids[0].send && m->rids[1].send && m->rids[2].send);
    ASSERT_STR_EQ("send q;h;f", m->simulcast);
    ASSERT_EQ(0, m->n_ssrcs);
    ASSERT_EQ(13, m->n_extmaps);
    ASSERT_EQ(4, m->n_codecs);
}

TEST(sdp_parse_reads_aiortc_offer)
{
    ASSERT_EQ(0, parse(0, aiortc_offer, NULL));
    struct sdp_session *s = sess(0);
    ASSERT_EQ(2, s->n_media);
    ASSERT(s->origin_session_id == 4004395508u);
    const struct sdp_media *a = &s->media[0], *v = &s->media[1];
    ASSERT_STR_EQ("TpJ4", sdp_media_ice_ufrag(s, a));
    ASSERT_STR_EQ("PXBM", sdp_media_ice_ufrag(s, v));
    ASSERT_STR_EQ("opus", codec(a, 96)->name);
    ASSERT_EQ(2, sdp_media_extmap_id(a, SDP_URI_AUDIO_LEVEL));
    ASSERT_EQ(2, sdp_media_extmap_id(v, SDP_URI_ABS_SEND_TIME));
    ASSERT_EQ(0, sdp_media_extmap_id(v, SDP_URI_TRANSPORT_CC));
    ASSERT_EQ(98, codec(v, 98)->pt);
    ASSERT_EQ(97, codec(v, 98)->apt);
    ASSERT_EQ(SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_GOOG_REMB, codec(v, 97)->feedback);
    ASSERT(a->end_of_candidates && v->end_of_candidates);
    ASSERT_EQ(1, v->n_candidates);
    ASSERT_STR_EQ("16572de626da4e5384a0ce2d0d93678a", v->candidates[0].foundation);
    ASSERT(v->candidates[0].priority == 2130706431u);
}

TEST(sdp_parse_accepts_lf_line_ends_like_crlf)
{
    static char lf[sizeof chromium_offer];
    size_t n = 0;
    for (const char *p = chromium_offer; *p; p++)
        if (*p != '\r')
            lf[n++] = *p;
    ASSERT_EQ(0, parse(0, chromium_offer, NULL));
    ASSERT_EQ(0, sdp_parse(sess(1), lf, n, NULL));
    ASSERT_MEM_EQ(sess(0), sess(1), sizeof(struct sdp_session));
    /* and a last line without any line end */
    ASSERT_EQ(0, sdp_parse(sess(1), lf, n - 1, NULL));
    ASSERT_MEM_EQ(sess(0), sess(1), sizeof(struct sdp_session));
}

TEST(sdp_parse_session_level_values_are_inherited)
{
    const char *text = "v=0\r\no=- 5 6 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n"
                       "a=ice-ufrag:sess\r\na=ice-pwd:sessionpasswordsessionpw\r\n"
                       "a=fingerprint:sha-256 AA:BB\r\na=setup:active\r\na=inactive\r\n"
                       "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a\r\n"
                       "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:b\r\na=ice-ufrag:med\r\n"
                       "a=fingerprint:sha-1 CC:DD\r\na=setup:passive\r\na=sendrecv\r\n";
    const char *alg;
    ASSERT_EQ(0, parse(0, text, NULL));
    struct sdp_session *s = sess(0);
    ASSERT(s->ice_lite);
    ASSERT_STR_EQ("sess", sdp_media_ice_ufrag(s, &s->media[0]));
    ASSERT_STR_EQ("med", sdp_media_ice_ufrag(s, &s->media[1]));
    ASSERT_STR_EQ("sessionpasswordsessionpw", sdp_media_ice_pwd(s, &s->media[1]));
    ASSERT_STR_EQ("AA:BB", sdp_media_fingerprint(s, &s->media[0], &alg));
    ASSERT_STR_EQ("sha-256", alg);
    ASSERT_STR_EQ("CC:DD", sdp_media_fingerprint(s, &s->media[1], &alg));
    ASSERT_STR_EQ("sha-1", alg);
    ASSERT_EQ(SDP_SETUP_ACTIVE, sdp_media_setup(s, &s->media[0]));
    ASSERT_EQ(SDP_SETUP_PASSIVE, sdp_media_setup(s, &s->media[1]));
    ASSERT_EQ(SDP_INACTIVE, s->media[0].direction); /* session-level default */
    ASSERT_EQ(SDP_SENDRECV, s->media[1].direction);
}

TEST(sdp_parse_prefers_sha256_fingerprint)
{
    ASSERT_EQ(0, parse(0, with("a=fingerprint:sha-1 11:22\r\na=fingerprint:sha-256 33:44\r\n"
                               "a=fingerprint:sha-512 55:66\r\n"),
                       NULL));
    ASSERT_STR_EQ("sha-256", sess(0)->media[0].fingerprint_alg);
    ASSERT_STR_EQ("33:44", sess(0)->media[0].fingerprint);
}

TEST(sdp_parse_skips_unknown_lines_and_attributes)
{
    ASSERT_EQ(0, parse(0, with("i=some info\r\nb=AS:500\r\na=x-unknown:whatever\r\n"
                               "a=ice-options:trickle\r\na=rtcp-xr:rcvr-rtt=all\r\n"
                               "a=extmap-allow-mixed\r\n\r\na=rtcp-mux\r\n"),
                       NULL));
    ASSERT(sess(0)->media[0].rtcp_mux);
    /* non-ASCII bytes in a line Sabaq ignores are fine */
    ASSERT_EQ(0, parse(0, "v=0\r\ns=\xd0\x9c\xd0\xb0\r\n", NULL));
}

TEST(sdp_parse_extmap_with_direction)
{
    ASSERT_EQ(0, parse(0, with("a=extmap:4/sendonly " SDP_URI_MID "\r\n"
                               "a=extmap:200/recvonly " SDP_URI_TRANSPORT_CC " attr\r\n"),
                       NULL));
    ASSERT_EQ(4, sdp_media_extmap_id(&sess(0)->media[0], SDP_URI_MID));
    ASSERT_EQ(200, sdp_media_extmap_id(&sess(0)->media[0], SDP_URI_TRANSPORT_CC));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, with("a=extmap:4/sideways " SDP_URI_MID "\r\n"), NULL));
    ASSERT_EQ(-SQ_EMALFORMED,
              parse(0, with("a=extmap:4 " SDP_URI_MID "\r\na=extmap:4 " SDP_URI_RID "\r\n"), NULL));
}

TEST(sdp_parse_rtcp_fb_wildcard_applies_to_all_codecs)
{
    ASSERT_EQ(0, parse(0, with("a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\n"
                               "a=rtcp-fb:* nack\r\na=rtcp-fb:96 nack pli\r\n"
                               "a=rtcp-fb:96 ccm tmmbr\r\na=rtcp-fb:55 goog-remb\r\n"),
                       NULL));
    ASSERT_EQ(SDP_FB_NACK | SDP_FB_NACK_PLI, sess(0)->media[0].codecs[0].feedback);
    ASSERT_EQ(SDP_FB_NACK, sess(0)->media[0].codecs[1].feedback);
}

TEST(sdp_parse_fmtp_apt_sets_codec_apt)
{
    ASSERT_EQ(0, parse(0, with("a=rtpmap:97 rtx/90000\r\na=fmtp:97 rtx-time=3000; apt=96\r\n"),
                       NULL));
    ASSERT_EQ(96, sess(0)->media[0].codecs[1].apt);
    ASSERT_STR_EQ("rtx-time=3000; apt=96", sess(0)->media[0].codecs[1].fmtp);
    ASSERT_EQ(-1, sess(0)->media[0].codecs[0].apt);
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, with("a=fmtp:97 apt=128\r\n"), NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, with("a=fmtp:97 apt=x\r\n"), NULL));
}

TEST(sdp_parse_ignores_attributes_for_unlisted_payload_types)
{
    ASSERT_EQ(0, parse(0, with("a=rtpmap:100 H264/90000\r\na=fmtp:100 x=1\r\n"), NULL));
    ASSERT_EQ(2, sess(0)->media[0].n_codecs);
    ASSERT_STR_EQ("", sess(0)->media[0].codecs[0].name);
}

TEST(sdp_parse_requires_v0_first)
{
    const char *why;
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "", &why));
    ASSERT(why != NULL);
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "o=- 1 1 IN IP4 0.0.0.0\r\nv=0\r\n", NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=1\r\n", NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "\r\nv=0\r\n", NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=0\r\nv=0\r\n", NULL));
    ASSERT_EQ(0, parse(0, "v=0\r\n", NULL));
    ASSERT_EQ(0, parse(0, "v=0", NULL));
}

TEST(sdp_parse_rejects_control_bytes_and_nul)
{
    static const char nul[] = "v=0\r\ns=a\0b\r\n";
    const char *why;
    ASSERT_EQ(-SQ_EMALFORMED, sdp_parse(sess(0), nul, sizeof nul - 1, &why));
    ASSERT_STR_EQ("control character in a line", why);
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=0\r\ns=a\rb\r\n", NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=0\r\ns=a\tb\r\n", NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=0\r\r\n", NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=0\r\nA=x\r\n", NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=0\r\na\r\n", NULL));
}

TEST(sdp_parse_rejects_bad_numbers)
{
    static const char *const bad[] = {
        "a=rtpmap:128 VP8/90000\r\n",  "a=rtpmap:96 VP8/0\r\n",
        "a=rtpmap:96 VP8/4294967296\r\n", "a=rtpmap:96 VP8/-1\r\n",
        "a=rtpmap:96 VP8\r\n",         "a=rtpmap:96 opus/48000/0\r\n",
        "a=rtpmap:96 opus/48000/256\r\n", "a=rtpmap:+96 VP8/90000\r\n",
        "a=extmap:0 urn:x\r\n",        "a=extmap:256 urn:x\r\n",
        "a=extmap:1e3 urn:x\r\n",      "a=ssrc:4294967296 cname:x\r\n",
        "a=ssrc:-1 cname:x\r\n",       "a=ssrc-group:FID 1 99999999999999999999999\r\n",
        "a=rtcp-fb:300 nack\r\n",      "a=candidate:1 1 udp 1 1.2.3.4 65536 typ host\r\n",
        "a=candidate:1 0 udp 1 1.2.3.4 5 typ host\r\n",
        "a=candidate:1 1 udp 4294967296 1.2.3.4 5 typ host\r\n",
        "a=candidate:1 1 udp 1 1.2.3.4 5 type host\r\n",
        "a=sctp-port:70000\r\n",       "a=setup:holdconn\r\n",
        "a=rid:q sideways\r\n",        "a=rid:q!x send\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        int rc = parse(0, with(bad[i]), &why);
        if (rc != -SQ_EMALFORMED || !why)
            test_fail(__FILE__, __LINE__, "accepted \"%s\" (%d)", bad[i], rc);
    }
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=0\r\nm=audio 65536 RTP/AVP 0\r\n", NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=0\r\nm=audio 9 RTP/AVP 128\r\n", NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=0\r\nm=audio 9 RTP/AVP 0 0\r\n", NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=0\r\nm=audio 9 RTP/AVP\r\n", NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=0\r\no=- x 1 IN IP4 0.0.0.0\r\n", NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=0\r\no=- 18446744073709551616 1 IN IP4 x\r\n", NULL));
    ASSERT_EQ(0, parse(0, "v=0\r\no=- 18446744073709551615 1 IN IP4 x\r\n", NULL));
    ASSERT(sess(0)->origin_session_id == UINT64_MAX);
}

TEST(sdp_parse_why_names_the_line)
{
    const char *why = NULL;
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, "v=0\r\nm=audio 70000 RTP/AVP 0\r\n", &why));
    ASSERT_STR_EQ("m= line: bad port", why);
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, with("a=mid:1\r\n"), &why));
    ASSERT_STR_EQ("a=mid: repeated in one m= section", why);
    ASSERT_EQ(-SQ_EMALFORMED,
              parse(0, with("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"), &why));
    ASSERT_STR_EQ("a=mid: duplicate mid", why);
    /* a failed parse leaves no half-filled session behind */
    ASSERT_EQ(0, sess(0)->n_media);
}

static const char *repeat_line(const char *line, int times)
{
    static char buf[16384];
    size_t n = 0, len = strlen(line);
    for (int i = 0; i < times && n + len + 16 < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, line, i + 1);
    buf[n] = '\0';
    return with(buf);
}

TEST(sdp_parse_refuses_counts_past_the_bounds)
{
    const char *why;
    ASSERT_EQ(0, parse(0, repeat_line("a=extmap:%d urn:x\r\n", 16), NULL));
    ASSERT_EQ(-SQ_ELIMIT, parse(0, repeat_line("a=extmap:%d urn:x\r\n", 17), &why));
    ASSERT_STR_EQ("a=extmap: too many", why);
    ASSERT_EQ(0, parse(0, repeat_line("a=ssrc:%d cname:x\r\n", 8), NULL));
    ASSERT_EQ(-SQ_ELIMIT, parse(0, repeat_line("a=ssrc:%d cname:x\r\n", 9), NULL));
    ASSERT_EQ(-SQ_ELIMIT, parse(0, repeat_line("a=ssrc-group:FID %d 2\r\n", 5), NULL));
    ASSERT_EQ(-SQ_ELIMIT, parse(0, with("a=ssrc-group:SIM 1 2 3 4 5\r\n"), NULL));
    ASSERT_EQ(0, parse(0, repeat_line("a=rid:r%d send\r\n", 4), NULL));
    ASSERT_EQ(-SQ_ELIMIT, parse(0, repeat_line("a=rid:r%d send\r\n", 5), NULL));
    ASSERT_EQ(-SQ_EMALFORMED, parse(0, with("a=rid:q send\r\na=rid:q recv\r\n"), NULL));
    /* candidates past the bound are dropped, not refused */
    ASSERT_EQ(0, parse(0, repeat_line("a=candidate:%d 1 udp 1 10.0.0.1 9 typ host\r\n", 9), NULL));
    ASSERT_EQ(SDP_MAX_CANDIDATES, sess(0)->media[0].n_candidates);
    ASSERT_STR_EQ("4", sess(0)->media[0].candidates[3].foundation);
}

TEST(sdp_parse_refuses_too_many_sections_and_keeps_first_payload_types)
{
    static char buf[16384];
    size_t n = (size_t)snprintf(buf, sizeof buf, "v=0\r\n");
    for (int i = 0; i < SDP_MAX_MEDIA; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "m=audio 9 RTP/AVP 0\r\na=mid:%d\r\n", i);
    ASSERT_EQ(0, sdp_parse(sess(0), buf, n, NULL));
    ASSERT_EQ(SDP_MAX_MEDIA, sess(0)->n_media);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "m=audio 9 RTP/AVP 0\r\n");
    ASSERT_EQ(-SQ_ELIMIT, sdp_parse(sess(0), buf, n, NULL));

    n = (size_t)snprintf(buf, sizeof buf, "v=0\r\nm=video 9 RTP/AVP");
    for (int i = 0; i < SDP_MAX_CODECS; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " %d", i);
    ASSERT_EQ(0, sdp_parse(sess(0), buf, n, NULL));
    /* Past the bound, later payload types are skipped, not an error: a
     * browser that offers more codecs still gets its Opus/VP8 answered. */
    n += (size_t)snprintf(buf + n, sizeof buf - n, " 100 101\r\na=rtpmap:100 VP8/90000\r\n");
    ASSERT_EQ(0, sdp_parse(sess(0), buf, n, NULL));
    ASSERT_EQ(SDP_MAX_CODECS, sess(0)->media[0].n_codecs);
    ASSERT_EQ(SDP_MAX_CODECS - 1, sess(0)->media[0].codecs[SDP_MAX_CODECS - 1].pt);
}

TEST(sdp_parse_refuses_text_over_the_limit)
{
    static char big[SDP_MAX_TEXT + 2];
    const char *why;
    memset(big, 'x', sizeof big);
    memcpy(big, "v=0\r\ni=", 7);
    ASSERT_EQ(-SQ_ELIMIT, sdp_parse(sess(0), big, SDP_MAX_TEXT + 1, &why));
    ASSERT_STR_EQ("SDP text too long", why);
    ASSERT_EQ(0, sdp_parse(sess(0), big, SDP_MAX_TEXT, NULL)); /* one long i= line is fine */
}

TEST(sdp_parse_refuses_overlong_fields)
{
    char line[600], val[400];
    struct {
        const char *fmt;
        size_t fits; /* longest value that is accepted */
    } cases[] = {
        {"a=ice-ufrag:%s\r\n", 256}, {"a=ice-pwd:%s\r\n", 256},
        {"a=msid:%s\r\n", 159},      {"a=fmtp:96 %s\r\n", 255},
        {"a=simulcast:%s\r\n", 127}, {"a=ssrc:1 cname:%s\r\n", 63},
        {"a=extmap:1 %s\r\n", 127},  {"a=rtpmap:96 %s/90000\r\n", 15},
        {"a=rid:%s send\r\n", 16},   {"a=fingerprint:sha-256 %s\r\n", 127},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t len = cases[i].fits; len <= cases[i].fits + 1; len++) {
            memset(val, 'A', len);
            val[len] = '\0';
            snprintf(line, sizeof line, cases[i].fmt, val);
            int rc = parse(0, with(line), NULL);
            if ((len == cases[i].fits) != (rc == 0))
                test_fail(__FILE__, __LINE__, "%s with %zu bytes: %d", cases[i].fmt, len, rc);
        }
    }
    ASSERT_EQ(-SQ_EMALFORMED,
              parse(0, "v=0\r\nm=audio 9 RTP/AVP 0\r\na=mid:0123456789abcdef0123456789abcdefX\r\n",
                    NULL));
    ASSERT_EQ(0, parse(0, "v=0\r\nm=audio 9 RTP/AVP 0\r\na=mid:0123456789abcdef0123456789abcdef\r\n",
                       NULL));
}

TEST(sdp_parse_survives_every_truncated_prefix)
{
    const char *offers[] = {chromium_offer, chromium_simulcast_offer, aiortc_offer};
    for (size_t k = 0; k < 3; k++) {
        size_t len = strlen(offers[k]);
        int failures = 0;
        for (size_t n = 0; n < len; n++) {
            const char *why = NULL;
            int rc = sdp_parse(sess(0), offers[k], n, &why);
            if (rc != 0 && rc != -SQ_EMALFORMED)
                test_fail(__FILE__, __LINE__, "prefix %zu: %d", n, rc);
            if (rc != 0 && !why)
                test_fail(__FILE__, __LINE__, "prefix %zu: no reason", n);
            failures += rc != 0;
        }
        ASSERT(failures > 0); /* e.g. cut inside "a=rtpmap:111 opus/" */
        ASSERT_EQ(-SQ_EMALFORMED, sdp_parse(sess(0), offers[k], 1, NULL));
    }
}

TEST(sdp_write_round_trips_parsed_offers)
{
    static char out[65536];
    const char *offers[] = {chromium_offer, chromium_simulcast_offer, aiortc_offer};
    for (size_t k = 0; k < 3; k++) {
        ASSERT_EQ(0, parse(0, offers[k], NULL));
        int n = sdp_write(sess(0), out, sizeof out);
        ASSERT(n > 0);
        ASSERT_EQ((size_t)n, strlen(out));
        ASSERT_EQ(0, sdp_parse(sess(1), out, (size_t)n, NULL));
        ASSERT_MEM_EQ(sess(0), sess(1), sizeof(struct sdp_session));
    }
}

TEST(sdp_write_uses_crlf_and_is_deterministic)
{
    static char a[65536], b[65536];
    ASSERT_EQ(0, parse(0, chromium_offer, NULL));
    int n = sdp_write(sess(0), a, sizeof a);
    ASSERT(n > 0);
    ASSERT_EQ(n, sdp_write(sess(0), b, sizeof b));
    ASSERT_MEM_EQ(a, b, (size_t)n);
    ASSERT(strncmp(a, "v=0\r\no=- 2922862145390190768 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", 59) == 0);
    for (int i = 0; i < n; i++)
        if (a[i] == '\n' && (i == 0 || a[i - 1] != '\r'))
            test_fail(__FILE__, __LINE__, "bare LF at %d", i);
    ASSERT(a[n - 2] == '\r' && a[n - 1] == '\n');
    ASSERT(strstr(a, "a=msid-semantic: WMS *\r\n") != NULL);
    ASSERT(strstr(a, "m=application 50653 UDP/DTLS/SCTP webrtc-datachannel\r\n") != NULL);
    ASSERT(strstr(a, "a=sctp-port:5000\r\n") != NULL);
}

TEST(sdp_write_reports_no_space)
{
    static char out[65536];
    ASSERT_EQ(0, parse(0, aiortc_offer, NULL));
    int n = sdp_write(sess(0), out, sizeof out);
    ASSERT(n > 0);
    ASSERT_EQ(n, sdp_write(sess(0), out, (size_t)n + 1));
    ASSERT_EQ(-SQ_ENOSPACE, sdp_write(sess(0), out, (size_t)n));
    ASSERT_EQ(-SQ_ENOSPACE, sdp_write(sess(0), out, 10));
    ASSERT_EQ(-SQ_ENOSPACE, sdp_write(sess(0), out, 0));
}

TEST(sdp_write_refuses_line_injection)
{
    static char out[4096];
    struct sdp_session *s = sess(0);
    memset(s, 0, sizeof *s);
    s->n_media = 1;
    s->media[0].kind = SDP_KIND_AUDIO;
    s->media[0].port = 9;
    strcpy(s->media[0].proto, "UDP/TLS/RTP/SAVPF");
    strcpy(s->media[0].mid, "0\r\na=setup:active");
    ASSERT_EQ(-SQ_EINVAL, sdp_write(s, out, sizeof out));
}

TEST(sdp_write_rejected_section_keeps_m_c_and_mid)
{
    static char out[4096];
    ASSERT_EQ(0, parse(0, with("a=rtpmap:96 VP8/90000\r\na=rtcp-mux\r\na=sendonly\r\n"), NULL));
    sess(0)->media[0].port = 0;
    int n = sdp_write(sess(0), out, sizeof out);
    ASSERT(n > 0);
    const char *m = strstr(out, "m=video");
    ASSERT(m != NULL);
    ASSERT_STR_EQ("m=video 0 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
                  "a=sendonly\r\n",
                  m);
}

/* Found by fuzz_sdp: a value written over a longer one must leave nothing
 * behind, or equal sessions stop comparing equal after a round trip. */
TEST(sdp_parse_repeated_values_replace_earlier_ones)
{
    ASSERT_EQ(0, parse(0, with("a=ice-ufrag:longvalue\r\na=ice-ufrag:ab\r\n"
                               "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\na=fmtp:97 x=1\r\n"),
                       NULL));
    ASSERT_EQ(0, parse(1, with("a=ice-ufrag:ab\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 x=1\r\n"),
                       NULL));
    ASSERT_EQ(-1, sess(0)->media[0].codecs[1].apt);
    ASSERT_MEM_EQ(sess(0), sess(1), sizeof(struct sdp_session));
}
