/* bench/load: the Janus comparison (issue 4: the same scenario against
 * Janus's videoroom, then the ratio Sabaq/Janus of server CPU per forwarded
 * packet). It runs only where the Debian `janus` package is installed. */
#ifndef SABAQ_BENCH_LOAD_JANUS_H
#define SABAQ_BENCH_LOAD_JANUS_H

#include <stdio.h>

#include "load_report.h"

/* Prints the comparison, or why it was skipped. */
void load_janus_compare(FILE *f, const struct load_row *sabaq);

#endif
