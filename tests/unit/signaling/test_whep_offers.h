/* A WHEP player's offer as aiortc 1.4 makes it (recvonly video then audio,
 * VP8 97 + RTX 98, H.264, Opus 96, mid ext 1, audio level ext 3 after the
 * TESTING.md patch), for the WHEP unit tests; test_whep_variant() edits it. */
#ifndef SABAQ_TEST_WHEP_OFFERS_H
#define SABAQ_TEST_WHEP_OFFERS_H

#include <stdlib.h>
#include <string.h>

static const char AIORTC_WHEP_OFFER[] =
    "v=0\r\n"
    "o=- 4004405446 4004405446 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1\r\n"
    "a=msid-semantic:WMS *\r\n"
    "m=video 59102 UDP/TLS/RTP/SAVPF 97 98 99 100 101 102\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "a=recvonly\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
    "a=mid:0\r\n"
    "a=msid:de477075-3b55-4e9d-a4cc-d5450b3558f5 277532b8-c1f1-45eb-95eb-fbb8980050a2\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=rtcp-mux\r\n"
    "a=ssrc-group:FID 4010071662 1585674836\r\n"
    "a=ssrc:4010071662 cname:5db0570e-84d3-4eac-966d-9412fa60a644\r\n"
    "a=ssrc:1585674836 cname:5db0570e-84d3-4eac-966d-9412fa60a644\r\n"
    "a=rtpmap:97 VP8/90000\r\n"
    "a=rtcp-fb:97 nack\r\n"
    "a=rtcp-fb:97 nack pli\r\n"
    "a=rtcp-fb:97 goog-remb\r\n"
    "a=rtpmap:98 rtx/90000\r\n"
    "a=fmtp:98 apt=97\r\n"
    "a=rtpmap:99 H264/90000\r\n"
    "a=rtcp-fb:99 nack\r\n"
    "a=rtcp-fb:99 nack pli\r\n"
    "a=rtcp-fb:99 goog-remb\r\n"
    "a=fmtp:99 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
    "a=rtpmap:100 rtx/90000\r\n"
    "a=fmtp:100 apt=99\r\n"
    "a=rtpmap:101 H264/90000\r\n"
    "a=rtcp-fb:101 nack\r\n"
    "a=rtcp-fb:101 nack pli\r\n"
    "a=rtcp-fb:101 goog-remb\r\n"
    "a=fmtp:101 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
    "a=rtpmap:102 rtx/90000\r\n"
    "a=fmtp:102 apt=101\r\n"
    "a=candidate:16572de626da4e5384a0ce2d0d93678a 1 udp 2130706431 127.0.0.1 59102 typ host\r\n"
    "a=end-of-candidates\r\n"
    "a=ice-ufrag:IetR\r\n"
    "a=ice-pwd:JhnScpFzI4JhWrTPUV1jRP\r\n"
    "a=fingerprint:sha-256 00:02:49:9C:4A:F2:75:41:41:5B:41:E3:43:B2:C1:B1:A4:0A:C1:4E:D2:6F:D9:5B:3E:6F:2F:C7:CA:E6:66:B8\r\n"
    "a=setup:actpass\r\n"
    "m=audio 34564 UDP/TLS/RTP/SAVPF 96 0 8\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "a=recvonly\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:3 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=mid:1\r\n"
    "a=msid:de477075-3b55-4e9d-a4cc-d5450b3558f5 abca38ed-0674-4653-8d42-081e95aa375f\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=rtcp-mux\r\n"
    "a=ssrc:4057242319 cname:5db0570e-84d3-4eac-966d-9412fa60a644\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=candidate:16572de626da4e5384a0ce2d0d93678a 1 udp 2130706431 127.0.0.1 34564 typ host\r\n"
    "a=end-of-candidates\r\n"
    "a=ice-ufrag:yle2\r\n"
    "a=ice-pwd:SmcrCGci2j5jFSSGIJoI2Z\r\n"
    "a=fingerprint:sha-256 00:02:49:9C:4A:F2:75:41:41:5B:41:E3:43:B2:C1:B1:A4:0A:C1:4E:D2:6F:D9:5B:3E:6F:2F:C7:CA:E6:66:B8\r\n"
    "a=setup:actpass\r\n";

/* AIORTC_WHEP_OFFER with every `from` replaced by `to` (malloc'd). */
static inline char *test_whep_variant(const char *from, const char *to)
{
    const char *in = AIORTC_WHEP_OFFER;
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    for (const char *p = in; (p = strstr(p, from)); p += fl)
        n++;
    char *out = malloc(strlen(in) + n * tl + 1), *o = out;
    for (const char *p = in, *q; out; p = q + fl) {
        if (!(q = strstr(p, from))) {
            strcpy(o, p);
            break;
        }
        memcpy(o, p, (size_t)(q - p));
        o += q - p;
        memcpy(o, to, tl);
        o += tl;
    }
    return out;
}

#endif
