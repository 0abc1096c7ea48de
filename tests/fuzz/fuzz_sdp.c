/* libFuzzer target for the SDP module: sdp_parse on hostile text, then what
 * the server does with an offer (sdp_answer_publish, sdp_write into a bounded
 * buffer). Two properties are checked beyond "no crash":
 *   - the answer Sabaq writes always parses again;
 *   - a parsed session written and parsed again is unchanged, where the
 *     writer keeps everything (no refused m= section, every ssrc named). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "sabaq/sdp.h"

static const struct sdp_local local = {
    .ice_ufrag = "fuzz",
    .ice_pwd = "fuzzpasswordfuzzpassword",
    .fingerprint = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                   "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
    .n_candidates = 1,
    .candidates = {{"1", 1, "udp", 2130706431, "127.0.0.1", 40999, "host"}},
};

static bool writer_keeps_everything(const struct sdp_session *s)
{
    for (uint8_t i = 0; i < s->n_media; i++) {
        const struct sdp_media *m = &s->media[i];
        if (m->port == 0)
            return false;
        for (uint8_t k = 0; k < m->n_ssrcs; k++)
            if (!m->ssrcs[k].cname[0] && !m->ssrcs[k].msid[0])
                return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sdp_session *offer, *answer, *again;
    static char *text;
    static struct sdp_track tracks[SDP_MAX_MEDIA];
    const size_t cap = 1 << 20;
    size_t n_tracks;
    const char *why;
    if (!offer) {
        offer = malloc(sizeof *offer);
        answer = malloc(sizeof *answer);
        again = malloc(sizeof *again);
        text = malloc(cap);
        if (!offer || !answer || !again || !text)
            abort();
    }
    if (sdp_parse(offer, (const char *)data, size, &why) != 0) {
        if (!why)
            abort();
        return 0;
    }

    int n = sdp_write(offer, text, cap);
    if (n >= 0 && (size_t)n <= SDP_MAX_TEXT && writer_keeps_everything(offer)) {
        if (sdp_parse(again, text, (size_t)n, &why) != 0 ||
            memcmp(offer, again, sizeof *offer) != 0)
            abort();
    }

    if (sdp_answer_publish(offer, &local, answer, tracks, SDP_MAX_MEDIA, &n_tracks, &why) == 0) {
        if (n_tracks > SDP_MAX_MEDIA)
            abort();
        n = sdp_write(answer, text, cap);
        if (n < 0 || sdp_parse(again, text, (size_t)n, &why) != 0)
            abort();
        if (again->n_media != answer->n_media)
            abort();
    } else if (!why) {
        abort();
    }
    sdp_check_subscribe_answer(offer, offer, &why);
    return 0;
}
