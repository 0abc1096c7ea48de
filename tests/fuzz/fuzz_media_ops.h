/* The fuzz targets' media plane: accepts every command and announces one
 * loopback candidate, so the signaling logic runs its full paths without
 * sockets or a worker thread. Included by each target that needs it. */
#ifndef SABAQ_FUZZ_MEDIA_OPS_H
#define SABAQ_FUZZ_MEDIA_OPS_H

#include <string.h>

#include "signaling/media.h"

static const char *fp(void *arg)
{
    (void)arg;
    return "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
}

static size_t cands(void *arg, struct sdp_candidate *out, size_t cap)
{
    (void)arg;
    if (cap == 0)
        return 0;
    memset(out, 0, sizeof *out);
    strcpy(out->foundation, "1");
    out->component = 1;
    strcpy(out->transport, "udp");
    out->priority = 2130706431;
    strcpy(out->address, "127.0.0.1");
    out->port = 40000;
    strcpy(out->type, "host");
    return 1;
}

static int ok_tc(void *a, uint32_t i, const char *u, const char *p, const char *fa, const char *f)
{
    (void)a, (void)i, (void)u, (void)p, (void)fa, (void)f;
    return 0;
}
static int ok_id(void *a, uint32_t i) { (void)a, (void)i; return 0; }
static int ok_restart(void *a, uint32_t i, const char *u, const char *p)
{
    (void)a, (void)i, (void)u, (void)p;
    return 0;
}
static int ok_pc(void *a, uint32_t i, uint32_t t, const struct sdp_track *k)
{
    (void)a, (void)i, (void)t, (void)k;
    return 0;
}
static int ok_cc(void *a, uint32_t i, uint32_t t, uint32_t p, const struct sdp_outgoing *o)
{
    (void)a, (void)i, (void)t, (void)p, (void)o;
    return 0;
}
static int ok_pause(void *a, uint32_t i, bool p) { (void)a, (void)i, (void)p; return 0; }
static int ok_pair(void *a, uint32_t i, uint32_t p) { (void)a, (void)i, (void)p; return 0; }
static int ok_size(void *a, uint32_t i, uint16_t w, uint16_t h)
{
    (void)a, (void)i, (void)w, (void)h;
    return 0;
}
static int ok_rec(void *a, uint32_t i, const char *d) { (void)a, (void)i, (void)d; return 0; }

static const struct media_ops accept_all = {
    .fingerprint = fp,
    .candidates = cands,
    .transport_create = ok_tc,
    .transport_close = ok_id,
    .transport_restart_ice = ok_restart,
    .producer_create = ok_pc,
    .producer_close = ok_id,
    .consumer_create = ok_cc,
    .consumer_close = ok_id,
    .producer_set_paused = ok_pause,
    .consumer_set_producer = ok_pair,
    .consumer_set_preferred_size = ok_size,
    .recording_start = ok_rec,
    .recording_stop = ok_id,
    .recording_set_video = ok_pair,
    .recording_add_audio = ok_pair,
    .recording_remove_audio = ok_pair,
};

#endif
