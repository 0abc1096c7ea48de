/* The media plane's control-plane API (include/sabaq/sfu.h): start-up (SRTP
 * library, DTLS certificate, the UDP socket, the worker thread), host
 * candidates, and commands that are copied into the worker's queue. Nothing
 * here waits for the worker: results come back as events. */
#include "sabaq/sfu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/dtls.h"
#include "sabaq/error.h"
#include "sabaq/srtp_session.h"
#include "io/cmd_queue.h"
#include "io/udp.h"
#include "io/worker.h"
#include "record/recorder.h"

/* Events are rare (a few per peer connection) but must not be lost while the
 * control thread is busy: room for every transport of a large lesson. */
#define EVENT_QUEUE_CAP 4096
#define DEFAULT_CONSENT_TIMEOUT_MS 30000
/* RFC 8445 sec. 5.1.2.1 with type preference 126 (host), local preference
 * 65535 and component 1; each further address gets one less. */
#define HOST_PRIORITY 2130706431u
#define ANNOUNCE_MAX 63 /* struct sdp_candidate.address */

struct sfu {
    struct dtls_cert *cert;      /* owned; immutable once made, shared by the worker */
    struct worker *worker;       /* owned */
    struct recorder *recorder;   /* owned: the recording thread and its rings */
    struct cmd_queue events;     /* worker -> control */
    uint16_t port;
    size_t n_announce;
    char announce[SDP_MAX_CANDIDATES][ANNOUNCE_MAX + 1];
};

static bool copy_announce(struct sfu *s, const struct sfu_config *cfg)
{
    for (size_t i = 0; i < SDP_MAX_CANDIDATES && cfg->announce[i]; i++) {
        size_t len = strlen(cfg->announce[i]);
        if (len == 0 || len > ANNOUNCE_MAX) {
            fprintf(stderr, "sabaq: announce address \"%s\" is empty or too long\n",
                    cfg->announce[i]);
            return false;
        }
        memcpy(s->announce[i], cfg->announce[i], len + 1);
        s->n_announce = i + 1;
    }
    return true;
}

/* Recorder callbacks, on the recorder thread. With one worker every
 * producer lives on it; with several, send to the one that holds it. */
static void recorder_tap_cb(void *arg, uint32_t producer_id, bool on)
{
    struct sfu *s = arg;
    struct worker_cmd c = {.type = WORKER_CMD_PRODUCER_RECORD, .id = producer_id,
                           .is_recorded = on};
    if (worker_submit(s->worker, &c) != 0)
        fprintf(stderr, "sabaq: recorder: worker queue full, producer %u not %s\n",
                (unsigned)producer_id, on ? "tapped" : "untapped");
}

static void recorder_keyframe_cb(void *arg, uint32_t producer_id)
{
    struct sfu *s = arg;
    struct worker_cmd c = {.type = WORKER_CMD_PRODUCER_REQUEST_KEYFRAME, .id = producer_id};
    worker_submit(s->worker, &c);
}

static struct recorder *open_recorder(struct sfu *s)
{
    struct recorder_config rc = {
        .n_taps = 1,
        .events = &s->events,
        .tap = recorder_tap_cb,
        .request_keyframe = recorder_keyframe_cb,
        .arg = s,
    };
    struct recorder *r = recorder_new(&rc);
    if (!r)
        fprintf(stderr, "sabaq: cannot create the recorder\n");
    return r;
}

static struct worker *open_worker(struct sfu *s, const struct sfu_config *cfg)
{
    const char *addr = cfg->bind_address ? cfg->bind_address : "::";
    int fd = udp_open(addr, cfg->port);
    if (fd < 0) {
        fprintf(stderr, "sabaq: cannot open UDP socket on %s port %u: %s\n", addr,
                (unsigned)cfg->port,
                fd == -SQ_EINVAL ? "not a numeric IPv4 or IPv6 address" : strerror(errno));
        return NULL;
    }
    struct worker_config wc = {
        .fd = fd,
        .cert = s->cert,
        .consent_timeout_ms =
            cfg->consent_timeout_ms ? cfg->consent_timeout_ms : DEFAULT_CONSENT_TIMEOUT_MS,
        .events = &s->events,
        .record_tap = recorder_tap(s->recorder, 0),
    };
    struct worker *w = worker_new(&wc);
    if (!w) {
        fprintf(stderr, "sabaq: cannot create the media worker\n");
        return NULL;
    }
    if (worker_start(w) != 0) {
        fprintf(stderr, "sabaq: cannot start the media worker thread\n");
        worker_free(w);
        return NULL;
    }
    return w;
}

