/* Sabaq's settings: defaults < config file < flags. Every key of the file is
 * a long option without its dashes. Values are checked here so the server
 * never starts half-configured. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum key { K_PORT, K_BIND, K_MEDIA_PORT, K_PUBLIC_IP, K_DATA_DIR, K_WEB_ROOT, K_TLS_CERT,
           K_TLS_KEY, K_CONFIG, K_WORKERS, K_RECORDINGS_KEEP_DAYS };

static const struct option_def {
    const char *name;
    enum key key;
    const char *arg;
    const char *help;
} options[] = {
    {"port", K_PORT, "N", "HTTP/WebSocket port (default 8080)"},
    {"bind", K_BIND, "ADDR",
     "address for HTTP and media (default 127.0.0.1; 0.0.0.0 or :: for a school server)"},
    {"media-port", K_MEDIA_PORT, "N", "the one UDP port for all media (default 40000)"},
    {"public-ip", K_PUBLIC_IP, "ADDR",
     "address put in ICE candidates, repeatable (default: the bind address, or every\n"
     "                        interface address when binding 0.0.0.0 or ::)"},
    {"data-dir", K_DATA_DIR, "DIR", "where Sabaq keeps its data (default ./data, created)"},
    {"web-root", K_WEB_ROOT, "DIR", "the web page's files (default ./web)"},
    {"tls-cert", K_TLS_CERT, "FILE",
     "serve HTTPS/WSS with this certificate (browsers on other machines need it:\n"
     "                        getUserMedia wants a secure context; localhost does not)"},
    {"tls-key", K_TLS_KEY, "FILE", "private key of --tls-cert"},
    {"workers", K_WORKERS, "N",
     "media worker threads sharing the media port, 1 to 32 (default: one per core)"},
    {"recordings-keep-days", K_RECORDINGS_KEEP_DAYS, "N",
     "delete recordings that ended more than N days ago, at start-up and hourly\n"
     "                        (default 0: keep every recording)"},
    {"config", K_CONFIG, "FILE",
     "read `key = value` lines (keys: the options above without dashes; '#' comments);\n"
     "                        flags override the file"},
};
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof(*c));
    c->port = 8080;
    snprintf(c->bind, sizeof(c->bind), "127.0.0.1");
    c->media_port = 40000;
    snprintf(c->data_dir, sizeof(c->data_dir), "./data");
    snprintf(c->web_root, sizeof(c->web_root), "./web");
}

void config_usage(FILE *out)
{
    fprintf(out, "Usage: sabaq [options]\n"
                 "A live videoconference classroom server (WebRTC SFU).\n\nOptions:\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        char left[40];
        snprintf(left, sizeof(left), "--%s %s", options[i].name, options[i].arg);
        if (strlen(left) > 21)   /* too wide for the column: the help on its own line */
            fprintf(out, "  %s\n  %-21s %s\n", left, "", options[i].help);
        else
            fprintf(out, "  %-21s %s\n", left, options[i].help);
    }
    fprintf(out, "  %-21s %s\n", "--help", "show this help");
}

static const struct option_def *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
            return &options[i];
    return NULL;
}

static bool parse_port(const char *v, uint16_t *out)
{
    char *end;
    if (!isdigit((unsigned char)v[0]))
        return false;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || *end || n < 1 || n > 65535)
        return false;
    *out = (uint16_t)n;
    return true;
}

static bool parse_workers(const char *v, unsigned *out)
{
    char *end;
    if (!isdigit((unsigned char)v[0]))
        return false;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || *end || n < 1 || n > CONFIG_MAX_WORKERS)
        return false;
    *out = (unsigned)n;
    return true;
}

/* 0 to max days. */
static bool parse_days(const char *v, unsigned max, unsigned *out)
{
    char *end;
    if (!isdigit((unsigned char)v[0]))
        return false;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno || *end || n > max)
        return false;
    *out = (unsigned)n;
    return true;
}

static bool is_ip(const char *v)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, v, buf) == 1 || inet_pton(AF_INET6, v, buf) == 1;
}

