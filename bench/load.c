/* bench/load: the whole server under load from synthetic participants
 * ("bots", bench/load/bot.h) that speak docs/protocol.md and real WebRTC to
 * it: ICE, DTLS-SRTP, RTP/RTCP, VP8 simulcast from libvpx and Opus from
 * libopus. Scenario "classroom": 1 teacher (camera in 3 simulcast layers plus
 * a screen share), 3 students speaking in turn, everyone else receiving, for
 * a bounded time. It starts ./build/sabaq itself in a private network
 * namespace (or measures a running one, --server-pid), forks the bot
 * processes, waits for everyone to join, measures a window, and prints the
 * server's CPU, memory and traffic, the receivers' loss, latency, join time,
 * decode errors and layer distribution; --sweep repeats it for N = 50, 100,
 * 250 first. Not part of `make test`. Run `build/bench/load --help`. */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "bot.h"
#include "load_janus.h"
#include "load_lesson.h"
#include "load_report.h"
#include "load_server.h"
#include "load_shm.h"
#include "sabaq/clock.h"

#define MAX_RUNS 4
#define SETTLE_S 3               /* after the last join, before the window opens */

struct options {
    struct bot_config cfg;
    unsigned n, duration_s, procs;
    bool sweep;
    pid_t server_pid;
    char server_bin[256];
    char data_dir[256];          /* of a running server (--server-pid), for `staff add` */
    char scratch[200];           /* where a server started here keeps its data */
    unsigned workers;            /* --workers of a server started here; 0 = its default */
};

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: build/bench/load [options]\n"
        "Scenario classroom-500: 1 teacher (VP8 camera in 3 simulcast layers + a screen share),\n"
        "3 students speaking in turn (Opus), the others receiving; bots in several processes.\n"
        "  --participants N   everyone, teacher and speakers included (default 500)\n"
        "  --sweep            run N = 50, 100, 250 first, then N\n"
        "  --duration S       measured window in seconds (default 120)\n"
        "  --join-rate R      receivers joining per second (default 50)\n"
        "  --join-timeout S   a bot without media this long after its start has failed (60)\n"
        "  --procs P          receiver processes (default: one per 128 receivers, at most 4)\n"
        "  --decode-sample K  receivers per process that decode everything (default 1: a\n"
        "                     1280x720 stream costs ~6%% of a core to decode here)\n"
        "  --fps F            camera frame rate (30); --screen-fps F (5)\n"
        "  --layers WxH@kbps,WxH@kbps,WxH@kbps   (320x180@150,640x360@500,1280x720@1200)\n"
        "  --screen WxH@kbps  (1280x720@300)\n"
        "  --speakers S       (3); --speak-turn-ms MS (4000)\n"
        "  --remb-kbps K,...  bandwidths receivers report by REMB, one per bot in turn; they\n"
        "                     pick the simulcast layer each gets (default 500,1000,3000)\n"
        "  --twcc             receivers send transport-cc feedback every 100 ms, as browsers do\n"
        "                     (Sabaq then estimates from it and ignores their REMB)\n"
        "  --server BIN       the server to start (./build/sabaq)\n"
        "  --workers N        its media worker threads (default: the server's, one per core)\n"
        "  --server-pid PID   measure a running server instead (run the bench in its network\n"
        "                     namespace; --host/--port say where it listens)\n"
        "  --host A --port P  (127.0.0.1, a random port when the bench starts the server)\n"
        "  --data-dir DIR     the running server's data directory: the bench makes its lesson\n"
        "                     with `BIN staff add` there (with a server it starts: always)\n"
        "  --scratch DIR      parent of the data directory of a server started here (/tmp;\n"
        "                     /dev/shm takes the disk out of the joins)\n"
        "  --teacher-token T --student-token T   join with these instead of making a lesson\n"
        "  --lesson NAME      without tokens: join this lesson id (servers before tokens)\n"
        "  --quiet            no per-bot problem lines\n"
        "Environment: LOAD_TRACE=<bot index> (or -1: all) prints every camera packet that bot\n"
        "receives, each sequence number jump, and the teacher's layer SSRCs/first seqs.\n");
}

