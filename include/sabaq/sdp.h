/* SDP (RFC 8866) as WebRTC uses it (RFC 8829 JSEP, unified plan, BUNDLE
 * RFC 9143, rtcp-mux, simulcast RFC 8853 / rid RFC 8851), in three parts:
 *   sdp_parse      text -> struct sdp_session (hostile input: bounded fields,
 *                  every line checked; unknown lines are skipped)
 *   sdp_write      struct sdp_session -> text
 *   negotiation    what Sabaq answers to a browser's publish offer, and the
 *                  offer it makes on a subscribe connection.
 * The caller owns the struct sdp_session (it is large: allocate it). */
#ifndef SABAQ_SDP_H
#define SABAQ_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/rtp.h"

#define SDP_MAX_MEDIA 64
#define SDP_MAX_CODECS 24
#define SDP_MAX_EXTMAPS 16
#define SDP_MAX_SSRCS 8
#define SDP_MAX_SSRC_GROUPS 4
#define SDP_MAX_RIDS 4
#define SDP_MAX_CANDIDATES 4
#define SDP_MAX_TEXT (256 * 1024)  /* offers larger than this are refused */

enum sdp_media_kind { SDP_KIND_AUDIO, SDP_KIND_VIDEO, SDP_KIND_APPLICATION, SDP_KIND_OTHER };
enum sdp_direction { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };
enum sdp_setup { SDP_SETUP_NONE, SDP_SETUP_ACTPASS, SDP_SETUP_ACTIVE, SDP_SETUP_PASSIVE };

/* rtcp-fb flags */
enum {
    SDP_FB_NACK = 1 << 0,
    SDP_FB_NACK_PLI = 1 << 1,
    SDP_FB_CCM_FIR = 1 << 2,
    SDP_FB_GOOG_REMB = 1 << 3,
    SDP_FB_TRANSPORT_CC = 1 << 4,
};

struct sdp_codec {
    uint8_t pt;
    char name[16];               /* "opus", "VP8", "rtx", ... as written */
    uint32_t clock_rate;
    uint8_t channels;            /* 0 when absent */
    char fmtp[256];              /* parameters after "a=fmtp:PT ", "" when none */
    int apt;                     /* rtx: associated payload type, -1 otherwise */
    uint32_t feedback;           /* SDP_FB_* */
};

struct sdp_extmap {
    uint8_t id;
    char uri[128];
};

struct sdp_ssrc {
    uint32_t ssrc;
    char cname[64];
    char msid[128];              /* "stream track" or "" */
};

struct sdp_ssrc_group {
    char semantics[8];           /* "FID", "SIM" */
    uint8_t n;
    uint32_t ssrcs[4];
};

struct sdp_rid {
    char id[17];
    bool send;                   /* "send" or "recv" */
};

struct sdp_candidate {
    char foundation[33];
    uint8_t component;
    char transport[8];           /* "udp" */
    uint32_t priority;
    char address[64];
    uint16_t port;
    char type[8];                /* "host" */
};

struct sdp_media {
    enum sdp_media_kind kind;
    uint16_t port;               /* 0 = rejected / stopped */
    char proto[32];              /* "UDP/TLS/RTP/SAVPF" */
    char mid[33];
    enum sdp_direction direction;
    bool rtcp_mux;
    bool rtcp_rsize;
    char msid[160];              /* a=msid value, "" when none */
    char ice_ufrag[257];         /* media level, "" to inherit the session's */
    char ice_pwd[257];
    char fingerprint_alg[16];
    char fingerprint[128];
    enum sdp_setup setup;
    uint8_t n_codecs;
    struct sdp_codec codecs[SDP_MAX_CODECS];
    uint8_t n_extmaps;
    struct sdp_extmap extmaps[SDP_MAX_EXTMAPS];
    uint8_t n_ssrcs;
    struct sdp_ssrc ssrcs[SDP_MAX_SSRCS];
    uint8_t n_ssrc_groups;
    struct sdp_ssrc_group ssrc_groups[SDP_MAX_SSRC_GROUPS];
    uint8_t n_rids;
    struct sdp_rid rids[SDP_MAX_RIDS];
    char simulcast[128];         /* a=simulcast value, "" when none */
    uint8_t n_candidates;
    struct sdp_candidate candidates[SDP_MAX_CANDIDATES];
    bool end_of_candidates;
    char sctp_port[8];           /* application m-line, kept to reject it cleanly */
};

struct sdp_session {
    uint64_t origin_session_id;
    uint64_t origin_version;
    char ice_ufrag[257];         /* session level; sdp_media_ice_ufrag() resolves */
    char ice_pwd[257];
    char fingerprint_alg[16];
    char fingerprint[128];
    enum sdp_setup setup;
    bool ice_lite;
    char bundle[SDP_MAX_MEDIA * 4]; /* "0 1 2" from a=group:BUNDLE, "" when none */
    uint8_t n_media;
    struct sdp_media media[SDP_MAX_MEDIA];
};

