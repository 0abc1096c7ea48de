/* bench/load: turning one run's raw measurements (server samples, /api/stats
 * deltas, the bot processes' counters) into figures, and printing them: a
 * block per run, then one table with a row per participant count. */
#ifndef SABAQ_BENCH_LOAD_REPORT_H
#define SABAQ_BENCH_LOAD_REPORT_H

#include <stdio.h>

#include "bot.h"
#include "load_server.h"
#include "load_shm.h"

struct load_run_input {
    const struct bot_config *cfg;
    unsigned n, n_procs;
    double join_phase_s;
    struct load_sample idle, before, after;   /* server process */
    struct load_stats stats_before, stats_after;
    bool have_stats;
    double bots_cpu_pct;         /* bot processes in the window, % of one core */
    const struct load_shm *shm;
};

struct load_row {
    unsigned n, up, failed;
    double window_s;
    double cpu_core_pct;         /* server CPU, % of one core */
    double cpu_machine_pct;      /* server CPU, % of all cores */
    unsigned n_cores;
    double core_busy_pct[LOAD_MAX_CORES]; /* whole machine, every process */
    unsigned n_threads;
    struct load_thread_cpu threads[LOAD_MAX_THREADS];
    double thread_pct[LOAD_MAX_THREADS];
    double rss_mb, rss_idle_mb, kb_per_participant;
    double pps_in, pps_out, mbps_in, mbps_out;
    double us_per_packet_out;
    uint64_t drops, nacks, rtx, plis;
    double loss_pct;
    uint64_t expected, received;
    double lat_v50, lat_v99, lat_a50, lat_a99;
    uint64_t lat_v_n, lat_a_n;
    double join50, join99, sig50, sig99, dtls50, dtls99;
    uint64_t decode_errors, audio_decode_errors, size_errors, srtp_errors, vp8_errors;
    uint64_t seq_jumps, foreign_layer;
    uint64_t frames_decoded, audio_decoded, frames_complete, frames_incomplete;
    unsigned decoders;
    uint64_t layer_bots[LOAD_LAYERS + 1], layer_packets[LOAD_LAYERS + 1];
    uint64_t screen_bots, no_camera_bots;
    double bots_cpu_pct;         /* every bot process together, % of one core */
    double encode_ms;            /* VP8 encode time per frame, any layer */
    uint64_t encode_frames;
    double tx_mbps;              /* what the publishers sent */
    char loadavg[64];            /* /proc/loadavg at the end of the window */
    unsigned n_procs;
    uint64_t proc_rx[LOAD_MAX_PROCS], proc_cpu_ms[LOAD_MAX_PROCS];
    char note[200];
};

void load_row_make(struct load_row *row, const struct load_run_input *in);
void load_row_print(FILE *f, const struct load_row *row, const struct bot_config *cfg);
void load_table_print(FILE *f, const struct load_row *rows, unsigned n,
                      const struct bot_config *cfg);

#endif