static int parse_layer(const char *s, struct bot_layer *l)
{
    unsigned w, h, k;
    if (sscanf(s, "%ux%u@%u", &w, &h, &k) != 3 || w < 16 || h < 16 || w > 2048 || h > 2048 ||
        w % 2 || h % 2 || k == 0)
        return -1;
    l->width = (uint16_t)w;
    l->height = (uint16_t)h;
    l->kbps = k;
    return 0;
}

static int parse_layers(const char *s, struct bot_config *c)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", s);
    char *save = NULL, *tok = strtok_r(buf, ",", &save);
    for (int i = 0; i < LOAD_LAYERS; i++, tok = strtok_r(NULL, ",", &save))
        if (!tok || parse_layer(tok, &c->layers[i]) != 0)
            return -1;
    return 0;
}

static unsigned num(const char *s, unsigned lo, unsigned hi, const char *name)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        fprintf(stderr, "load: %s must be %u..%u\n", name, lo, hi);
        exit(2);
    }
    return (unsigned)v;
}

static void parse_rembs(const char *s, struct bot_config *c)
{
    char buf[128], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", s);
    c->n_remb = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok && c->n_remb < 8;
         tok = strtok_r(NULL, ",", &save))
        c->remb_bps[c->n_remb++] = num(tok, 30, 1000000, "--remb-kbps") * 1000u;
    if (!c->n_remb) {
        fprintf(stderr, "load: --remb-kbps wants one or more kbit/s values\n");
        exit(2);
    }
}

static void defaults(struct options *o)
{
    struct bot_config *c = &o->cfg;
    memset(o, 0, sizeof(*o));
    o->n = 500;
    o->duration_s = 120;
    snprintf(o->server_bin, sizeof(o->server_bin), "./build/sabaq");
    snprintf(o->scratch, sizeof(o->scratch), "/tmp");
    snprintf(c->host, sizeof(c->host), "127.0.0.1");
    c->n_speakers = 3;
    c->fps = 30;
    c->screen_fps = 5;
    parse_layers("320x180@150,640x360@500,1280x720@1200", c);
    parse_layer("1280x720@300", &c->screen);
    static const char *rids[LOAD_LAYERS] = {"q", "h", "f"};
    for (int i = 0; i < LOAD_LAYERS; i++)
        snprintf(c->layers[i].rid, sizeof(c->layers[i].rid), "%s", rids[i]);
    c->decode_sample = 1;
    c->speak_turn_ms = 4000;
    c->join_rate = 50;
    c->join_timeout_s = 60;
    c->remb_bps[0] = 500000;
    c->remb_bps[1] = 1000000;
    c->remb_bps[2] = 3000000;
    c->n_remb = 3;
}