/* Parses `len` bytes of SDP (CRLF or LF). 0, -SQ_EMALFORMED (with a reason in
 * *why when non-NULL: a static string naming the line at fault) or
 * -SQ_ELIMIT when a bound above is exceeded. */
int sdp_parse(struct sdp_session *out, const char *text, size_t len, const char **why);

/* Writes the session as SDP text with CRLF line ends. Returns the length
 * (excluding the NUL it also writes) or -SQ_ENOSPACE. */
int sdp_write(const struct sdp_session *s, char *out, size_t cap);

/* Media-level value when set, else the session-level one. */
const char *sdp_media_ice_ufrag(const struct sdp_session *s, const struct sdp_media *m);
const char *sdp_media_ice_pwd(const struct sdp_session *s, const struct sdp_media *m);
const char *sdp_media_fingerprint(const struct sdp_session *s, const struct sdp_media *m,
                                  const char **alg);
enum sdp_setup sdp_media_setup(const struct sdp_session *s, const struct sdp_media *m);

/* Id of the extmap with this URI in m, 0 when absent. */
uint8_t sdp_media_extmap_id(const struct sdp_media *m, const char *uri);

#define SDP_URI_MID "urn:ietf:params:rtp-hdrext:sdes:mid"
#define SDP_URI_RID "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
#define SDP_URI_REPAIRED_RID "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
#define SDP_URI_AUDIO_LEVEL "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
#define SDP_URI_ABS_SEND_TIME "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define SDP_URI_TRANSPORT_CC \
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

/* ---- negotiation ------------------------------------------------------- */

/* What Sabaq puts in every SDP it writes about itself. */
struct sdp_local {
    char ice_ufrag[33];
    char ice_pwd[65];
    char fingerprint[128];       /* sha-256, "AB:CD:..." upper-case hex */
    uint8_t n_candidates;
    struct sdp_candidate candidates[SDP_MAX_CANDIDATES];
};

/* The codec of an accepted track. UNSET (a zeroed track) reads as Opus for
 * audio and VP8 for video, as before H.264 was accepted. */
enum sdp_codec_id { SDP_CODEC_UNSET, SDP_CODEC_OPUS, SDP_CODEC_VP8, SDP_CODEC_H264 };

/* One track a publisher offered and Sabaq accepted (an m-line). */
struct sdp_track {
    char mid[33];
    enum sdp_media_kind kind;
    enum sdp_codec_id codec;
    uint8_t payload_type;        /* Opus, VP8 or H.264, as numbered in the offer */
    uint8_t rtx_payload_type;    /* 0 when no RTX */
    uint32_t clock_rate;
    uint32_t ssrc;               /* from a=ssrc, 0 when it must be learnt from mid/rid */
    uint32_t rtx_ssrc;           /* from a=ssrc-group:FID, 0 when absent */
    uint8_t n_rids;              /* simulcast layers offered (parsed now, used later) */
    struct sdp_rid rids[SDP_MAX_RIDS];
    struct rtp_ext_ids ext;      /* ids as numbered in the offer (and so in the answer) */
    uint32_t feedback;           /* SDP_FB_* accepted */
    char msid[160];
};

/* Answers a publish offer: accepts at most one Opus (with useinbandfec=1) and
 * one video codec with its RTX per m-line: VP8 whenever offered (browsers,
 * simulcast), else H.264 in packetization-mode 1 (OBS and other WHIP
 * encoders), constrained baseline preferred, then baseline, main, others,
 * answered with the offer's own fmtp. An H.264 simulcast offer gets one
 * layer: the first rid of its a=simulcast send list (RFC 8853: the most
 * preferred). Also the header extensions Sabaq understands,
 * a=setup:passive, ice-lite, BUNDLE of the accepted m-lines, rtcp-mux
 * required. Rejects other m-lines (port 0) and sends nothing back
 * (a=recvonly). Fills tracks[] with what was accepted (*n_tracks <= cap).
 * 0 or a negative code with a static reason in *why. */
int sdp_answer_publish(const struct sdp_session *offer, const struct sdp_local *local,
                       struct sdp_session *answer, struct sdp_track *tracks, size_t cap,
                       size_t *n_tracks, const char **why);

#define SDP_PT_MAP_MAX 4

/* One outgoing track on a subscribe connection. */
struct sdp_outgoing {
    char mid[33];
    enum sdp_media_kind kind;
    bool active;                 /* false: the m-line stays, a=inactive, no ssrc */
    uint32_t ssrc;
    uint32_t rtx_ssrc;           /* video only */
    char cname[64];
    char stream_id[64];          /* msid stream: the participant id, so the page can group */
    char track_id[64];
    /* When the subscriber was the offerer (WHEP), the numbers its offer
     * chose: header extension ids (0: not negotiated, not sent), and its
     * payload type for each of Sabaq's SDP_SUB_PT_* it takes (one not in
     * the map goes out as Sabaq's, which it drops). Unset, Sabaq's SDP_SUB_*
     * numbers below are used throughout. */
    bool has_own_numbers;
    uint8_t ext_mid, ext_audio_level, ext_transport_cc;
    uint8_t n_pt_map;
    struct sdp_pt_pair { uint8_t sabaq, own; } pt_map[SDP_PT_MAP_MAX];
};