static int copy_value(char *dst, size_t cap, const char *name, const char *v, char *err,
                      size_t errcap)
{
    if (!v[0])
        return fail(err, errcap, "--%s needs a value", name);
    if (strlen(v) >= cap)
        return fail(err, errcap, "--%s value is too long", name);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

/* Sets one option after checking its value. */
static int apply(struct config *c, const struct option_def *o, const char *v, char *err,
                 size_t cap)
{
    switch (o->key) {
    case K_PORT:
    case K_MEDIA_PORT:
        if (!parse_port(v, o->key == K_PORT ? &c->port : &c->media_port))
            return fail(err, cap, "--%s must be a port number from 1 to 65535, not \"%s\"",
                        o->name, v);
        return 0;
    case K_BIND:
    case K_PUBLIC_IP:
        if (!is_ip(v))
            return fail(err, cap, "--%s must be a numeric IPv4 or IPv6 address, not \"%s\"",
                        o->name, v);
        if (o->key == K_BIND)
            return copy_value(c->bind, sizeof(c->bind), o->name, v, err, cap);
        if (c->n_public_ips == CONFIG_MAX_PUBLIC_IPS)
            return fail(err, cap, "at most %d --public-ip addresses", CONFIG_MAX_PUBLIC_IPS);
        return copy_value(c->public_ips[c->n_public_ips++], INET6_ADDRSTRLEN, o->name, v, err,
                          cap);
    case K_DATA_DIR: return copy_value(c->data_dir, sizeof(c->data_dir), o->name, v, err, cap);
    case K_WEB_ROOT: return copy_value(c->web_root, sizeof(c->web_root), o->name, v, err, cap);
    case K_TLS_CERT: return copy_value(c->tls_cert, sizeof(c->tls_cert), o->name, v, err, cap);
    case K_TLS_KEY: return copy_value(c->tls_key, sizeof(c->tls_key), o->name, v, err, cap);
    case K_CONFIG:
        return copy_value(c->config_file, sizeof(c->config_file), o->name, v, err, cap);
    case K_WORKERS:
        if (!parse_workers(v, &c->workers))
            return fail(err, cap, "--workers must be a number from 1 to %d, not \"%s\"",
                        CONFIG_MAX_WORKERS, v);
        return 0;
    case K_RECORDINGS_KEEP_DAYS:
        if (!parse_days(v, CONFIG_MAX_KEEP_DAYS, &c->recordings_keep_days))
            return fail(err, cap, "--%s must be a number of days from 0 (keep every recording) "
                        "to %d, not \"%s\"", o->name, CONFIG_MAX_KEEP_DAYS, v);
        return 0;
    }
    return fail(err, cap, "unknown option");
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* A '#' starts a comment at the start of a line or after a space, so a path
 * like "a#b" stays whole. */
static void strip_comment(char *line)
{
    for (char *p = line; *p; p++)
        if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            return;
        }
}

static int load_line(struct config *c, char *line, const char *path, int lineno, char *err,
                     size_t cap)
{
    char msg[512];
    strip_comment(line);
    char *key = trim(line);
    if (!*key)
        return 0;
    char *eq = strchr(key, '=');
    if (!eq)
        return fail(err, cap, "%s:%d: expected `key = value`", path, lineno);
    *eq = '\0';
    char *value = trim(eq + 1);
    key = trim(key);
    const struct option_def *o = find_option(key, strlen(key));
    if (!o || o->key == K_CONFIG)
        return fail(err, cap, "%s:%d: unknown key \"%s\"", path, lineno, key);
    if (apply(c, o, value, msg, sizeof(msg)) != 0)
        return fail(err, cap, "%s:%d: %s", path, lineno, msg);
    return 0;
}

int config_load_file(struct config *c, const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(err, cap, "cannot read config file %s: %s", path, strerror(errno));
    char line[CONFIG_PATH_MAX + 64];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f))
            rc = fail(err, cap, "%s:%d: line too long", path, lineno);
        else
            rc = load_line(c, line, path, lineno, err, cap);
    }
    fclose(f);
    return rc;
}

