/* bench/fwd_workers: the forwarding path across several media workers, the
 * way the server runs it. bench/fwd measures one core's forwarding in a
 * loop on a virtual clock; this one starts the real media plane
 * (include/sabaq/sfu.h) with W workers on one loopback UDP port, one VP8
 * publisher and N subscribers made as pre-connected transports (spread over
 * the workers like real sessions), sends the publisher's SRTP stream at a
 * fixed packet rate from this thread, and reads what the workers did: RTP
 * copies out per second, the CPU time of each worker thread
 * (/proc/self/task), CPU per copy, and the cross-worker counters. The
 * sinks are never read (full queues drop in the kernel). Rows: every W of
 * --workers. Small by default: the machine is shared (a smoke run). */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fwd_alloc.h"
#include "fwd_stream.h"
#include "fwd_sys.h"
#include "sabaq/clock.h"
#include "sabaq/sfu.h"
#include "sabaq/srtp_session.h"

#define PUB_SSRC 0x1e2d3c4bu
#define SUB_SSRC 0x50000000u
#define MAX_ROWS 8

struct options {
    unsigned workers[MAX_ROWS];
    size_t n_rows;
    size_t subs;                 /* subscribers */
    unsigned rate;               /* publisher packets per second */
    double seconds;              /* timed part of each row */
    bool cm;                     /* AES_CM_128_HMAC_SHA1_80 instead of AEAD_AES_128_GCM */
};

static void usage(FILE *f)
{
    fprintf(f, "usage: fwd_workers [--workers 1,2] [--subs N] [--rate PPS] [--seconds S] [--cm]\n"
               "  --workers  rows: media worker counts (default 1,2)\n"
               "  --subs     subscribers of the one publisher (default 40)\n"
               "  --rate     publisher RTP packets per second (default 500: copies out = rate x subs)\n"
               "  --seconds  timed length of a row after 1 s of warm-up (default 3)\n"
               "  --cm       subscribers and publisher on AES_CM_128_HMAC_SHA1_80 (default GCM)\n");
}

static int parse(struct options *o, int argc, char **argv)
{
    *o = (struct options){.workers = {1, 2}, .n_rows = 2, .subs = 40, .rate = 500, .seconds = 3};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 1;
        } else if (strcmp(a, "--cm") == 0) {
            o->cm = true;
        } else if (strcmp(a, "--workers") == 0 && v) {
            o->n_rows = 0;
            for (const char *p = v; *p && o->n_rows < MAX_ROWS;) {
                char *end;
                unsigned long w = strtoul(p, &end, 10);
                if (end == p || w < 1 || w > 32)
                    return -1;
                o->workers[o->n_rows++] = (unsigned)w;
                p = *end == ',' ? end + 1 : end;
            }
            i++;
        } else if (strcmp(a, "--subs") == 0 && v) {
            o->subs = strtoul(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--rate") == 0 && v) {
            o->rate = (unsigned)strtoul(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--seconds") == 0 && v) {
            o->seconds = strtod(v, NULL);
            i++;
        } else {
            usage(stderr);
            return -1;
        }
    }
    return o->subs && o->rate && o->seconds > 0 && o->n_rows ? 0 : -1;
}

static struct srtp_keys keys_for(uint32_t n, bool cm)
{
    struct srtp_keys k = {.profile = cm ? SRTP_PROFILE_AES128_CM_SHA1_80
                                        : SRTP_PROFILE_AEAD_AES_128_GCM,
                          .key_len = 16, .salt_len = cm ? 14 : 12};
    uint64_t x = 0x9e3779b97f4a7c15ull * (n + 1);
    uint8_t *fields[4] = {k.local_key, k.local_salt, k.remote_key, k.remote_salt};
    for (int f = 0; f < 4; f++)
        for (int i = 0; i < 16; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if (f % 2 == 0 || i < SRTP_MAX_SALT_LEN)
                fields[f][i] = (uint8_t)x;
        }
    return k;
}

