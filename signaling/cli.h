/* `sabaq staff add|list|revoke|link`: the school's admin manages teachers and
 * assistants from the command line, with the server's settings (--data-dir,
 * --config, --port ... as for the server), while the server runs (SQLite
 * WAL). Also the first teacher a fresh data directory gets. */
#ifndef SIGNALING_CLI_H
#define SIGNALING_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct store;

/* argv[1] is "staff". Returns the process's exit status. */
int cli_staff(int argc, char **argv);

/* "http://127.0.0.1:8080" (https with --tls-cert): where browsers reach the server. */
void cli_origin(const struct config *c, char *out, size_t cap);

/* On an empty staff table: makes the teacher "Teacher" and prints "First
 * teacher created: sign in at <link>". 0 (also when there is staff), -1. */
int cli_first_teacher(struct store *st, const unsigned char *secret, const struct config *c,
                      int64_t now_ms);

#endif
