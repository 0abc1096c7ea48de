/* bench/fwd's flags and their defaults: a default run stays under two minutes
 * on a 2-core VM; --quick is a smoke test of a few seconds. */
#include "fwd_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
    "usage: fwd [flags]\n"
    "  --n 1,10,100,500   subscriber counts (one row per profile and N)\n"
    "  --out 600000       RTP copies out per row (inputs = out / N, clamped)\n"
    "  --min-in 1000      fewest input packets per row\n"
    "  --max-in 60000     most input packets per row (the pre-generated stream)\n"
    "  --warmup 64        untimed input packets before each row (keyframe first)\n"
    "  --batch 32         tx_batch slots (datagrams per sendmmsg at most)\n"
    "  --burst 1          input packets between tx_batch flushes\n"
    "  --rcvbuf 4096      SO_RCVBUF of the subscribers' sockets (0: kernel default)\n"
    "  --srtp-iters 200000 protect calls per SRTP limit (fastest fifth kept)\n"
    "  --reps 3           runs per row, each followed by its I/O limit; the fastest of each kept\n"
    "  --profile both     cm | gcm | both (the subscribers' SRTP profile)\n"
    "  --cpu K            pin to CPU K (default: the CPU the bench starts on)\n"
    "  --no-limits        skip the limit loops (for perf record of the forwarding path)\n"
    "  --quick            --out 50000 --max-in 5000 --srtp-iters 20000 --reps 1\n";

static int parse_list(struct fwd_options *o, const char *s)
{
    o->n_ns = 0;
    while (*s) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (end == s || v == 0 || v > 100000 || o->n_ns == FWD_MAX_NS)
            return -1;
        o->ns[o->n_ns++] = v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return o->n_ns ? 0 : -1;
}

static int number(const char *s, unsigned long long min, unsigned long long *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || v < min)
        return -1;
    *out = v;
    return 0;
}

static int set(struct fwd_options *o, const char *flag, const char *val)
{
    unsigned long long v = 0;
    if (!strcmp(flag, "--n"))
        return parse_list(o, val);
    if (!strcmp(flag, "--profile")) {
        o->cm = !strcmp(val, "cm") || !strcmp(val, "both");
        o->gcm = !strcmp(val, "gcm") || !strcmp(val, "both");
        return o->cm || o->gcm ? 0 : -1;
    }
    bool zero_ok = !strcmp(flag, "--rcvbuf") || !strcmp(flag, "--cpu");
    if (number(val, zero_ok ? 0 : 1, &v) != 0)
        return -1;
    if (!strcmp(flag, "--out"))
        o->out_target = v;
    else if (!strcmp(flag, "--min-in"))
        o->min_in = v;
    else if (!strcmp(flag, "--max-in"))
        o->max_in = v;
    else if (!strcmp(flag, "--warmup"))
        o->warmup = v;
    else if (!strcmp(flag, "--batch") && v <= 1024)
        o->batch = v;
    else if (!strcmp(flag, "--burst"))
        o->burst = v;
    else if (!strcmp(flag, "--rcvbuf") && v <= 1u << 30)
        o->rcvbuf = (int)v;
    else if (!strcmp(flag, "--reps") && v <= 100)
        o->reps = v;
    else if (!strcmp(flag, "--srtp-iters"))
        o->srtp_iters = v;
    else if (!strcmp(flag, "--cpu") && v < 4096)
        o->cpu = (int)v;
    else
        return -1;
    return 0;
}

int fwd_options_parse(struct fwd_options *o, int argc, char **argv)
{
    *o = (struct fwd_options){ .ns = { 1, 10, 100, 500 }, .n_ns = 4, .out_target = 600000,
                               .min_in = 1000, .max_in = 60000, .warmup = 64, .batch = 32,
                               .burst = 1, .rcvbuf = 4096, .srtp_iters = 200000, .reps = 3, .cpu = -1,
                               .cm = true, .gcm = true };
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(USAGE, stdout);
            return 1;
        }
        if (!strcmp(argv[i], "--no-limits")) {
            o->no_limits = true;
            continue;
        }
        if (!strcmp(argv[i], "--quick")) {
            o->out_target = 50000;
            o->max_in = 5000;
            o->srtp_iters = 20000;
            o->reps = 1;
            continue;
        }
        if (i + 1 >= argc || set(o, argv[i], argv[i + 1]) != 0) {
            fprintf(stderr, "fwd: bad flag or value: %s\n%s", argv[i], USAGE);
            return -1;
        }
        i++;
    }
    if (o->min_in > o->max_in)
        o->min_in = o->max_in;
    return 0;
}
