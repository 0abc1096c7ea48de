/* Sabaq's answer to a WHEP viewer's offer (draft-ietf-wish-whep, RFC 3264,
 * JSEP RFC 8829), sans-IO. The viewer offers recvonly (or sendrecv) audio
 * and video; Sabaq answers sendonly on the first audio m= section with Opus
 * and the first video one with VP8 (+ RTX when offered), in the viewer's own
 * payload types and header extension ids (RFC 3264 6.1: the offerer's
 * numbers say what it expects to receive), ICE-lite, a=setup:passive,
 * BUNDLE. Every other m= section is rejected (port 0). The outgoing tracks
 * it fills are what the consumers are made with (has_own_numbers set). */
#ifndef SIGNALING_WHEP_SDP_H
#define SIGNALING_WHEP_SDP_H

#include <stdbool.h>
#include <stdint.h>

#include "sabaq/sdp.h"

/* What the answer needs besides the offer: Sabaq's ICE credentials,
 * fingerprint and candidates, the o= session id, the SSRCs to send on and
 * the msid stream/cname naming the lesson. */
struct whep_sdp_params {
    const struct sdp_local *local;
    uint64_t session_id;
    uint32_t audio_ssrc, video_ssrc, video_rtx_ssrc;
    const char *stream_id;
};

/* Fills answer, and *audio / *video with their `active` set when that kind
 * is sent. 0, or a negative code with a static reason in *why (for a 400):
 * an m= section without mid, rtcp-mux, ICE credentials or fingerprint, a
 * DTLS role other than actpass/active, media not bundled, or nothing Sabaq
 * can send (no recvonly Opus or VP8). */
int whep_sdp_answer(const struct sdp_session *offer, const struct whep_sdp_params *params,
                    struct sdp_session *answer, struct sdp_outgoing *audio,
                    struct sdp_outgoing *video, const char **why);

#endif