/* Sabaq's fixed payload types and extension ids on subscribe connections.
 * Every video m-line offers VP8 and H.264, each with its RTX: a consumer
 * sends the payload type of its source's codec (sdp_sub_payload_type), so
 * a slot can move between a VP8 and an H.264 source without renegotiation. */
#define SDP_SUB_PT_OPUS 111
#define SDP_SUB_PT_VP8 96
#define SDP_SUB_PT_RTX 97
#define SDP_SUB_PT_H264 102
#define SDP_SUB_PT_H264_RTX 103
#define SDP_SUB_H264_FMTP "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
#define SDP_SUB_EXT_MID 1
#define SDP_SUB_EXT_AUDIO_LEVEL 2
#define SDP_SUB_EXT_ABS_SEND_TIME 3
#define SDP_SUB_EXT_TRANSPORT_CC 4

/* The subscribe payload type for a source of this kind and codec, and the
 * RTX payload type that repairs it (0 for audio: no RTX). */
static inline uint8_t sdp_sub_payload_type(enum sdp_media_kind kind, enum sdp_codec_id codec)
{
    if (kind != SDP_KIND_VIDEO)
        return SDP_SUB_PT_OPUS;
    return codec == SDP_CODEC_H264 ? SDP_SUB_PT_H264 : SDP_SUB_PT_VP8;
}

static inline uint8_t sdp_sub_rtx_payload_type(uint8_t payload_type)
{
    return payload_type == SDP_SUB_PT_H264 ? SDP_SUB_PT_H264_RTX
           : payload_type == SDP_SUB_PT_VP8 ? SDP_SUB_PT_RTX
                                            : 0;
}

/* Writes Sabaq's offer for a subscribe connection: one sendonly m-line per
 * outgoing track (inactive ones kept in place so m-line order never changes),
 * a=setup:actpass, ice-lite, BUNDLE, rtcp-mux, Opus, VP8 + RTX and H.264 +
 * RTX (SDP_SUB_H264_FMTP) with the PTs above.
 * `version` becomes the o= line's session version. */
/* What the publish answer and WHEP's (signaling/whep_sdp.c) both need. */

#define SDP_PROTO_SAVPF "UDP/TLS/RTP/SAVPF"
/* The fmtp of every Opus Sabaq answers: in-band FEC on. */
#define SDP_OPUS_FMTP "minptime=10;useinbandfec=1"
/* The RTCP feedback Sabaq takes for video (of what the peer offers). */
#define SDP_VIDEO_FEEDBACK \
    (SDP_FB_NACK | SDP_FB_NACK_PLI | SDP_FB_CCM_FIR | SDP_FB_GOOG_REMB | SDP_FB_TRANSPORT_CC)

/* The first codec of m named `name` (case-insensitive) at `rate` with that
 * many channels and that RTX apt, each of the two ignored when -1; NULL when
 * none. */
const struct sdp_codec *sdp_media_find_codec(const struct sdp_media *m, const char *name,
                                             uint32_t rate, int channels, int apt);
/* Whether a section carries audio or video over UDP/TLS/RTP/SAVPF and is
 * not stopped (port 0): one Sabaq may answer. */
bool sdp_media_carries_rtp(const struct sdp_media *m);
/* What Sabaq needs of an offered section it accepts: a=mid, a=rtcp-mux, ICE
 * credentials, a fingerprint and a=setup actpass or active (Sabaq is the
 * DTLS server). 0 or a negative code with a static reason in *why. */
int sdp_check_offer_media(const struct sdp_session *offer, const struct sdp_media *om,
                          const char **why);
/* am becomes om's rejection (RFC 3264 6): port 0, same kind, protocol, mid
 * and formats, inactive. */
void sdp_media_reject(const struct sdp_media *om, struct sdp_media *am);
/* Whether tok is one of the list's items, separated by any of seps (" "
 * for a=group:BUNDLE). */
bool sdp_list_has(const char *list, const char *tok, const char *seps);

int sdp_offer_subscribe(const struct sdp_local *local, const struct sdp_outgoing *tracks,
                        size_t n, uint64_t session_id, uint64_t version, struct sdp_session *offer);

/* Checks a browser's answer to a subscribe offer: same number of m-lines,
 * a=setup:active (Sabaq stays DTLS server), a fingerprint and ICE credentials.
 * 0 or a negative code with a static reason in *why. */
int sdp_check_subscribe_answer(const struct sdp_session *offer, const struct sdp_session *answer,
                               const char **why);

/* Whether an answered m= section kept payload type `pt` (say
 * SDP_SUB_PT_H264: a browser without an H.264 decoder leaves it out, and an
 * H.264 source then cannot be shown to it). False for a refused section. */
bool sdp_media_has_payload_type(const struct sdp_media *m, uint8_t pt);

#endif