struct sfu *sfu_start(const struct sfu_config *cfg)
{
    if (!cfg)
        return NULL;
    struct sfu *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (!copy_announce(s, cfg))
        goto fail_free;
    if (srtp_library_init() != 0) {
        fprintf(stderr, "sabaq: libsrtp2 initialisation failed\n");
        goto fail_free;
    }
    s->cert = dtls_cert_generate();
    if (!s->cert) {
        fprintf(stderr, "sabaq: cannot generate the DTLS certificate\n");
        goto fail_free;
    }
    if (cmd_queue_init(&s->events, sizeof(struct sfu_event), EVENT_QUEUE_CAP, cfg->wake,
                       cfg->wake_arg) != 0)
        goto fail_cert;
    s->recorder = open_recorder(s);
    if (!s->recorder)
        goto fail_events;
    s->worker = open_worker(s, cfg);
    if (!s->worker)
        goto fail_recorder;
    s->port = worker_port(s->worker);
    if (recorder_start(s->recorder) != 0) {
        fprintf(stderr, "sabaq: cannot start the recorder thread\n");
        worker_free(s->worker);
        goto fail_recorder;
    }
    return s;
fail_recorder:
    recorder_free(s->recorder);
fail_events:
    cmd_queue_destroy(&s->events);
fail_cert:
    dtls_cert_free(s->cert);
fail_free:
    free(s);
    return NULL;
}

void sfu_stop(struct sfu *s)
{
    if (!s)
        return;
    /* The recorder first: it finishes open files and may still ask the
     * worker to untap; the worker may still write into the recorder's rings
     * until it is freed, so the rings go last. */
    recorder_stop(s->recorder);
    worker_free(s->worker); /* stops and joins first: nothing pushes events after */
    recorder_free(s->recorder);
    cmd_queue_destroy(&s->events);
    dtls_cert_free(s->cert);
    free(s);
}

const char *sfu_fingerprint(const struct sfu *s)
{
    return dtls_cert_fingerprint(s->cert);
}

uint16_t sfu_port(const struct sfu *s)
{
    return s->port;
}

size_t sfu_candidates(const struct sfu *s, struct sdp_candidate *out, size_t cap)
{
    size_t n = s->n_announce < cap ? s->n_announce : cap;
    for (size_t i = 0; i < n; i++) {
        struct sdp_candidate *c = &out[i];
        memset(c, 0, sizeof(*c));
        strcpy(c->foundation, "1");
        c->component = 1;
        strcpy(c->transport, "udp");
        c->priority = HOST_PRIORITY - (uint32_t)i;
        memcpy(c->address, s->announce[i], sizeof(s->announce[i]));
        c->port = s->port;
        strcpy(c->type, "host");
    }
    return n;
}

/* Copies a NUL-terminated string of at most `max` bytes; false when too long. */
static bool copy_str(char *dst, size_t max, const char *src)
{
    size_t len = strnlen(src, max + 1);
    if (len > max)
        return false;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return true;
}

int sfu_transport_create(struct sfu *s, uint32_t transport_id, const char *local_ufrag,
                         const char *local_pwd, const char *remote_fingerprint_alg,
                         const char *remote_fingerprint)
{
    /* Checked here, not only on the worker, so the caller gets the error
     * now instead of a TRANSPORT_CLOSED event later. Without the peer's
     * fingerprint DTLS would accept nobody. */
    if (!s || !local_ufrag || !local_pwd || !remote_fingerprint_alg || !remote_fingerprint ||
        !*local_ufrag || !*local_pwd || !*remote_fingerprint_alg || !*remote_fingerprint)
        return -SQ_EINVAL;
    struct worker_cmd c = {.type = WORKER_CMD_TRANSPORT_CREATE, .id = transport_id};
    if (!copy_str(c.u.transport.ufrag, WORKER_UFRAG_MAX, local_ufrag) ||
        !copy_str(c.u.transport.pwd, WORKER_PWD_MAX, local_pwd) ||
        !copy_str(c.u.transport.fp_alg, WORKER_FP_ALG_MAX, remote_fingerprint_alg) ||
        !copy_str(c.u.transport.fp, WORKER_FP_MAX, remote_fingerprint))
        return -SQ_EINVAL;
    return worker_submit(s->worker, &c);
}

static int submit_id(struct sfu *s, enum worker_cmd_type type, uint32_t id)
{
    if (!s)
        return -SQ_EINVAL;
    struct worker_cmd c = {.type = type, .id = id};
    return worker_submit(s->worker, &c);
}

int sfu_transport_close(struct sfu *s, uint32_t transport_id)
{
    return submit_id(s, WORKER_CMD_TRANSPORT_CLOSE, transport_id);
}