/* The publisher's own view: it protects with what Sabaq unprotects with. */
static struct srtp_keys peer_view(const struct srtp_keys *k)
{
    struct srtp_keys p = *k;
    memcpy(p.local_key, k->remote_key, sizeof(p.local_key));
    memcpy(p.local_salt, k->remote_salt, sizeof(p.local_salt));
    memcpy(p.remote_key, k->local_key, sizeof(p.remote_key));
    memcpy(p.remote_salt, k->local_salt, sizeof(p.remote_salt));
    return p;
}

static int loopback_socket(struct sockaddr_storage *addr, socklen_t *len, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    *len = sizeof(*addr);
    getsockname(fd, (struct sockaddr *)addr, len);
    return fd;
}

/* CPU ticks (utime + stime) of every thread called sabaq-media-<i>. */
static void worker_ticks(unsigned long long *ticks, unsigned n)
{
    memset(ticks, 0, n * sizeof(*ticks));
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], comm[64], stat[1024];
        unsigned idx;
        snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
        fwd_sys_read_line(path, comm, sizeof(comm));
        if (sscanf(comm, "sabaq-media-%u", &idx) != 1 || idx >= n)
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
        fwd_sys_read_line(path, stat, sizeof(stat));
        const char *p = strrchr(stat, ')');
        unsigned long long ut = 0, st = 0;
        /* Fields after the comm: state is 3, utime 14, stime 15. */
        if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
                        &st) == 2)
            ticks[idx] += ut + st;
    }
    if (d)
        closedir(d);
}

