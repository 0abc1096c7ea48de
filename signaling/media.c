/* struct media_ops over the real media plane (include/sabaq/sfu.h). */
#include "media.h"

#include "sabaq/sfu.h"

static const char *fingerprint(void *arg) { return sfu_fingerprint(arg); }

static size_t candidates(void *arg, struct sdp_candidate *out, size_t cap)
{
    return sfu_candidates(arg, out, cap);
}

static int transport_create(void *arg, uint32_t id, const char *ufrag, const char *pwd,
                            const char *fp_alg, const char *fp)
{
    return sfu_transport_create(arg, id, ufrag, pwd, fp_alg, fp);
}

static int transport_close(void *arg, uint32_t id) { return sfu_transport_close(arg, id); }

static int transport_restart_ice(void *arg, uint32_t id, const char *ufrag, const char *pwd)
{
    return sfu_transport_restart_ice(arg, id, ufrag, pwd);
}

static int producer_create(void *arg, uint32_t id, uint32_t transport_id,
                           const struct sdp_track *track)
{
    return sfu_producer_create(arg, id, transport_id, track);
}

static int producer_close(void *arg, uint32_t id) { return sfu_producer_close(arg, id); }

static int consumer_create(void *arg, uint32_t id, uint32_t transport_id, uint32_t producer_id,
                           const struct sdp_outgoing *out)
{
    return sfu_consumer_create(arg, id, transport_id, producer_id, out);
}

static int consumer_close(void *arg, uint32_t id) { return sfu_consumer_close(arg, id); }

static int producer_set_paused(void *arg, uint32_t id, bool paused)
{
    return sfu_producer_set_paused(arg, id, paused);
}

static int consumer_set_preferred_size(void *arg, uint32_t id, uint16_t width, uint16_t height)
{
    return sfu_consumer_set_preferred_size(arg, id, width, height);
}

static int consumer_set_producer(void *arg, uint32_t id, uint32_t producer_id)
{
    return sfu_consumer_set_producer(arg, id, producer_id);
}

static int recording_start(void *arg, uint32_t id, const char *dir_path)
{
    return sfu_recording_start(arg, id, dir_path);
}

static int recording_stop(void *arg, uint32_t id) { return sfu_recording_stop(arg, id); }

static int recording_set_video(void *arg, uint32_t id, uint32_t producer_id)
{
    return sfu_recording_set_video(arg, id, producer_id);
}

static int recording_add_audio(void *arg, uint32_t id, uint32_t producer_id)
{
    return sfu_recording_add_audio(arg, id, producer_id);
}

static int recording_remove_audio(void *arg, uint32_t id, uint32_t producer_id)
{
    return sfu_recording_remove_audio(arg, id, producer_id);
}

const struct media_ops media_sfu_ops = {
    .fingerprint = fingerprint,
    .candidates = candidates,
    .transport_create = transport_create,
    .transport_restart_ice = transport_restart_ice,
    .transport_close = transport_close,
    .producer_create = producer_create,
    .producer_close = producer_close,
    .consumer_create = consumer_create,
    .consumer_close = consumer_close,
    .producer_set_paused = producer_set_paused,
    .consumer_set_preferred_size = consumer_set_preferred_size,
    .consumer_set_producer = consumer_set_producer,
    .recording_start = recording_start,
    .recording_stop = recording_stop,
    .recording_set_video = recording_set_video,
    .recording_add_audio = recording_add_audio,
    .recording_remove_audio = recording_remove_audio,
};