int sfu_producer_create(struct sfu *s, uint32_t producer_id, uint32_t transport_id,
                        const struct sdp_track *track)
{
    if (!s || !track)
        return -SQ_EINVAL;
    struct worker_cmd c = {
        .type = WORKER_CMD_PRODUCER_CREATE, .id = producer_id, .transport_id = transport_id};
    c.u.track = *track;
    return worker_submit(s->worker, &c);
}

int sfu_producer_close(struct sfu *s, uint32_t producer_id)
{
    return submit_id(s, WORKER_CMD_PRODUCER_CLOSE, producer_id);
}

int sfu_producer_set_paused(struct sfu *s, uint32_t producer_id, bool paused)
{
    if (!s)
        return -SQ_EINVAL;
    struct worker_cmd c = {.type = WORKER_CMD_PRODUCER_SET_PAUSED, .id = producer_id,
                           .paused = paused};
    return worker_submit(s->worker, &c);
}

int sfu_producer_request_keyframe(struct sfu *s, uint32_t producer_id)
{
    return submit_id(s, WORKER_CMD_PRODUCER_REQUEST_KEYFRAME, producer_id);
}

int sfu_consumer_create(struct sfu *s, uint32_t consumer_id, uint32_t transport_id,
                        uint32_t producer_id, const struct sdp_outgoing *out)
{
    if (!s || !out)
        return -SQ_EINVAL;
    struct worker_cmd c = {.type = WORKER_CMD_CONSUMER_CREATE, .id = consumer_id,
                           .transport_id = transport_id, .producer_id = producer_id};
    c.u.outgoing = *out;
    return worker_submit(s->worker, &c);
}

int sfu_consumer_close(struct sfu *s, uint32_t consumer_id)
{
    return submit_id(s, WORKER_CMD_CONSUMER_CLOSE, consumer_id);
}

int sfu_consumer_set_producer(struct sfu *s, uint32_t consumer_id, uint32_t producer_id)
{
    if (!s)
        return -SQ_EINVAL;
    struct worker_cmd c = {.type = WORKER_CMD_CONSUMER_SET_PRODUCER, .id = consumer_id,
                           .producer_id = producer_id};
    return worker_submit(s->worker, &c);
}

/* Recording: commands for the recorder thread (sfu/record/recorder.h). */
static int submit_recording(struct sfu *s, enum recorder_cmd_type type, uint32_t recording_id,
                            uint32_t producer_id)
{
    if (!s || !recording_id)
        return -SQ_EINVAL;
    struct recorder_cmd c = {.type = type, .recording_id = recording_id,
                             .producer_id = producer_id};
    return recorder_submit(s->recorder, &c);
}

int sfu_recording_start(struct sfu *s, uint32_t recording_id, const char *dir_path)
{
    if (!s || !recording_id || !dir_path || !*dir_path)
        return -SQ_EINVAL;
    struct recorder_cmd c = {.type = RECORDER_CMD_START, .recording_id = recording_id};
    if (!copy_str(c.dir_path, RECORDER_PATH_MAX, dir_path))
        return -SQ_EINVAL;
    return recorder_submit(s->recorder, &c);
}

int sfu_recording_stop(struct sfu *s, uint32_t recording_id)
{
    return submit_recording(s, RECORDER_CMD_STOP, recording_id, 0);
}

int sfu_recording_set_video(struct sfu *s, uint32_t recording_id, uint32_t producer_id)
{
    return submit_recording(s, RECORDER_CMD_SET_VIDEO, recording_id, producer_id);
}

int sfu_recording_add_audio(struct sfu *s, uint32_t recording_id, uint32_t producer_id)
{
    if (!producer_id)
        return -SQ_EINVAL;
    return submit_recording(s, RECORDER_CMD_ADD_AUDIO, recording_id, producer_id);
}

int sfu_recording_remove_audio(struct sfu *s, uint32_t recording_id, uint32_t producer_id)
{
    if (!producer_id)
        return -SQ_EINVAL;
    return submit_recording(s, RECORDER_CMD_REMOVE_AUDIO, recording_id, producer_id);
}

int sfu_consumer_set_preferred_size(struct sfu *s, uint32_t consumer_id, uint16_t width,
                                    uint16_t height)
{
    if (!s)
        return -SQ_EINVAL;
    struct worker_cmd c = {.type = WORKER_CMD_CONSUMER_SET_PREFERRED_SIZE, .id = consumer_id};
    c.u.size.width = width;
    c.u.size.height = height;
    return worker_submit(s->worker, &c);
}

int sfu_poll_event(struct sfu *s, struct sfu_event *out)
{
    if (!s || !out)
        return 0;
    return cmd_queue_pop(&s->events, out);
}

void sfu_stats_get(const struct sfu *s, struct sfu_stats *out)
{
    worker_stats(s->worker, out);
}
