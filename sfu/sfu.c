/* The media plane's control-plane API (include/sabaq/sfu.h): start-up (SRTP
 * library, DTLS certificate, the UDP sockets, the media workers), host
 * candidates, and commands that are copied into the queue of the worker
 * that owns the object they are about (sfu_place.h keeps track). Nothing
 * here waits for a worker: results come back as events, from every worker
 * into one queue.
 *
 * Several workers share the one UDP port with SO_REUSEPORT (udp_open_group
 * guards it against a second server). A transport lives on the worker that
 * sfu_place_choose picks; the kernel may deliver its peer's datagrams to
 * another worker's socket, which forwards them (rtc/mesh.h): the other
 * workers learn each transport's ufrag here. Consumers on a worker other
 * than their producer's are fed by a mirror of the producer on their own
 * worker: made with the first such consumer, closed with the last, and the
 * owner is told to share the producer's packets with that worker. */
#include "sabaq/sfu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sabaq/dtls.h"
#include "sabaq/error.h"
#include "sabaq/srtp_session.h"
#include "io/cmd_queue.h"
#include "io/udp.h"
#include "io/worker.h"
#include "io/worker_mesh.h"
#include "sfu_place.h"
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
    struct dtls_cert *cert;      /* owned; immutable once made, shared by the workers */
    unsigned n_workers;
    struct worker *workers[MESH_MAX_WORKERS]; /* owned */
    struct worker_mesh mesh;     /* owned; unused with one worker */
    int port_lock;               /* owned: held while the workers share the port; -1 */
    struct sfu_place place;      /* control thread only */
    struct recorder *recorder;   /* owned: the recording thread and its rings */
    struct cmd_queue events;     /* workers -> control */
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

static unsigned worker_count(const struct sfu_config *cfg)
{
    long n = cfg->workers ? (long)cfg->workers : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n > MESH_MAX_WORKERS ? MESH_MAX_WORKERS : (unsigned)n;
}

static int submit_to_producer_owner(struct sfu *s, struct worker_cmd *c);

/* Recorder callbacks, on the recorder thread: it does not know which worker
 * holds a producer, so every worker gets the command and its owner runs it. */
static void recorder_tap_cb(void *arg, uint32_t producer_id, bool on)
{
    struct sfu *s = arg;
    struct worker_cmd c = {.type = WORKER_CMD_PRODUCER_RECORD, .id = producer_id,
                           .is_recorded = on};
    if (submit_to_producer_owner(s, &c) != 0)
        fprintf(stderr, "sabaq: recorder: worker queue full, producer %u not %s\n",
                (unsigned)producer_id, on ? "tapped" : "untapped");
}

static void recorder_keyframe_cb(void *arg, uint32_t producer_id)
{
    struct sfu *s = arg;
    struct worker_cmd c = {.type = WORKER_CMD_PRODUCER_REQUEST_KEYFRAME, .id = producer_id};
    submit_to_producer_owner(s, &c);
}

/* One tap (ring to the recorder) per worker: a recorded producer's packets
 * come from its owner's. */
