/* bench/fwd's command line. */
#ifndef SABAQ_BENCH_FWD_OPTIONS_H
#define SABAQ_BENCH_FWD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FWD_MAX_NS 16

struct fwd_options {
    size_t ns[FWD_MAX_NS], n_ns; /* subscriber counts, one row each */
    uint64_t out_target;         /* RTP copies out per row: inputs = out_target / N, clamped */
    size_t min_in, max_in;
    size_t warmup;               /* untimed inputs first (the keyframe among them) */
    size_t batch;                /* tx_batch slots = datagrams per sendmmsg at most */
    size_t burst;                /* inputs between flushes */
    int rcvbuf;                  /* SO_RCVBUF of the sinks, 0 = kernel default */
    size_t srtp_iters;           /* protect calls per SRTP limit */
    size_t reps;                 /* runs per row, the fastest kept */
    int cpu;                     /* -1: the CPU the bench starts on */
    bool cm, gcm;                /* subscriber profiles to run */
    bool no_limits;              /* only the forwarding path (profiling) */
};

/* Defaults, then argv. 0, 1 when --help was printed, -1 on a bad flag. */
int fwd_options_parse(struct fwd_options *o, int argc, char **argv);

#endif
