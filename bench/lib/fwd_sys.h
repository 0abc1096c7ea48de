/* The machine bench/fwd runs on: what it is and how the bench holds it. */
#ifndef SABAQ_BENCH_FWD_SYS_H
#define SABAQ_BENCH_FWD_SYS_H

#include <stddef.h>

/* Pins the calling thread to `cpu` (or, when negative, the CPU it runs on).
 * Returns the CPU or -1. */
int fwd_sys_pin(int cpu);
/* "model name" from /proc/cpuinfo, or "unknown". */
void fwd_sys_cpu_model(char *out, size_t cap);
/* First line of a small file ("" when unreadable), newline removed. */
void fwd_sys_read_line(const char *path, char *out, size_t cap);
/* Raises RLIMIT_NOFILE's soft limit so `want` descriptors fit. 0 or -1. */
int fwd_sys_want_fds(size_t want);

#endif
