/* bench/load: the server under test. Either the bench starts ./build/sabaq
 * itself inside a private network namespace it made (unshare -n, only
 * loopback), or it is given a running server by --server-pid (and must then
 * run in that server's namespace). What it measures of the server comes from
 * /proc/<pid> and from GET /api/stats (docs/protocol.md). */
#ifndef SABAQ_BENCH_LOAD_SERVER_H
#define SABAQ_BENCH_LOAD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LOAD_MAX_THREADS 32
#define LOAD_MAX_CORES 64

struct load_server {
    pid_t pid;
    bool owned;                  /* started here: stopped here */
    char host[64];
    uint16_t port, media_port;
    char bin[256];
    char data_dir[256];
    char log_path[300];
    unsigned workers;            /* --workers for the server, 0 = its default */
};

/* Moves this process into a new network namespace with only `lo`, up. */
int load_netns_enter(char *err, size_t cap);

/* Starts the server (stdout/stderr to log_path), waits until it accepts
 * HTTP. 0 or -1 with a reason in err. */
int load_server_start(struct load_server *s, char *err, size_t cap);
void load_server_stop(struct load_server *s);
bool load_server_alive(const struct load_server *s);

struct load_thread_cpu {
    int tid;
    char name[20];
    uint64_t ticks;
};

/* A snapshot of a process (and of the machine's cores) at one instant. */
struct load_sample {
    uint64_t at_us;
    uint64_t ticks;              /* utime + stime, clock ticks */
    uint64_t rss_kb, hwm_kb;
    unsigned n_threads;
    struct load_thread_cpu threads[LOAD_MAX_THREADS];
    unsigned n_cores;
    uint64_t core_busy[LOAD_MAX_CORES], core_total[LOAD_MAX_CORES]; /* /proc/stat jiffies */
};
int load_sample_take(pid_t pid, struct load_sample *out);

/* The counters of GET /api/stats that the report uses. */
struct load_stats {
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
    uint64_t drops;              /* sum of every media drop_* counter */
    uint64_t nack_received, rtx_sent, pli_forwarded, pli_suppressed;
    uint64_t transports, producers, consumers;
    uint64_t participants, connections;
};
int load_stats_fetch(const struct load_server *s, struct load_stats *out);

/* One HTTP/1.1 request (Connection: close, bounded by socket timeouts); the
 * whole response, headers included, lands in resp. `headers` are extra
 * "Name: value\r\n" lines or NULL. Returns the status or -1. */
int load_http(const struct load_server *s, const char *method, const char *path,
              const char *headers, const char *body, char *resp, size_t cap);
const char *load_http_body(const char *resp);

#endif
