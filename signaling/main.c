/* `sabaq`: reads the settings, starts the media plane (sfu.h) and the
 * control plane (libwebsockets + signaling), serves until SIGINT/SIGTERM,
 * then shuts both down in order: sockets first (participants leave and close
 * their media), then the logic, then the media plane. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sabaq/clock.h"
#include "sabaq/sfu.h"
#include "auth.h"
#include "cli.h"
#include "config.h"
#include "http_server.h"
#include "media.h"
#include "recording.h"
#include "recording_delete.h"
#include "schema.h"
#include "signaling.h"
#include "store.h"

static struct http_server *volatile running;

static void on_signal(int sig)
{
    (void)sig;
    if (running)
        http_server_stop(running);
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[CONFIG_PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = c;
        if (!c)
            return 0;
    }
}

static void format_host(char *out, size_t cap, const char *addr)
{
    snprintf(out, cap, strchr(addr, ':') ? "[%s]" : "%s", addr);
}

static void print_banner(const struct config *c, char announce[][INET6_ADDRSTRLEN], size_t n)
{
    char host[INET6_ADDRSTRLEN + 2], media[INET6_ADDRSTRLEN + 2], list[256] = "";
    /* On a wildcard bind the page is reached through an announced address. */
    format_host(host, sizeof(host), config_binds_all(c) && n ? announce[0] : c->bind);
    format_host(media, sizeof(media), c->bind);
    for (size_t i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                 announce[i]);
    printf("Sabaq is running: open %s://%s:%u/ in a browser (media: UDP %s:%u, announcing %s)\n",
           c->tls_cert[0] ? "https" : "http", host, (unsigned)c->port, media,
           (unsigned)c->media_port, list);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int serve(const struct config *c, struct store *store,
                 const unsigned char secret[AUTH_SECRET_LEN])
{
    char announce[CONFIG_MAX_PUBLIC_IPS][INET6_ADDRSTRLEN];
    size_t n = config_announce(c, announce, CONFIG_MAX_PUBLIC_IPS);
    struct http_server_config hc = {c->bind, c->port, c->web_root, c->tls_cert, c->tls_key};
    struct http_server *http = http_server_new(&hc);
    if (!http)
        return 1;
    struct sfu_config sc;
    memset(&sc, 0, sizeof(sc));
    sc.bind_address = c->bind;
    sc.port = c->media_port;
    sc.workers = c->workers;
    for (size_t i = 0; i < n; i++)
        sc.announce[i] = announce[i];
    sc.consent_timeout_ms = 30000;
    sc.wake = http_server_wake;
    sc.wake_arg = http;
    struct sfu *sfu = sfu_start(&sc);
    if (!sfu) {
        http_server_free(http);
        return 1;
    }
    struct signaling *sig = signaling_new(&media_sfu_ops, sfu, stdout);
    if (!sig) {
        sfu_stop(sfu);
        http_server_free(http);
        return 1;
    }
    sig->store = store;
    sig->recordings_keep_days = c->recordings_keep_days;   /* retention: from the first tick */
    memcpy(sig->secret, secret, AUTH_SECRET_LEN);
    http_server_attach(http, sig, sfu);
    running = http;
    install_signals();
    print_banner(c, announce, n);
    printf("Media: %u worker thread%s on UDP port %u\n", sfu_workers(sfu),
           sfu_workers(sfu) == 1 ? "" : "s", (unsigned)sfu_port(sfu));
    if (cli_first_teacher(store, secret, c, (int64_t)(sq_wallclock_us() / 1000)) < 0) {
        running = NULL;
        http_server_free(http);
        signaling_free(sig);
        sfu_stop(sfu);
        return 1;
    }
    int rc = http_server_run(http);
    running = NULL;
    printf("Sabaq is shutting down\n");
    http_server_free(http);
    signaling_free(sig);
    sfu_stop(sfu);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct config c;
    char err[512];
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "staff") == 0)
        return cli_staff(argc, argv);
    switch (config_parse(&c, argc, argv, err, sizeof(err))) {
    case CONFIG_HELP:
        config_usage(stdout);
        printf("\nStaff (teachers, assistants): sabaq staff add|list|revoke|link ... "
               "(sabaq staff --help)\n");
        return 0;
    case CONFIG_ERROR:
        fprintf(stderr, "sabaq: %s\n", err);
        return 2;
    case CONFIG_OK:
        break;
    }
    if (make_dirs(c.data_dir) != 0) {
        fprintf(stderr, "sabaq: cannot create --data-dir %s: %s\n", c.data_dir, strerror(errno));
        return 1;
    }
    struct stat st;
    if (stat(c.web_root, &st) != 0 || !S_ISDIR(st.st_mode))
        fprintf(stderr, "sabaq: warning: --web-root %s is not a directory; the page will be "
                        "missing\n", c.web_root);
    char serr[512];
    unsigned char secret[AUTH_SECRET_LEN];
    struct store *store = store_open(c.data_dir, serr, sizeof(serr));
    if (!store || auth_load_secret(c.data_dir, secret, serr, sizeof(serr)) < 0) {
        fprintf(stderr, "sabaq: cannot open the store in --data-dir %s: %s\n", c.data_dir, serr);
        store_close(store);
        return 1;
    }
    if (schema_init(store) < 0) {   /* store_schema has said which table */
        fprintf(stderr, "sabaq: cannot set up the store in --data-dir %s\n", c.data_dir);
        store_close(store);
        return 1;
    }
    if (store_group_commit(store, serr, sizeof(serr)) < 0) {
        fprintf(stderr, "sabaq: cannot start the store's sync thread: %s\n", serr);
        store_close(store);
        return 1;
    }
    int cut = recording_recover(store);   /* recordings a crash cut short stay playable */
    if (cut > 0)
        printf("%d recording(s) cut short by a crash are kept as they were written\n", cut);
    recording_delete_sweep(store, stdout);   /* deletions a stop interrupted */
    if (c.recordings_keep_days)
        printf("Recordings that ended more than %u day(s) ago are deleted (now and hourly)\n",
               c.recordings_keep_days);
    int rc = serve(&c, store, secret);
    store_close(store);
    return rc;
}