static struct recorder *open_recorder(struct sfu *s)
{
    struct recorder_config rc = {
        .n_taps = s->n_workers,
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

static bool open_sockets(struct sfu *s, const struct sfu_config *cfg, int *fds)
{
    const char *addr = cfg->bind_address ? cfg->bind_address : "::";
    int rc;
    if (s->n_workers == 1) {
        rc = fds[0] = udp_open(addr, cfg->port);
    } else {
        rc = udp_open_group(addr, cfg->port, fds, s->n_workers, &s->port_lock);
    }
    if (rc >= 0)
        return true;
    if (rc == -SQ_EIO && errno == EADDRINUSE)
        fprintf(stderr, "sabaq: UDP port %u on %s is already in use (another Sabaq or another "
                        "program): choose another --media-port\n",
                (unsigned)cfg->port, addr);
    else
        fprintf(stderr, "sabaq: cannot open UDP socket on %s port %u: %s\n", addr,
                (unsigned)cfg->port,
                rc == -SQ_EINVAL ? "not a numeric IPv4 or IPv6 address" : strerror(errno));
    return false;
}

/* Makes every worker (each takes its socket), then starts them all: a
 * worker may write to another's ring as soon as it runs. */
static bool open_workers(struct sfu *s, const struct sfu_config *cfg)
{
    int fds[MESH_MAX_WORKERS];
    if (!open_sockets(s, cfg, fds))
        return false;
    if (s->n_workers > 1 && worker_mesh_init(&s->mesh, s->n_workers) != 0) {
        for (unsigned i = 0; i < s->n_workers; i++)
            close(fds[i]);
        return false;
    }
    bool ok = true;
    for (unsigned i = 0; i < s->n_workers; i++) {
        struct worker_config wc = {
            .fd = fds[i],
            .index = i,
            .mesh = s->n_workers > 1 ? &s->mesh : NULL,
            .cert = s->cert,
            .consent_timeout_ms =
                cfg->consent_timeout_ms ? cfg->consent_timeout_ms : DEFAULT_CONSENT_TIMEOUT_MS,
            .events = &s->events,
            .record_tap = recorder_tap(s->recorder, i),
        };
        s->workers[i] = ok ? worker_new(&wc) : NULL;
        if (!s->workers[i]) {
            if (ok)
                fprintf(stderr, "sabaq: cannot create media worker %u\n", i);
            if (!ok)
                close(fds[i]); /* worker_new closes it on failure */
            ok = false;
        }
    }
    for (unsigned i = 0; ok && i < s->n_workers; i++) {
        if (worker_start(s->workers[i]) != 0) {
            fprintf(stderr, "sabaq: cannot start media worker thread %u\n", i);
            ok = false;
        }
    }
    return ok;
}

static void close_workers(struct sfu *s)
{
    /* All stop before any is freed: one may hold another's packet buffers. */
    for (unsigned i = 0; i < s->n_workers; i++)
        worker_stop(s->workers[i]);
    for (unsigned i = 0; i < s->n_workers; i++) {
        worker_free(s->workers[i]);
        s->workers[i] = NULL;
    }
    worker_mesh_destroy(&s->mesh);
    if (s->port_lock >= 0)
        close(s->port_lock);
    s->port_lock = -1;
}

struct sfu *sfu_start(const struct sfu_config *cfg)
{
    if (!cfg)
        return NULL;
    struct sfu *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->port_lock = -1;
    s->n_workers = worker_count(cfg);
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
    if (sfu_place_init(&s->place, s->n_workers) != 0)
        goto fail_events;
    s->recorder = open_recorder(s);
    if (!s->recorder)
        goto fail_place;
    if (!open_workers(s, cfg))
        goto fail_workers;
    s->port = worker_port(s->workers[0]);
    if (recorder_start(s->recorder) != 0) {
        fprintf(stderr, "sabaq: cannot start the recorder thread\n");
        goto fail_workers;
    }
    return s;
fail_workers:
    close_workers(s);
    recorder_free(s->recorder);
fail_place:
    sfu_place_destroy(&s->place);
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
     * workers to untap; the workers may still write into the recorder's
     * rings until they are freed, so the rings go last. */
    recorder_stop(s->recorder);
    close_workers(s); /* stops and joins first: nothing pushes events after */
    recorder_free(s->recorder);
    sfu_place_destroy(&s->place);
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

unsigned sfu_workers(const struct sfu *s)
{
    return s->n_workers;
}

int sfu_transport_worker(struct sfu *s, uint32_t transport_id)
{
    struct place_transport *t = sfu_place_transport(&s->place, transport_id);
    return t ? (int)t->worker : -SQ_ENOTFOUND;
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

static int submit(struct sfu *s, unsigned worker, const struct worker_cmd *c)
{
    return worker_submit(s->workers[worker], c);
}

/* The same command to every worker but `except` (-1: to all). */
static void submit_others(struct sfu *s, int except, const struct worker_cmd *c)
{
    for (unsigned w = 0; w < s->n_workers; w++) {
        if ((int)w != except && submit(s, w, c) != 0)
            fprintf(stderr, "sabaq: media worker %u: command queue full\n", w);
    }
}

/* From any thread (the worker list is fixed once started): a producer
 * command for whichever worker owns the producer, for callers that cannot
 * read sfu_place (the control thread's). Every worker gets it; only the
 * owner runs it. 0, or the first worker's refusal. */
static int submit_to_producer_owner(struct sfu *s, struct worker_cmd *c)
{
    int rc = 0;
    c->is_for_owner = true;
    for (unsigned w = 0; w < s->n_workers; w++) {
        int r = submit(s, w, c);
        if (r < 0 && rc == 0)
            rc = r;
    }
    return rc;
}

/* ---- Mirrors: a producer's copy on a worker with consumers of it ------- */

static void mirror_acquire(struct sfu *s, struct place_producer *pr, unsigned worker)
{
    if (worker == pr->worker || pr->consumers_on[worker]++ > 0)
        return;
    struct worker_cmd c = {.type = WORKER_CMD_MIRROR_CREATE, .id = pr->id, .worker = pr->worker};
    c.u.track = pr->track;
    submit(s, worker, &c);
    struct worker_cmd share = {.type = WORKER_CMD_PRODUCER_SHARE, .id = pr->id, .worker = worker};
    submit(s, pr->worker, &share);
}

static void mirror_release(struct sfu *s, uint32_t producer_id, unsigned worker)
{
    struct place_producer *pr = sfu_place_producer(&s->place, producer_id);
    if (!pr || worker == pr->worker || pr->consumers_on[worker] == 0 ||
        --pr->consumers_on[worker] > 0)
        return;
    struct worker_cmd share = {.type = WORKER_CMD_PRODUCER_SHARE, .id = pr->id, .worker = worker,
                               .paused = true};
    submit(s, pr->worker, &share);
    struct worker_cmd c = {.type = WORKER_CMD_PRODUCER_CLOSE, .id = pr->id};
    submit(s, worker, &c);
}

/* The producer is gone on its owner: so are its mirrors. */
static void forget_producer(struct sfu *s, struct place_producer *pr)
{
    struct worker_cmd c = {.type = WORKER_CMD_PRODUCER_CLOSE, .id = pr->id};
    for (unsigned w = 0; w < s->n_workers; w++)
        if (w != pr->worker && pr->consumers_on[w] > 0)
            submit(s, w, &c);
    sfu_place_remove_producer(&s->place, pr);
}

static void forget_consumer(struct sfu *s, struct place_consumer *k)
{
    mirror_release(s, k->producer_id, k->transport->worker);
    sfu_place_remove_consumer(&s->place, k);
}

/* ---- Commands ------------------------------------------------------- */

static int add_transport(struct sfu *s, struct worker_cmd *c, const char *ufrag)
{
    if (sfu_place_transport(&s->place, c->id))
        return -SQ_EEXIST;
    /* A ufrag already in use goes to the same worker, whose core refuses
     * it (a TRANSPORT_CLOSED event, as with one worker). */
    struct place_transport *same = sfu_place_find_ufrag(&s->place, ufrag, NULL);
    unsigned w = same ? same->worker : sfu_place_choose(&s->place);
    struct place_transport *t = sfu_place_add_transport(&s->place, c->id, w, ufrag);
    if (!t)
        return -SQ_ENOMEM;
    int rc = submit(s, w, c);
    if (rc < 0) {
        sfu_place_remove_transport(&s->place, t);
        return rc;
    }
    if (s->n_workers > 1 && ufrag) {
        struct worker_cmd r = {.type = WORKER_CMD_ROUTE_UFRAG, .worker = w};
        memcpy(r.u.transport.ufrag, t->ufrag, sizeof(r.u.transport.ufrag));
        submit_others(s, (int)w, &r);
    }
    return 0;
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
    return add_transport(s, &c, local_ufrag);
}

int sfu_transport_restart_ice(struct sfu *s, uint32_t transport_id, const char *local_ufrag,
                              const char *local_pwd)
{
    if (!s || !local_ufrag || !local_pwd || !*local_ufrag || !*local_pwd)
        return -SQ_EINVAL;
    struct place_transport *t = sfu_place_transport(&s->place, transport_id);
    if (!t)
        return -SQ_ENOTFOUND;
    if (!t->ufrag[0])
        return -SQ_ESTATE;       /* made pre-connected: it has no ICE */
    if (sfu_place_find_ufrag(&s->place, local_ufrag, t))
        return -SQ_EEXIST;
    struct worker_cmd c = {.type = WORKER_CMD_TRANSPORT_RESTART_ICE, .id = transport_id};
    if (!copy_str(c.u.transport.ufrag, WORKER_UFRAG_MAX, local_ufrag) ||
        !copy_str(c.u.transport.pwd, WORKER_PWD_MAX, local_pwd))
        return -SQ_EINVAL;
    int rc = submit(s, t->worker, &c);
    if (rc < 0)
        return rc;
    /* The other workers hand checks with the new ufrag to the owner; the
     * old one leads nowhere now. */
    if (s->n_workers > 1) {
        struct worker_cmd r = {.type = WORKER_CMD_UNROUTE_UFRAG};
        memcpy(r.u.transport.ufrag, t->ufrag, sizeof(r.u.transport.ufrag));
        if (!sfu_place_find_ufrag(&s->place, t->ufrag, t))
            submit_others(s, (int)t->worker, &r);
        r.type = WORKER_CMD_ROUTE_UFRAG;
        r.worker = t->worker;
        memcpy(r.u.transport.ufrag, c.u.transport.ufrag, sizeof(r.u.transport.ufrag));
        submit_others(s, (int)t->worker, &r);
    }
    memcpy(t->ufrag, c.u.transport.ufrag, sizeof(t->ufrag));
    return 0;
}

int sfu_transport_create_connected(struct sfu *s, uint32_t transport_id,
                                   const struct srtp_keys *keys,
                                   const struct sockaddr_storage *remote, socklen_t remote_len)
{
    if (!s || !keys || !remote || remote_len > (socklen_t)sizeof(*remote))
        return -SQ_EINVAL;
    struct worker_cmd c = {.type = WORKER_CMD_TRANSPORT_CREATE_CONNECTED, .id = transport_id};
    c.u.connected.keys = *keys;
    c.u.connected.remote = *remote;
    c.u.connected.remote_len = remote_len;
    int rc = add_transport(s, &c, NULL);
    if (rc < 0 || s->n_workers == 1)
        return rc;
    /* No ICE to claim the peer's address: every other worker learns it now. */
    unsigned w = sfu_place_transport(&s->place, transport_id)->worker;
    struct worker_cmd r = {.type = WORKER_CMD_ROUTE_ADDR, .worker = w};
    r.u.addr.addr = *remote;
    r.u.addr.len = remote_len;
    submit_others(s, (int)w, &r);
    return 0;
}

int sfu_transport_close(struct sfu *s, uint32_t transport_id)
{
    struct list *pos, *tmp;
    if (!s)
        return -SQ_EINVAL;
    struct place_transport *t = sfu_place_transport(&s->place, transport_id);
    if (!t)
        return 0;                /* closed already: nothing to do */
    struct worker_cmd c = {.type = WORKER_CMD_TRANSPORT_CLOSE, .id = transport_id};
    int rc = submit(s, t->worker, &c);
    /* The worker frees the transport's producers and consumers with it. */
    list_for_each_safe(pos, tmp, &t->consumers)
        forget_consumer(s, list_entry(pos, struct place_consumer, link));
    list_for_each_safe(pos, tmp, &t->producers)
        forget_producer(s, list_entry(pos, struct place_producer, link));
    if (s->n_workers > 1 && t->ufrag[0] && !sfu_place_find_ufrag(&s->place, t->ufrag, t)) {
        struct worker_cmd r = {.type = WORKER_CMD_UNROUTE_UFRAG};
        memcpy(r.u.transport.ufrag, t->ufrag, sizeof(r.u.transport.ufrag));
        submit_others(s, (int)t->worker, &r);
    }
    sfu_place_remove_transport(&s->place, t);
    return rc;
}

int sfu_producer_create(struct sfu *s, uint32_t producer_id, uint32_t transport_id,
                        const struct sdp_track *track)
{
    if (!s || !track)
        return -SQ_EINVAL;
    struct place_transport *t = sfu_place_transport(&s->place, transport_id);
    if (!t)
        return -SQ_ENOTFOUND;
    if (sfu_place_producer(&s->place, producer_id))
        return -SQ_EEXIST;
    struct place_producer *pr = sfu_place_add_producer(&s->place, producer_id, t, track);
    if (!pr)
        return -SQ_ENOMEM;
    struct worker_cmd c = {
        .type = WORKER_CMD_PRODUCER_CREATE, .id = producer_id, .transport_id = transport_id};
    c.u.track = *track;
    int rc = submit(s, t->worker, &c);
    if (rc < 0)
        sfu_place_remove_producer(&s->place, pr);
    return rc;
}

int sfu_producer_close(struct sfu *s, uint32_t producer_id)
{
    if (!s)
        return -SQ_EINVAL;
    struct place_producer *pr = sfu_place_producer(&s->place, producer_id);
    if (!pr)
        return 0;
    struct worker_cmd c = {.type = WORKER_CMD_PRODUCER_CLOSE, .id = producer_id};
    int rc = submit(s, pr->worker, &c);
    forget_producer(s, pr);
    return rc;
}

int sfu_producer_set_paused(struct sfu *s, uint32_t producer_id, bool paused)
{
    if (!s)
        return -SQ_EINVAL;
    struct place_producer *pr = sfu_place_producer(&s->place, producer_id);
    if (!pr)
        return -SQ_ENOTFOUND;
    struct worker_cmd c = {.type = WORKER_CMD_PRODUCER_SET_PAUSED, .id = producer_id,
                           .paused = paused};
    /* The mirrors too: resuming makes their consumers start over cleanly. */
    for (unsigned w = 0; w < s->n_workers; w++)
        if (w != pr->worker && pr->consumers_on[w] > 0)
            submit(s, w, &c);
    return submit(s, pr->worker, &c);
}

int sfu_producer_request_keyframe(struct sfu *s, uint32_t producer_id)
{
    if (!s)
        return -SQ_EINVAL;
    struct place_producer *pr = sfu_place_producer(&s->place, producer_id);
    if (!pr)
        return -SQ_ENOTFOUND;
    struct worker_cmd c = {.type = WORKER_CMD_PRODUCER_REQUEST_KEYFRAME, .id = producer_id};
    return submit(s, pr->worker, &c);
}

int sfu_consumer_create(struct sfu *s, uint32_t consumer_id, uint32_t transport_id,
                        uint32_t producer_id, const struct sdp_outgoing *out)
{
    if (!s || !out)
        return -SQ_EINVAL;
    struct place_transport *t = sfu_place_transport(&s->place, transport_id);
    struct place_producer *pr = sfu_place_producer(&s->place, producer_id);
    if (!t || (producer_id && !pr))
        return -SQ_ENOTFOUND;
    if (sfu_place_consumer(&s->place, consumer_id))
        return -SQ_EEXIST;
    struct place_consumer *k = sfu_place_add_consumer(&s->place, consumer_id, t, producer_id);
    if (!k)
        return -SQ_ENOMEM;
    if (pr)
        mirror_acquire(s, pr, t->worker);
    struct worker_cmd c = {.type = WORKER_CMD_CONSUMER_CREATE, .id = consumer_id,
                           .transport_id = transport_id, .producer_id = producer_id};
    c.u.outgoing = *out;
    int rc = submit(s, t->worker, &c);
    if (rc < 0)
        forget_consumer(s, k);
    return rc;
}

int sfu_consumer_close(struct sfu *s, uint32_t consumer_id)
{
    if (!s)
        return -SQ_EINVAL;
    struct place_consumer *k = sfu_place_consumer(&s->place, consumer_id);
    if (!k)
        return 0;
    struct worker_cmd c = {.type = WORKER_CMD_CONSUMER_CLOSE, .id = consumer_id};
    int rc = submit(s, k->transport->worker, &c);
    forget_consumer(s, k);
    return rc;
}

int sfu_consumer_set_producer(struct sfu *s, uint32_t consumer_id, uint32_t producer_id)
{
    if (!s)
        return -SQ_EINVAL;
    struct place_consumer *k = sfu_place_consumer(&s->place, consumer_id);
    struct place_producer *pr = sfu_place_producer(&s->place, producer_id);
    if (!k || (producer_id && !pr))
        return -SQ_ENOTFOUND;
    unsigned w = k->transport->worker;
    /* New mirror first, old one last: the worker runs them in this order. */
    if (pr)
        mirror_acquire(s, pr, w);
    struct worker_cmd c = {.type = WORKER_CMD_CONSUMER_SET_PRODUCER, .id = consumer_id,
                           .producer_id = producer_id};
    int rc = submit(s, w, &c);
    uint32_t old = k->producer_id;
    k->producer_id = producer_id;
    mirror_release(s, old, w);
    return rc;
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
    struct place_consumer *k = sfu_place_consumer(&s->place, consumer_id);
    if (!k)
        return -SQ_ENOTFOUND;
    struct worker_cmd c = {.type = WORKER_CMD_CONSUMER_SET_PREFERRED_SIZE, .id = consumer_id};
    c.u.size.width = width;
    c.u.size.height = height;
    return submit(s, k->transport->worker, &c);
}

int sfu_poll_event(struct sfu *s, struct sfu_event *out)
{
    if (!s || !out)
        return 0;
    return cmd_queue_pop(&s->events, out);
}

/* The sum over the workers; mirrors are not counted as producers. */
void sfu_stats_get(const struct sfu *s, struct sfu_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (unsigned w = 0; w < s->n_workers; w++) {
        struct sfu_stats one;
        worker_stats(s->workers[w], &one);
        const uint64_t *src = (const uint64_t *)&one;
        uint64_t *dst = (uint64_t *)out;
        for (size_t i = 0; i < sizeof(one) / sizeof(uint64_t); i++)
            dst[i] += src[i];
    }
}
