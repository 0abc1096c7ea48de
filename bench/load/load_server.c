/* bench/load: starting, watching and stopping the server under test (see
 * load_server.h). Every wait here is bounded. */
#include "load_server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "sabaq/clock.h"

#define READY_LIMIT_US 10000000u
#define STOP_LIMIT_US 10000000u
#define HTTP_LIMIT_S 5

int load_netns_enter(char *err, size_t cap)
{
    if (unshare(CLONE_NEWNET) != 0) {
        snprintf(err, cap, "unshare(CLONE_NEWNET): %s (run as root, or start the server "
                           "yourself in a namespace and pass --server-pid)", strerror(errno));
        return -1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    int rc = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 ? 0 : -1;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (rc == 0)
        rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        snprintf(err, cap, "cannot bring lo up in the new namespace: %s", strerror(errno));
    return rc;
}

static int connect_http(const struct load_server *s)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(s->port)};
    struct timeval tv = {HTTP_LIMIT_S, 0};
    inet_pton(AF_INET, s->host, &a.sin_addr);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool load_server_alive(const struct load_server *s)
{
    if (!s->owned)
        return kill(s->pid, 0) == 0;
    return waitpid(s->pid, NULL, WNOHANG) == 0;
}

int load_server_start(struct load_server *s, char *err, size_t cap)
{
    char port[8], media[8];
    snprintf(port, sizeof(port), "%u", (unsigned)s->port);
    snprintf(media, sizeof(media), "%u", (unsigned)s->media_port);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, cap, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the bench */
        int fd = open(s->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        char workers[12];
        snprintf(workers, sizeof(workers), "%u", s->workers);
        if (s->workers)
            execl(s->bin, s->bin, "--bind", s->host, "--port", port, "--media-port", media,
                  "--data-dir", s->data_dir, "--workers", workers, (char *)NULL);
        else
            execl(s->bin, s->bin, "--bind", s->host, "--port", port, "--media-port", media,
                  "--data-dir", s->data_dir, (char *)NULL);
        _exit(127);
    }
    s->pid = pid;
    s->owned = true;
    for (uint64_t t0 = sq_now_us(); sq_now_us() - t0 < READY_LIMIT_US; usleep(50000)) {
        if (!load_server_alive(s)) {
            snprintf(err, cap, "%s exited at start (see %s)", s->bin, s->log_path);
            s->pid = 0;
            return -1;
        }
        int fd = connect_http(s);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
    }
    snprintf(err, cap, "%s did not accept HTTP within 10 s (see %s)", s->bin, s->log_path);
    load_server_stop(s);
    return -1;
}

void load_server_stop(struct load_server *s)
{
    if (!s->owned || s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    for (uint64_t t0 = sq_now_us(); sq_now_us() - t0 < STOP_LIMIT_US; usleep(20000))
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            s->pid = 0;
            return;
        }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

static int read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return 0;
}

/* utime + stime (fields 14, 15) of a /proc stat line, and the comm. */
static int parse_stat(const char *text, uint64_t *ticks, char *name, size_t cap)
{
    const char *open = strchr(text, '('), *close = strrchr(text, ')');
    unsigned long long ut, st;
    if (!open || !close || close < open ||
        sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    if (name)
        snprintf(name, cap, "%.*s", (int)(close - open - 1), open + 1);
    *ticks = ut + st;
    return 0;
}

static void sample_threads(pid_t pid, struct load_sample *out)
{
    char path[64], text[1024];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) && out->n_threads < LOAD_MAX_THREADS) {
        struct load_thread_cpu *t = &out->threads[out->n_threads];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat", (int)pid, e->d_name);
        if (read_file(path, text, sizeof(text)) == 0 &&
            parse_stat(text, &t->ticks, t->name, sizeof(t->name)) == 0) {
            t->tid = atoi(e->d_name);
            out->n_threads++;
        }
    }
    if (d)
        closedir(d);
}

