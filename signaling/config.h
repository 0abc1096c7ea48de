/* Sabaq's settings: defaults, then a `key = value` file (--config), then
 * command-line flags, which win. Parsing is pure (no files touched but the
 * config file, nothing started), so tests call it directly. */
#ifndef SIGNALING_CONFIG_H
#define SIGNALING_CONFIG_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sabaq/sdp.h"

#define CONFIG_MAX_PUBLIC_IPS SDP_MAX_CANDIDATES
#define CONFIG_PATH_MAX 1024
#define CONFIG_MAX_WORKERS 32                  /* MESH_MAX_WORKERS */
#define CONFIG_MAX_KEEP_DAYS 36500             /* RECORDING_RETENTION_MAX_DAYS */

struct config {
    uint16_t port;                         /* HTTP/WebSocket, 8080 */
    char bind[INET6_ADDRSTRLEN];           /* HTTP and media, "127.0.0.1" */
    uint16_t media_port;                   /* the one UDP port, 40000 */
    size_t n_public_ips;                   /* 0: derive from bind (config_announce) */
    char public_ips[CONFIG_MAX_PUBLIC_IPS][INET6_ADDRSTRLEN];
    char data_dir[CONFIG_PATH_MAX];        /* "./data" */
    char web_root[CONFIG_PATH_MAX];        /* "./web" */
    char tls_cert[CONFIG_PATH_MAX];        /* "" = plain HTTP */
    char tls_key[CONFIG_PATH_MAX];
    char config_file[CONFIG_PATH_MAX];     /* "" = none */
    unsigned workers;                      /* media workers; 0 = one per online core */
    unsigned recordings_keep_days;         /* delete recordings older than this; 0 = never */
};

enum config_result { CONFIG_ERROR = -1, CONFIG_OK = 0, CONFIG_HELP = 1 };

void config_defaults(struct config *c);

/* Fills c from defaults, the --config file and argv. CONFIG_HELP for
 * --help/-h; CONFIG_ERROR with a sentence in err. */
enum config_result config_parse(struct config *c, int argc, char **argv, char *err, size_t cap);

/* Applies a config file on top of c. 0, or -1 with a sentence in err. */
int config_load_file(struct config *c, const char *path, char *err, size_t cap);

void config_usage(FILE *out);

/* True when bind is 0.0.0.0 or :: (every interface). */
int config_binds_all(const struct config *c);

/* The addresses to announce in ICE candidates: --public-ip, else the bind
 * address, else (wildcard bind) every non-loopback interface address, IPv4
 * first (IPv6 only when binding ::, link-local skipped), falling back to
 * loopback when there is none. Returns how many were written (<= cap). */
size_t config_announce(const struct config *c, char out[][INET6_ADDRSTRLEN], size_t cap);

#endif
