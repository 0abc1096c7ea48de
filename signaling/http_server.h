/* The control thread's network edge on libwebsockets: static files of the
 * web root, GET /api/stats, and the signaling WebSocket at /ws, all on one
 * vhost (plain or TLS). It hands whole frames to signaling.c and drains the
 * media plane's events when its wake callback fires. */
#ifndef SIGNALING_HTTP_SERVER_H
#define SIGNALING_HTTP_SERVER_H

#include <stdint.h>

struct sfu;
struct signaling;

struct http_server_config {
    const char *bind;            /* numeric address; "0.0.0.0" or "::" for every interface */
    uint16_t port;
    const char *web_root;
    const char *tls_cert;        /* NULL or "": plain HTTP/WS */
    const char *tls_key;
};

struct http_server;

/* Creates the lws context and listens. NULL (after a message on stderr) when
 * the port cannot be bound or TLS files cannot be loaded. */
struct http_server *http_server_new(const struct http_server_config *cfg);

/* Hands the server its peers before the first http_server_run(). Both are
 * borrowed and must outlive http_server_free(). sfu may be NULL. */
void http_server_attach(struct http_server *h, struct signaling *sig, struct sfu *sfu);

/* For sfu_config.wake: any thread may call it. */
void http_server_wake(void *h);

/* Serves until http_server_stop(). 0, or -1 when the event loop failed. */
int http_server_run(struct http_server *h);

/* Async-signal-safe: ends http_server_run() soon. */
void http_server_stop(struct http_server *h);

/* Closes every connection (signaling sees them disconnect) and frees. */
void http_server_free(struct http_server *h);

#endif
