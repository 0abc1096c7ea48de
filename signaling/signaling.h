/* The signaling logic (docs/protocol.md), sans-IO: the socket layer
 * (http_server.c) hands it whole text frames and socket events; it answers
 * through the connection's send callback and drives the media plane through
 * struct media_ops. Nothing here touches a socket, the clock or a thread:
 * everything runs on the control thread, so tests drive it directly. */
#ifndef SIGNALING_SIGNALING_H
#define SIGNALING_SIGNALING_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "sabaq/sfu.h"
#include "media.h"
#include "message.h"

struct participant;
struct lesson;
struct store;

/* What the logic needs from a connection. */
struct signaling_conn_ops {
    /* Queues one text frame (len bytes, not NUL-terminated) for the socket. */
    void (*send)(void *conn, const char *text, size_t len);
    /* Closes the socket once what was queued has been written. */
    void (*close)(void *conn);
};

struct signaling_counters {
    uint64_t connections;        /* open sockets */
    uint64_t connections_total;
    uint64_t participants;       /* joined, now */
    uint64_t lessons;            /* now */
    uint64_t messages_in, messages_out;
    uint64_t errors[MESSAGE_ERR_COUNT];
};

struct signaling {
    const struct media_ops *media;     /* borrowed */
    void *media_arg;                   /* borrowed: the struct sfu, or a test's fake */
    FILE *log;                         /* borrowed, NULL for silence */
    struct store *store;               /* borrowed (main.c owns it), NULL in old tests */
    unsigned char secret[32];          /* the token key (auth.h), <data-dir>/secret */
    uint64_t now_ms;                   /* wall clock, ms since the Unix epoch: set by the
                                        * socket layer before every call in, by tests directly */
    struct participant *participants;  /* owned: every open connection */
    struct lesson *lessons;            /* owned */
    uint32_t next_participant;         /* "p1", "p2", ... */
    uint32_t next_transport, next_producer, next_consumer;
    struct signaling_counters counters;
    unsigned recordings_keep_days;     /* --recordings-keep-days: 0 keeps every recording */
    uint64_t retention_next_ms;        /* its next run (recording_retention.h), 0: first tick */
};

struct signaling *signaling_new(const struct media_ops *media, void *media_arg, FILE *log);
/* Disconnects whatever is still connected (closing its media), then frees. */
void signaling_free(struct signaling *s);

/* A socket opened. The participant lives until signaling_disconnect(). */
struct participant *signaling_connect(struct signaling *s, const struct signaling_conn_ops *ops,
                                      void *conn);
/* One complete frame (at most MESSAGE_MAX_LEN bytes). */
void signaling_receive(struct signaling *s, struct participant *p, const char *text, size_t len);
/* A parsed message (borrowed). */
void signaling_receive_json(struct signaling *s, struct participant *p, json_t *msg);
/* A frame larger than MESSAGE_MAX_LEN was dropped. */
void signaling_too_large(struct signaling *s, struct participant *p);
/* The socket closed: leave the lesson if joined, free the participant. */
void signaling_disconnect(struct signaling *s, struct participant *p);

/* Once a second (after now_ms is set): people away for 60 s leave; retention
 * deletes old recordings when it is due (recording_retention.h). */
void signaling_tick(struct signaling *s);

/* An event drained from sfu_poll_event(). */
void signaling_media_event(struct signaling *s, const struct sfu_event *ev);

/* {"connections":..,"participants":..,"lessons":..,"messages_in":..,
 *  "messages_out":..,"errors":{"bad_json":..,...}} */
json_t *signaling_stats(const struct signaling *s);

/* What Sabaq says about itself in an SDP: these ICE credentials, the media
 * plane's certificate fingerprint and host candidates. */
void signaling_sdp_local(struct signaling *s, const char *ufrag, const char *pwd,
                         struct sdp_local *out);

/* Writes one line to the log (a newline is added). */
void signaling_log(struct signaling *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