static void sample_cores(struct load_sample *out)
{
    static char text[16384];
    if (read_file("/proc/stat", text, sizeof(text)) != 0)
        return;
    for (char *line = strstr(text, "\ncpu"); line && out->n_cores < LOAD_MAX_CORES;
         line = strstr(line + 1, "\ncpu")) {
        unsigned long long v[8] = {0};
        unsigned cpu;
        if (sscanf(line + 1, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 5)
            continue;
        uint64_t total = 0;
        for (int i = 0; i < 8; i++)
            total += v[i];
        out->core_total[out->n_cores] = total;
        out->core_busy[out->n_cores] = total - v[3] - v[4]; /* minus idle and iowait */
        out->n_cores++;
    }
}

int load_sample_take(pid_t pid, struct load_sample *out)
{
    char path[64], text[4096];
    memset(out, 0, sizeof(*out));
    out->at_us = sq_now_us();
    sample_cores(out);
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (read_file(path, text, sizeof(text)) != 0 || parse_stat(text, &out->ticks, NULL, 0) != 0)
        return -1;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (read_file(path, text, sizeof(text)) == 0) {
        const char *rss = strstr(text, "VmRSS:"), *hwm = strstr(text, "VmHWM:");
        unsigned long long kb;
        if (rss && sscanf(rss + 6, "%llu", &kb) == 1)
            out->rss_kb = kb;
        if (hwm && sscanf(hwm + 6, "%llu", &kb) == 1)
            out->hwm_kb = kb;
    }
    sample_threads(pid, out);
    return 0;
}

static uint64_t get_u64(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

static void take_stats(json_t *root, struct load_stats *out)
{
    json_t *m = json_object_get(root, "media"), *sig = json_object_get(root, "signaling");
    const char *key;
    json_t *v;
    out->rx_packets = get_u64(m, "rx_packets");
    out->rx_bytes = get_u64(m, "rx_bytes");
    out->tx_packets = get_u64(m, "tx_packets");
    out->tx_bytes = get_u64(m, "tx_bytes");
    out->nack_received = get_u64(m, "nack_received");
    out->rtx_sent = get_u64(m, "rtx_sent");
    out->pli_forwarded = get_u64(m, "pli_forwarded");
    out->pli_suppressed = get_u64(m, "pli_suppressed");
    out->transports = get_u64(m, "transports");
    out->producers = get_u64(m, "producers");
    out->consumers = get_u64(m, "consumers");
    json_object_foreach(m, key, v) {
        if (strncmp(key, "drop_", 5) == 0)
            out->drops += get_u64(m, key);
    }
    out->participants = get_u64(sig, "participants");
    out->connections = get_u64(sig, "connections");
}

int load_http(const struct load_server *s, const char *method, const char *path,
              const char *headers, const char *body, char *resp, size_t cap)
{
    int fd = connect_http(s);
    if (fd < 0 || cap < 2)
        return -1;
    size_t blen = body ? strlen(body) : 0;
    char *req = NULL;
    int n = asprintf(&req, "%s %s HTTP/1.1\r\nHost: %s:%u\r\nConnection: close\r\n%s"
                           "Content-Length: %zu\r\n\r\n%s", method, path, s->host,
                     (unsigned)s->port, headers ? headers : "", blen, body ? body : "");
    if (n < 0 || write(fd, req, (size_t)n) != n) {
        free(n < 0 ? NULL : req);
        close(fd);
        return -1;
    }
    free(req);
    size_t len = 0;
    for (int i = 0; i < 1000 && len < cap - 1; i++) {
        ssize_t r = read(fd, resp + len, cap - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    resp[len] = '\0';
    int status;
    return sscanf(resp, "HTTP/1.%*d %d", &status) == 1 ? status : -1;
}

const char *load_http_body(const char *resp)
{
    const char *b = strstr(resp, "\r\n\r\n");
    return b ? b + 4 : "";
}

int load_stats_fetch(const struct load_server *s, struct load_stats *out)
{
    static char buf[1 << 16];
    memset(out, 0, sizeof(*out));
    if (load_http(s, "GET", "/api/stats", NULL, NULL, buf, sizeof(buf)) != 200)
        return -1;
    json_error_t e;
    json_t *root = json_loads(load_http_body(buf), JSON_DISABLE_EOF_CHECK, &e);
    if (!root)
        return -1;
    take_stats(root, out);
    json_decref(root);
    return 0;
}