static void parse_options(struct options *o, int argc, char **argv)
{
    static const struct option longs[] = {
        {"participants", 1, 0, 'n'}, {"sweep", 0, 0, 'S'},       {"duration", 1, 0, 'd'},
        {"join-rate", 1, 0, 'r'},    {"join-timeout", 1, 0, 'J'}, {"procs", 1, 0, 'P'},
        {"decode-sample", 1, 0, 'k'}, {"fps", 1, 0, 'f'},         {"screen-fps", 1, 0, 'F'},
        {"layers", 1, 0, 'L'},       {"screen", 1, 0, 'C'},       {"speakers", 1, 0, 's'},
        {"speak-turn-ms", 1, 0, 't'}, {"remb-kbps", 1, 0, 'R'},   {"server", 1, 0, 'b'},
        {"server-pid", 1, 0, 'p'},   {"host", 1, 0, 'H'},         {"port", 1, 0, 'o'},
        {"lesson", 1, 0, 'l'},       {"quiet", 0, 0, 'q'},        {"help", 0, 0, 'h'},
        {"twcc", 0, 0, 'W'},         {"workers", 1, 0, 'w'},         {"scratch", 1, 0, 'X'},         {"data-dir", 1, 0, 'D'},     {"teacher-token", 1, 0, 'T'}, {"student-token", 1, 0, 'U'},
        {0, 0, 0, 0}};
    struct bot_config *c = &o->cfg;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 'n': o->n = num(optarg, 6, LOAD_MAX_BOTS, "--participants"); break;
        case 'S': o->sweep = true; break;
        case 'd': o->duration_s = num(optarg, 1, 7200, "--duration"); break;
        case 'r': c->join_rate = num(optarg, 1, 10000, "--join-rate"); break;
        case 'J': c->join_timeout_s = num(optarg, 1, 3600, "--join-timeout"); break;
        case 'P': o->procs = num(optarg, 1, LOAD_MAX_PROCS - 1, "--procs"); break;
        case 'k': c->decode_sample = num(optarg, 0, LOAD_MAX_BOTS, "--decode-sample"); break;
        case 'f': c->fps = num(optarg, 1, 60, "--fps"); break;
        case 'F': c->screen_fps = num(optarg, 1, 30, "--screen-fps"); break;
        case 's': c->n_speakers = num(optarg, 0, 16, "--speakers"); break;
        case 't': c->speak_turn_ms = num(optarg, 100, 600000, "--speak-turn-ms"); break;
        case 'R': parse_rembs(optarg, c); break;
        case 'p': o->server_pid = (pid_t)num(optarg, 1, 1u << 30, "--server-pid"); break;
        case 'o': c->ws_port = (uint16_t)num(optarg, 1, 65535, "--port"); break;
        case 'q': c->quiet = true; break;
        case 'W': c->twcc = true; break;
        case 'w': o->workers = num(optarg, 1, 32, "--workers"); break;
        case 'X': snprintf(o->scratch, sizeof(o->scratch), "%s", optarg); break;
        case 'b': snprintf(o->server_bin, sizeof(o->server_bin), "%s", optarg); break;
        case 'H': snprintf(c->host, sizeof(c->host), "%s", optarg); break;
        case 'l': snprintf(c->lesson, sizeof(c->lesson), "%s", optarg); break;
        case 'D': snprintf(o->data_dir, sizeof(o->data_dir), "%s", optarg); break;
        case 'T': snprintf(c->token_teacher, sizeof(c->token_teacher), "%s", optarg); break;
        case 'U': snprintf(c->token_student, sizeof(c->token_student), "%s", optarg); break;
        case 'L':
            if (parse_layers(optarg, c) != 0) {
                fprintf(stderr, "load: --layers wants three WxH@kbps (even sizes, <= 2048)\n");
                exit(2);
            }
            break;
        case 'C':
            if (parse_layer(optarg, &c->screen) != 0) {
                fprintf(stderr, "load: --screen wants WxH@kbps\n");
                exit(2);
            }
            break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (!c->token_teacher[0] != !c->token_student[0]) {
        fprintf(stderr, "load: give both --teacher-token and --student-token, or neither\n");
        exit(2);
    }
    if (o->n < c->n_speakers + 2) {
        fprintf(stderr, "load: --participants must leave room for the teacher, the speakers "
                        "and one receiver\n");
        exit(2);
    }
}

static uint64_t ticks_of(const pid_t *pids, unsigned n)
{
    uint64_t sum = 0;
    struct load_sample s;
    for (unsigned i = 0; i < n; i++)
        if (pids[i] > 0 && load_sample_take(pids[i], &s) == 0)
            sum += s.ticks;
    return sum;
}

/* Forks the publisher process (0) and the receiver processes (1..P). */
static unsigned fork_bots(const struct bot_config *cfg, struct load_shm *shm, unsigned procs,
                          pid_t *pids)
{
    unsigned receivers = cfg->n_total - 1 - cfg->n_speakers, first = 1 + cfg->n_speakers;
    for (unsigned i = 0; i <= procs; i++) {
        unsigned mine = i == 0 ? 0 : receivers / procs + (i - 1 < receivers % procs ? 1 : 0);
        fflush(NULL);
        pids[i] = fork();
        if (pids[i] == 0) {
            int rc = bot_proc_main(cfg, shm, i, first + (i ? i - 1 : 0), procs, mine, i == 0);
            fflush(NULL);
            _exit(rc);
        }
        if (pids[i] < 0)
            return i;
    }
    return procs + 1;
}