static void sleep_until_ns(uint64_t t)
{
    struct timespec ts = {.tv_sec = (time_t)(t / 1000000000ull), .tv_nsec = (long)(t % 1000000000ull)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The stats once every worker has published a snapshot in which `ok` holds
 * (snapshots are up to 200 ms old, and a worker busy with set-up commands
 * on a loaded machine publishes later); gives up after 3 s. */
static void settled_stats(struct sfu *sfu, struct sfu_stats *st, bool (*ok)(const struct sfu_stats *,
                                                                           uint64_t), uint64_t want)
{
    for (int i = 0; i < 150; i++) {
        sfu_stats_get(sfu, st);
        if (ok(st, want))
            return;
        struct timespec t = {.tv_nsec = 20000000};
        nanosleep(&t, NULL);
    }
}

static bool has_consumers(const struct sfu_stats *st, uint64_t n) { return st->consumers >= n; }
static bool has_received(const struct sfu_stats *st, uint64_t n) { return st->rx_rtp >= n; }
static bool has_sent(const struct sfu_stats *st, uint64_t n) { return st->tx_packets >= n; }

struct row_result {
    double out_pps, expected_pps, cpu_us_per_copy;
    double cpu_share[32];
    struct sfu_stats st;
    unsigned on_worker[32];
    uint64_t allocs;             /* heap calls in the whole process during the timed part */
};

/* Sends packets [from, to) of the sealed stream at `rate`, from t0. */
static void send_paced(int fd, const struct sockaddr_storage *to, socklen_t to_len,
                       const struct fwd_stream *s, const uint8_t *sealed, int tag, size_t from,
                       size_t count, unsigned rate)
{
    uint64_t t0 = now_ns(), gap = 1000000000ull / rate;
    for (size_t k = 0; k < count; k++) {
        const struct fwd_packet *p = &s->pkts[(from + k) % s->n];
        if (k % 8 == 0)
            sleep_until_ns(t0 + k * gap);
        sendto(fd, sealed + p->off, p->plain_len + (size_t)tag, 0, (const struct sockaddr *)to,
               to_len);
    }
}

static int run_row(const struct options *o, unsigned workers, const struct fwd_stream *s,
                   struct row_result *r)
{
    struct sfu_config cfg = {.bind_address = "127.0.0.1", .workers = workers,
                             .announce = {"127.0.0.1"}, .consent_timeout_ms = 600000};
    struct sfu *sfu = sfu_start(&cfg);
    if (!sfu)
        return -1;
    struct sockaddr_storage server = {0}, pub_addr;
    socklen_t server_len = sizeof(struct sockaddr_in), pub_len;
    struct sockaddr_in *sv = (struct sockaddr_in *)&server;
    sv->sin_family = AF_INET;
    sv->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sv->sin_port = htons(sfu_port(sfu));
    int pub = loopback_socket(&pub_addr, &pub_len, 0);
    int *sinks = calloc(o->subs, sizeof(int));
    struct srtp_keys pk = keys_for(0, o->cm), view = peer_view(&pk);
    uint8_t *sealed = malloc(s->data_len);
    int tag = sealed ? fwd_stream_protect(s, &view, sealed) : -1;
    struct sdp_track t = {.mid = "1", .kind = SDP_KIND_VIDEO, .payload_type = 96,
                          .clock_rate = 90000, .ssrc = PUB_SSRC,
                          .ext = {.mid = 4, .abs_send_time = 2},
                          .feedback = SDP_FB_NACK | SDP_FB_NACK_PLI};
    int err = pub < 0 || !sinks || tag < 0 ||
              sfu_transport_create_connected(sfu, 1, &pk, &pub_addr, pub_len) != 0 ||
              sfu_producer_create(sfu, 1, 1, &t) != 0;
    memset(r, 0, sizeof(*r));
    for (size_t j = 0; j < o->subs && !err; j++) {
        struct sockaddr_storage a;
        socklen_t al;
        struct srtp_keys k = keys_for((uint32_t)(j + 1), o->cm);
        uint32_t tid = (uint32_t)(100 + j);
        sinks[j] = loopback_socket(&a, &al, 64 * 1024);
        struct sdp_outgoing out = {.mid = "0", .kind = SDP_KIND_VIDEO, .active = true,
                                   .ssrc = SUB_SSRC + 2 * (uint32_t)j, .cname = "sabaq"};
        err = sinks[j] < 0 || sfu_transport_create_connected(sfu, tid, &k, &a, al) != 0 ||
              sfu_consumer_create(sfu, (uint32_t)(100000 + j), tid, 1, &out) != 0;
        if (!err)
            r->on_worker[sfu_transport_worker(sfu, tid)]++;
    }
    if (!err) {
        size_t warm = o->rate, timed = (size_t)(o->rate * o->seconds);
        struct sfu_stats a, b;
        unsigned long long t0[32], t1[32];
        settled_stats(sfu, &a, has_consumers, o->subs); /* set-up done */
        send_paced(pub, &server, server_len, s, sealed, tag, 0, warm, o->rate);
        settled_stats(sfu, &a, has_received, warm);
        worker_ticks(t0, workers);
        struct fwd_alloc_counts h0, h1, hd;
        fwd_alloc_snapshot(&h0);
        uint64_t w0 = now_ns();
        send_paced(pub, &server, server_len, s, sealed, tag, warm, timed, o->rate);
        settled_stats(sfu, &b, has_received, warm + timed);
        settled_stats(sfu, &b, has_sent, a.tx_packets + (uint64_t)timed * o->subs);
        uint64_t w1 = now_ns();
        fwd_alloc_snapshot(&h1);
        r->allocs = fwd_alloc_delta(&h0, &h1, &hd);
        worker_ticks(t1, workers);
        double secs = (double)(w1 - w0) / 1e9, tick = (double)sysconf(_SC_CLK_TCK);
        uint64_t copies = b.tx_packets - a.tx_packets;
        double cpu = 0;
        for (unsigned w = 0; w < workers; w++) {
            double c = (double)(t1[w] - t0[w]) / tick;
            r->cpu_share[w] = c / secs;
            cpu += c;
        }
        r->out_pps = (double)copies / secs;
        r->expected_pps = (double)timed * (double)o->subs / secs;
        r->cpu_us_per_copy = copies ? cpu * 1e6 / (double)copies : 0;
        r->st = b;
        r->st.mesh_shared = b.mesh_shared - a.mesh_shared;
        r->st.mesh_forwarded = b.mesh_forwarded - a.mesh_forwarded;
        r->st.drop_mesh = b.drop_mesh - a.drop_mesh;
        r->st.drop_tx = b.drop_tx - a.drop_tx;
    }
    sfu_stop(sfu);
    for (size_t j = 0; sinks && j < o->subs; j++)
        if (sinks[j] > 0)
            close(sinks[j]);
    free(sinks);
    free(sealed);
    if (pub >= 0)
        close(pub);
    return err ? -1 : 0;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse(&o, argc, argv);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (fwd_sys_want_fds(o.subs + 64) != 0)
        fprintf(stderr, "fwd_workers: RLIMIT_NOFILE too low for %zu sockets\n", o.subs);
    struct fwd_stream s;
    struct fwd_stream_config sc = {.ssrc = PUB_SSRC, .payload_type = 96, .first_seq = 65000,
                                   .first_timestamp = 123456789, .mid = "1", .ext_mid = 4,
                                   .ext_abs_send_time = 2, .ext_transport_cc = 3,
                                   .bitrate_bps = 1500000, .fps = 30, .keyframe_interval = 60,
                                   .keyframe_scale = 4, .max_payload = 1200, .width = 1280,
                                   .height = 720, .seed = 42};
    if (srtp_library_init() != 0 ||
        fwd_stream_make(&s, &sc, (size_t)(o.rate * (o.seconds + 1.0)) + 1) != 0) {
        fprintf(stderr, "fwd_workers: set-up failed\n");
        return 1;
    }
    char model[128];
    fwd_sys_cpu_model(model, sizeof(model));
    printf("fwd_workers: 1 VP8 publisher at %u packets/s -> %zu subscribers (%s), %.1f s timed, "
           "%ld online CPUs (%s)\n",
           o.rate, o.subs, o.cm ? "AES_CM_128_HMAC_SHA1_80" : "AEAD_AES_128_GCM", o.seconds,
           sysconf(_SC_NPROCESSORS_ONLN), model);
    printf("%8s %10s %10s %10s %9s %9s %9s %7s  %s\n", "workers", "copies/s", "expected",
           "us/copy", "shared", "fwd'd", "drops", "mallocs", "CPU per worker (subscribers on it)");
    for (size_t i = 0; i < o.n_rows; i++) {
        struct row_result r;
        unsigned w = o.workers[i];
        if (run_row(&o, w, &s, &r) != 0) {
            printf("%8u  (set-up failed)\n", w);
            continue;
        }
        printf("%8u %10.0f %10.0f %10.2f %9llu %9llu %9llu %7llu ", w, r.out_pps, r.expected_pps,
               r.cpu_us_per_copy, (unsigned long long)r.st.mesh_shared,
               (unsigned long long)r.st.mesh_forwarded,
               (unsigned long long)(r.st.drop_mesh + r.st.drop_tx), (unsigned long long)r.allocs);
        for (unsigned k = 0; k < w; k++)
            printf(" %.0f%% (%u)", 100 * r.cpu_share[k], r.on_worker[k]);
        printf("\n");
    }
    printf("  copies/s: RTP sent by the workers (sfu_stats.tx_packets, RTCP included); expected: "
           "inputs x subscribers.\n"
           "  us/copy: worker threads' CPU time (/proc, 10 ms ticks) per copy sent. In the timed "
           "part: shared: packets handed to another\n  worker by reference;"
           " fwd'd: datagrams that reached the wrong worker's socket; drops: rings/pools full, "
           "sendmmsg refusals.\n  mallocs: heap calls of the whole process (workers included) "
           "in the timed part: 0 = no malloc per packet.\n");
    fwd_stream_free(&s);
    return 0;
}
