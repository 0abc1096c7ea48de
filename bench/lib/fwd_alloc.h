/* Heap-call counters for bench/fwd's "no malloc per packet" proof. */
#ifndef SABAQ_BENCH_FWD_ALLOC_H
#define SABAQ_BENCH_FWD_ALLOC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct fwd_alloc_counts {
    uint64_t malloc, calloc, realloc, memalign, free;
    uint64_t from_exe;           /* allocations called from this executable (bench + libsabaq.a) */
};

/* Calls made so far by anyone in the process (this bench, libsabaq, OpenSSL,
 * libsrtp2 and NSS alike). Take two snapshots and subtract. */
void fwd_alloc_snapshot(struct fwd_alloc_counts *out);
/* after - before; returns the allocations (malloc + calloc + realloc + memalign). */
uint64_t fwd_alloc_delta(const struct fwd_alloc_counts *before, const struct fwd_alloc_counts *after,
                         struct fwd_alloc_counts *delta);
void fwd_alloc_add(struct fwd_alloc_counts *sum, const struct fwd_alloc_counts *d);

/* While armed, the call stack of the first allocation is kept (once per
 * process) so the report can say where a per-packet malloc comes from. */
void fwd_alloc_arm(bool on);
/* Prints that stack (symbols need -rdynamic for libsabaq's functions); false
 * when no allocation happened while armed. */
bool fwd_alloc_print_first(FILE *f);

#endif
