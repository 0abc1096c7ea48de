/* The media plane as the control plane sees it. Every call is made from the
 * control thread and only queues a command for the media worker (an eventfd
 * wakes it), so none of them blocks on the packet path. The worker answers
 * with events, drained by sfu_poll_event() after the `wake` callback fires
 * (the control thread calls lws_cancel_service() there).
 * Ids are chosen by the control plane and unique for the process lifetime. */
#ifndef SABAQ_SFU_H
#define SABAQ_SFU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sabaq/sdp.h"

struct sfu;

struct sfu_config {
    const char *bind_address;    /* "::" (dual stack) or "0.0.0.0" or one address */
    uint16_t port;               /* the one UDP port for every peer */
    const char *announce[SDP_MAX_CANDIDATES]; /* addresses put in candidates; NULL-terminated */
    uint32_t consent_timeout_ms; /* RFC 7675: silent peers are gone after this (30000) */
    unsigned workers;            /* media worker threads sharing the port; 0 = one per
                                  * online core */
    void (*wake)(void *arg);     /* called from the worker thread when events wait */
    void *wake_arg;
};

struct sfu *sfu_start(const struct sfu_config *cfg);
void sfu_stop(struct sfu *s);

/* "AB:CD:..." SHA-256 fingerprint of the DTLS certificate made at start-up. */
const char *sfu_fingerprint(const struct sfu *s);
/* Host candidates for SDP (one per announced address). Returns how many. */
size_t sfu_candidates(const struct sfu *s, struct sdp_candidate *out, size_t cap);
/* The bound UDP port: cfg->port, or the kernel's choice when that was 0. */
uint16_t sfu_port(const struct sfu *s);

/* How many media workers run, and which one holds a transport (0-based;
 * -SQ_ENOTFOUND): for tests, benchmarks and logs. */
unsigned sfu_workers(const struct sfu *s);
int sfu_transport_worker(struct sfu *s, uint32_t transport_id);

/* A transport is one peer connection: ICE-lite with these credentials
 * (local ufrag/pwd chosen by the caller), DTLS server checking the peer's
 * fingerprint, then SRTP. */
int sfu_transport_create(struct sfu *s, uint32_t transport_id, const char *local_ufrag,
                         const char *local_pwd, const char *remote_fingerprint_alg,
                         const char *remote_fingerprint);
/* For tests and bench/ only: a transport that skips ICE and DTLS, already
 * connected to `remote` with these SRTP keys (local_* protect what Sabaq
 * sends), so media can be measured with plain UDP sockets. */
struct srtp_keys;
int sfu_transport_create_connected(struct sfu *s, uint32_t transport_id,
                                   const struct srtp_keys *keys,
                                   const struct sockaddr_storage *remote, socklen_t remote_len);
/* ICE restart (RFC 8445 sec. 9; the peer offered or was offered new
 * credentials): the transport answers checks with these local credentials
 * only, from its worker's next turn. DTLS, SRTP, producers and consumers
 * stay, and media goes on the old path until the peer nominates a new one.
 * 0, -SQ_EINVAL, -SQ_ENOTFOUND, -SQ_EEXIST (another transport's ufrag) or
 * -SQ_ESTATE (a pre-connected transport). */
int sfu_transport_restart_ice(struct sfu *s, uint32_t transport_id, const char *local_ufrag,
                              const char *local_pwd);
int sfu_transport_close(struct sfu *s, uint32_t transport_id);

/* A producer is an incoming track on a publish transport. */
int sfu_producer_create(struct sfu *s, uint32_t producer_id, uint32_t transport_id,
                        const struct sdp_track *track);
int sfu_producer_close(struct sfu *s, uint32_t producer_id);
/* Paused: the SFU drops the producer's media (a muted publisher). */
int sfu_producer_set_paused(struct sfu *s, uint32_t producer_id, bool paused);
int sfu_producer_request_keyframe(struct sfu *s, uint32_t producer_id);

/* A consumer is one subscriber's copy of a producer, sent on a subscribe
 * transport with the SSRCs in `out` and Sabaq's fixed payload types
 * (SDP_SUB_PT_*) and extension ids (SDP_SUB_EXT_*). */
int sfu_consumer_create(struct sfu *s, uint32_t consumer_id, uint32_t transport_id,
                        uint32_t producer_id, const struct sdp_outgoing *out);
/* Feeds the consumer from another producer of its kind, without
 * renegotiation: the subscriber's stream (same SSRC) goes on seamlessly,
 * sequence numbers, timestamps and VP8 picture ids continuing; video starts
 * at the new source's next keyframe (asked for). producer_id 0 detaches: an
 * idle consumer sends nothing. sfu_consumer_create takes producer_id 0 too. */
int sfu_consumer_set_producer(struct sfu *s, uint32_t consumer_id, uint32_t producer_id);
int sfu_consumer_close(struct sfu *s, uint32_t consumer_id);
/* The size (pixels) at which the subscriber shows a video consumer. Of a
 * simulcast producer it gets the lowest layer that is not scaled up at that
 * size (and that its bandwidth allows); 0x0 means not shown: nothing is
 * sent until a size is set again. Until called, size sets no limit. */
int sfu_consumer_set_preferred_size(struct sfu *s, uint32_t consumer_id, uint16_t width,
                                    uint16_t height);