static void wait_bots(pid_t *pids, unsigned n, unsigned limit_s)
{
    uint64_t t0 = sq_now_us();
    for (unsigned i = 0; i < n; i++) {
        int status;
        while (pids[i] > 0 && waitpid(pids[i], &status, WNOHANG) == 0) {
            if (sq_now_us() - t0 > (uint64_t)limit_s * 1000000u) {
                fprintf(stderr, "load: bot process %d did not end in time: killed\n", pids[i]);
                kill(pids[i], SIGKILL);
                waitpid(pids[i], &status, 0);
                break;
            }
            usleep(20000);
        }
        if (pids[i] > 0 && WIFSIGNALED(status))
            fprintf(stderr, "load: bot process %d died of signal %d\n", pids[i],
                    WTERMSIG(status));
        pids[i] = 0;
    }
}

/* Waits until every bot has media or has failed, within a bound. */
static double wait_joins(const struct load_shm *shm, unsigned n, const struct bot_config *cfg,
                         const struct load_server *srv)
{
    uint64_t t0 = sq_now_us(), next_print = t0 + 5000000u;
    uint64_t limit = (20u + (n / cfg->join_rate) + cfg->join_timeout_s) * 1000000ull;
    for (uint64_t now = t0; now - t0 < limit; now = sq_now_us()) {
        unsigned up = atomic_load(&shm->ctl.media_up), failed = atomic_load(&shm->ctl.failed);
        if (up + failed >= n || !load_server_alive(srv))
            break;
        if (now >= next_print) {
            fprintf(stderr, "load: joining: %u of %u with media, %u failed\n", up, n, failed);
            next_print = now + 5000000u;
        }
        usleep(100000);
    }
    return (double)(sq_now_us() - t0) / 1e6;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int start_server(const struct options *o, struct load_server *srv, unsigned n)
{
    char err[512];
    memset(srv, 0, sizeof(*srv));
    snprintf(srv->host, sizeof(srv->host), "%s", o->cfg.host);
    if (o->server_pid) {
        srv->pid = o->server_pid;
        srv->port = o->cfg.ws_port ? o->cfg.ws_port : 8080;
        return 0;
    }
    srv->port = o->cfg.ws_port ? o->cfg.ws_port : (uint16_t)(20000 + random() % 20000);
    srv->media_port = (uint16_t)(srv->port + 1);
    snprintf(srv->bin, sizeof(srv->bin), "%s", o->server_bin);
    srv->workers = o->workers;
    snprintf(srv->data_dir, sizeof(srv->data_dir), "%s/sabaq-load-XXXXXX", o->scratch);
    if (!mkdtemp(srv->data_dir)) {
        fprintf(stderr, "load: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    snprintf(srv->log_path, sizeof(srv->log_path), "/tmp/sabaq-load-server-%u.log", n);
    if (load_server_start(srv, err, sizeof(err)) != 0) {
        fprintf(stderr, "load: %s\n", err);
        return -1;
    }
    return 0;
}

static void stop_server(struct load_server *srv)
{
    if (!srv->owned)
        return;
    load_server_stop(srv);
    nftw(srv->data_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Tokens for `join` (docs/protocol.md): given, or from a lesson made through
 * the staff sign-in; without either, the bots join by lesson id. */
static int join_setup(const struct options *o, const struct load_server *srv, unsigned n,
                      struct bot_config *cfg)
{
    char err[512];
    const char *dir = srv->owned ? srv->data_dir : o->data_dir;
    unsigned max = n > 500 ? 500 : n;   /* the server's limit per lesson */
    if (cfg->token_teacher[0] || !dir[0])
        return 0;
    if (load_lesson_create(srv, o->server_bin, dir, max, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "load: cannot make the lesson: %s\n", err);
        return -1;
    }
    return 0;
}

static void measure(const struct options *o, struct load_run_input *in, struct load_server *srv,
                    pid_t *pids, unsigned n_pids, struct load_shm *shm)
{
    in->have_stats = load_stats_fetch(srv, &in->stats_before) == 0;
    load_sample_take(srv->pid, &in->before);
    uint64_t bots0 = ticks_of(pids, n_pids);
    atomic_store(&shm->ctl.phase, LOAD_PHASE_MEASURE);
    uint64_t end = sq_now_us() + (uint64_t)o->duration_s * 1000000u;
    while (sq_now_us() < end && load_server_alive(srv) &&
           atomic_load(&shm->ctl.procs_done) == 0)
        usleep(200000);
    load_sample_take(srv->pid, &in->after);
    in->have_stats &= load_stats_fetch(srv, &in->stats_after) == 0;
    uint64_t bots1 = ticks_of(pids, n_pids);
    atomic_store(&shm->ctl.phase, LOAD_PHASE_STOP);
    double w = (double)(in->after.at_us - in->before.at_us) / 1e6;
    in->bots_cpu_pct =
        w > 0 ? 100.0 * (double)(bots1 - bots0) / (double)sysconf(_SC_CLK_TCK) / w : 0;
}

static int run_one(const struct options *o, struct load_shm *shm, unsigned n,
                   struct load_row *row)
{
    struct bot_config cfg = o->cfg;
    struct load_server srv;
    pid_t pids[LOAD_MAX_PROCS] = {0};
    unsigned receivers = n - 1 - cfg.n_speakers;
    unsigned procs = o->procs ? o->procs : (receivers + 127) / 128;
    procs = procs < 1 ? 1 : procs > 4 && !o->procs ? 4 : procs;
    cfg.n_total = n;
    if (!cfg.lesson[0])
        snprintf(cfg.lesson, sizeof(cfg.lesson), "load-%d-%u", (int)getpid(), n);
    cfg.hard_limit_s = 60 + receivers / cfg.join_rate + cfg.join_timeout_s + SETTLE_S +
                       o->duration_s;
    if (start_server(o, &srv, n) != 0)
        return -1;
    cfg.ws_port = srv.port;
    if (join_setup(o, &srv, n, &cfg) != 0) {
        stop_server(&srv);
        return -1;
    }
    struct load_run_input in = {.cfg = &cfg, .n = n, .n_procs = procs + 1, .shm = shm};
    usleep(300000);
    load_sample_take(srv.pid, &in.idle);
    load_shm_reset(shm);
    shm->ctl.t0_us = sq_now_us();
    printf("\n== N=%u: 1 teacher, %u speakers, %u receivers; 1 publisher process + %u receiver "
           "processes; lesson %s\n", n, cfg.n_speakers, receivers, procs, cfg.lesson);
    fflush(stdout);
    unsigned forked = fork_bots(&cfg, shm, procs, pids);
    if (forked == procs + 1) {
        in.join_phase_s = wait_joins(shm, n, &cfg, &srv);
        fprintf(stderr, "load: join phase %.1f s: %u with media, %u failed\n", in.join_phase_s,
                atomic_load(&shm->ctl.media_up), atomic_load(&shm->ctl.failed));
        sleep(SETTLE_S);
        measure(o, &in, &srv, pids, forked, shm);
    }
    atomic_store(&shm->ctl.phase, LOAD_PHASE_STOP);
    wait_bots(pids, forked, 30);
    load_row_make(row, &in);
    load_row_print(stdout, row, &cfg);
    fflush(stdout);
    if (!load_server_alive(&srv))
        printf("  the server died during the run (see %s)\n", srv.log_path);
    stop_server(&srv);
    return forked == procs + 1 ? 0 : -1;
}

static void print_header(const struct options *o)
{
    const struct bot_config *c = &o->cfg;
    char rembs[96] = "";
    for (unsigned i = 0, used = 0; i < c->n_remb; i++)
        used += (unsigned)snprintf(rembs + used, sizeof(rembs) - used, "%s%u", i ? "/" : "",
                                   c->remb_bps[i] / 1000);
    printf("bench/load: scenario classroom-%u against %s%s\n", o->n,
           o->server_pid ? "a running server, pid " : o->server_bin,
           o->server_pid ? "" : " (started here, in a private network namespace: loopback only)");
    if (o->server_pid)
        printf("  (pid %d)\n", (int)o->server_pid);
    printf("teacher: VP8 camera %ux%u@%u + %ux%u@%u + %ux%u@%u kbit/s at %u fps (rids %s/%s/%s, "
           "RTX), screen share %ux%u@%u at %u fps;\n", c->layers[0].width, c->layers[0].height,
           c->layers[0].kbps, c->layers[1].width, c->layers[1].height, c->layers[1].kbps,
           c->layers[2].width, c->layers[2].height, c->layers[2].kbps, c->fps, c->layers[0].rid,
           c->layers[1].rid, c->layers[2].rid, c->screen.width, c->screen.height,
           c->screen.kbps, c->screen_fps);
    printf("%u speakers: Opus tone in turns of %u ms (one at a time, the others muted); "
           "everyone answers subscribe offers; window %u s, receivers join at %u/s\n",
           c->n_speakers, c->speak_turn_ms, o->duration_s, c->join_rate);
    printf("method: latency = a packet's receive time - its send time, matched by a hash of the\n"
           "  payload the SFU forwards unchanged, through a map shared in memory by every bot\n"
           "  process (CLOCK_MONOTONIC is machine-wide); it includes the bots' own scheduling\n"
           "  (receivers read their sockets once a millisecond: up to 1 ms of it).\n"
           "  %u receivers per process decode everything (libvpx/libopus); all receivers verify\n"
           "  SRTP, RTP, the VP8 descriptor and frame continuity (decoding 500 streams would\n"
           "  need more CPU than the machine has). Bots send RR + REMB each second (receivers\n"
           "  claim %s kbit/s in turn)%s, PLI on a broken frame when decoding; no NACK: loss\n"
           "  is raw.\n", c->decode_sample, rembs,
           c->twcc ? " and transport-cc feedback every 100 ms" : "");
}

int main(int argc, char **argv)
{
    struct options o;
    char err[512];
    defaults(&o);
    parse_options(&o, argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    srandom((unsigned)getpid() ^ (unsigned)sq_now_us());
    struct rlimit rl = {65536, 65536};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
        rl.rlim_cur < 4 * LOAD_MAX_BOTS)
        fprintf(stderr, "load: only %llu file descriptors allowed\n",
                (unsigned long long)rl.rlim_cur);
    if (!o.server_pid && load_netns_enter(err, sizeof(err)) != 0) {
        fprintf(stderr, "load: %s\n", err);
        return 1;
    }
    struct load_shm *shm = load_shm_new();
    if (!shm) {
        fprintf(stderr, "load: cannot map the shared block\n");
        return 1;
    }
    unsigned ns[MAX_RUNS], runs = 0;
    static const unsigned sweep[] = {50, 100, 250};
    for (unsigned i = 0; o.sweep && i < 3; i++)
        if (sweep[i] < o.n)
            ns[runs++] = sweep[i];
    ns[runs++] = o.n;
    print_header(&o);
    struct load_row rows[MAX_RUNS];
    memset(rows, 0, sizeof(rows));
    unsigned done = 0;
    for (unsigned i = 0; i < runs; i++)
        if (run_one(&o, shm, ns[i], &rows[done]) == 0 || rows[done].up)
            done++;
    if (done)
        load_table_print(stdout, rows, done, &o.cfg);
    load_janus_compare(stdout, done ? &rows[done - 1] : NULL);
    load_shm_free(shm);
    return done == runs ? 0 : 1;
}