/* Splits argv[*i] into an option and its value ("--x=v" or "--x v"). */
static int next_flag(int argc, char **argv, int *i, const struct option_def **o,
                     const char **value, char *err, size_t cap)
{
    const char *a = argv[*i];
    if (strncmp(a, "--", 2) != 0)
        return fail(err, cap, "unexpected argument \"%s\" (see --help)", a);
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    *o = find_option(name, len);
    if (!*o)
        return fail(err, cap, "unknown option \"%s\" (see --help)", a);
    if (eq) {
        *value = eq + 1;
    } else {
        if (*i + 1 >= argc)
            return fail(err, cap, "--%s needs a value", (*o)->name);
        *value = argv[++*i];
    }
    return 0;
}

enum config_result config_parse(struct config *c, int argc, char **argv, char *err, size_t cap)
{
    const struct option_def *o;
    const char *v;
    config_defaults(c);
    /* First pass: --help and --config, so the file lies under the flags. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return CONFIG_HELP;
        if (next_flag(argc, argv, &i, &o, &v, err, cap) != 0)
            return CONFIG_ERROR;
        if (o->key == K_CONFIG && apply(c, o, v, err, cap) != 0)
            return CONFIG_ERROR;
    }
    if (c->config_file[0] && config_load_file(c, c->config_file, err, cap) != 0)
        return CONFIG_ERROR;
    bool flag_ips = false;
    for (int i = 1; i < argc; i++) {
        if (next_flag(argc, argv, &i, &o, &v, err, cap) != 0)
            return CONFIG_ERROR;
        if (o->key == K_CONFIG)
            continue;
        if (o->key == K_PUBLIC_IP && !flag_ips) {
            c->n_public_ips = 0;   /* flags replace the file's list, not add to it */
            flag_ips = true;
        }
        if (apply(c, o, v, err, cap) != 0)
            return CONFIG_ERROR;
    }
    if (!c->tls_cert[0] != !c->tls_key[0]) {
        fail(err, cap, "--tls-cert and --tls-key go together");
        return CONFIG_ERROR;
    }
    return CONFIG_OK;
}

int config_binds_all(const struct config *c)
{
    return strcmp(c->bind, "0.0.0.0") == 0 || strcmp(c->bind, "::") == 0;
}

static size_t add_unique(char out[][INET6_ADDRSTRLEN], size_t n, size_t cap, const char *a)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(out[i], a) == 0)
            return n;
    if (n < cap)
        snprintf(out[n++], INET6_ADDRSTRLEN, "%s", a);
    return n;
}

static size_t interface_addresses(int family, char out[][INET6_ADDRSTRLEN], size_t n, size_t cap)
{
    struct ifaddrs *list;
    if (getifaddrs(&list) != 0)
        return n;
    for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
        char a[INET6_ADDRSTRLEN];
        if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != family)
            continue;
        if (family == AF_INET) {
            const struct in_addr *in = &((const struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
            if ((ntohl(in->s_addr) >> 24) == 127)
                continue;
            inet_ntop(AF_INET, in, a, sizeof(a));
        } else {
            const struct in6_addr *in6 = &((const struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
            /* Link-local addresses need a scope id no candidate can carry. */
            if (IN6_IS_ADDR_LOOPBACK(in6) || IN6_IS_ADDR_LINKLOCAL(in6) ||
                IN6_IS_ADDR_V4MAPPED(in6))
                continue;
            inet_ntop(AF_INET6, in6, a, sizeof(a));
        }
        n = add_unique(out, n, cap, a);
    }
    freeifaddrs(list);
    return n;
}

size_t config_announce(const struct config *c, char out[][INET6_ADDRSTRLEN], size_t cap)
{
    size_t n = 0;
    if (c->n_public_ips) {
        for (size_t i = 0; i < c->n_public_ips; i++)
            n = add_unique(out, n, cap, c->public_ips[i]);
        return n;
    }
    if (!config_binds_all(c))
        return add_unique(out, n, cap, c->bind);
    n = interface_addresses(AF_INET, out, n, cap);
    if (strcmp(c->bind, "::") == 0)
        n = interface_addresses(AF_INET6, out, n, cap);
    if (n == 0)   /* a machine (or namespace) with only loopback */
        n = add_unique(out, n, cap, "127.0.0.1");
    return n;
}