/* Recording a lesson (the engine runs off the packet path). start writes
 * <dir_path>/recording.webm in real time; set_video picks the one video
 * source (the stage; 0 = none) and asks it for a keyframe; every added audio
 * producer is mixed into one Opus track. stop finishes the file (within
 * 10 s) and ends with SFU_EVENT_RECORDING_STOPPED, as does a write error.
 *
 * Details (sfu/record/): every call only queues a command for the recorder
 * thread (0, -SQ_EINVAL for id 0 / empty path / producer 0, -SQ_ELIMIT when
 * its queue is full); nothing comes back but the one STOPPED event, which
 * also reports a start that failed (directory or file not creatable:
 * "write_error", ENOSPC: "disk_full"). dir_path is made if missing (one
 * level, mode 0755); the file name is always "recording.webm". The file is
 * WebM, VP8 (the stage's frames as sent, never re-encoded; a switch
 * continues the same track from the new source's keyframe) + Opus (mono
 * 48 kHz, the mix), timestamps from 0 = start; clusters of <= 1 s are
 * flushed as they close, so the file plays while written and a killed
 * server leaves it readable up to its last second. The header waits for the
 * first keyframe (<= 3 s; the video track's size comes from it); audio is
 * mixed 200 ms behind real time. At most 32 audio producers per recording
 * (more are ignored and logged); a paused (muted) producer contributes
 * silence. Of a simulcast producer the best layer arriving is recorded (and
 * kept wanted). sfu_stop finishes open recordings (trailer) without events.
 * A recording id may be started again only after its STOPPED event. */
int sfu_recording_start(struct sfu *s, uint32_t recording_id, const char *dir_path);
int sfu_recording_stop(struct sfu *s, uint32_t recording_id);
int sfu_recording_set_video(struct sfu *s, uint32_t recording_id, uint32_t producer_id);
int sfu_recording_add_audio(struct sfu *s, uint32_t recording_id, uint32_t producer_id);
int sfu_recording_remove_audio(struct sfu *s, uint32_t recording_id, uint32_t producer_id);

enum sfu_event_type {
    SFU_EVENT_TRANSPORT_CONNECTED, /* ICE nominated and DTLS done; detail = SRTP profile */
    SFU_EVENT_TRANSPORT_CLOSED,    /* consent lost, DTLS failed or closed; detail = reason */
    SFU_EVENT_PRODUCER_ACTIVE,     /* first media packet of a producer */
    SFU_EVENT_SPEAKING_CHANGED,    /* audio producer `id` started (value 1) or stopped (value 0)
                                    * speaking: from the audio-level extension (RFC 6464), with
                                    * hysteresis so it does not flap */
    SFU_EVENT_LAYERS_CHANGED,      /* simulcast producer `id`: the layers some consumer wants
                                    * changed. value = bitmask, bit i = the track's rids[i];
                                    * detail = those rids ("q,h"). A layer leaves the mask
                                    * after ~5 s unwanted (the publisher may pause it), joins
                                    * it at once when wanted again (resume it). */
    SFU_EVENT_AUDIO_LEVEL,         /* audio producer `id` speaks this loud: value = dB above the
                                    * speaking threshold (0..45, averaged over ~400 ms), every
                                    * 250 ms while SPEAKING_CHANGED says it speaks */
    SFU_EVENT_RECORDING_STOPPED,   /* recording `id` is finished and closed: value 0 or a
                                    * negative -SQ_E code; detail "stopped", "disk_full" or
                                    * "write_error" */
};

struct sfu_event {
    enum sfu_event_type type;
    uint32_t id;                   /* transport or producer id */
    int32_t value;                 /* SPEAKING_CHANGED: 1 or 0; LAYERS_CHANGED: the mask;
                                    * AUDIO_LEVEL: the loudness */
    char detail[64];
};

/* 1 with *out set, 0 when none wait. Control thread only. */
int sfu_poll_event(struct sfu *s, struct sfu_event *out);

/* Counters of the media plane, updated by the worker, read by anyone. */
struct sfu_stats {
    uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
    uint64_t rx_stun, rx_dtls, rx_rtp, rx_rtcp;
    uint64_t drop_unknown_source;  /* not STUN, from an address no transport owns */
    uint64_t drop_malformed_stun, drop_stun_auth, drop_malformed_dtls;
    uint64_t drop_malformed_rtp, drop_malformed_rtcp, drop_srtp;
    uint64_t drop_unknown_ssrc, drop_not_demuxable;
    uint64_t nack_received, rtx_sent, pli_forwarded, pli_suppressed;
    uint64_t transports, producers, consumers;
    uint64_t drop_tx;              /* sendmmsg refused it or the socket stayed full */
    uint64_t drop_oversize;        /* larger than the receive buffer (2048 bytes) */
    /* Several media workers (sfu_config.workers > 1): */
    uint64_t mesh_shared;          /* producer packets handed to another worker's consumers */
    uint64_t mesh_forwarded;       /* datagrams that reached the wrong worker's socket */
    uint64_t drop_mesh;            /* a ring full, a pool empty, or no mirror any more */
};
void sfu_stats_get(const struct sfu *s, struct sfu_stats *out);

#endif
