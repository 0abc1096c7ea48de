/* bench/load: synthetic participants ("bots"). One bot process runs many bots
 * with two threads:
 *   - the WebSocket thread (bot_ws.c): one libwebsockets client context for
 *     every bot of the process; it only moves JSON text: it connects, sends
 *     `join`, turns server messages into events for the media thread and
 *     writes what the media thread queues;
 *   - the media thread (bot_loop.c): everything else, on one epoll loop:
 *     SDP (bot_sdp.c), ICE + DTLS + SRTP per transport (bot_transport.c),
 *     sending (bot_send.c) and receiving (bot_recv.c) media.
 * The two share only the queues in struct bot_proc, under its lock. */
#ifndef SABAQ_BENCH_LOAD_BOT_H
#define SABAQ_BENCH_LOAD_BOT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "load_shm.h"
#include "sabaq/sdp.h"

#define BOT_MAX_RX 16             /* received streams per bot (m-lines with media) */
#define BOT_MAX_TX 4              /* teacher: 3 camera layers + screen share */
#define BOT_TOKEN_MAX 1100        /* the server refuses tokens over 1024 */

enum bot_role { BOT_TEACHER, BOT_SPEAKER, BOT_RECEIVER };

/* Publisher mids: the teacher's camera and screen, a speaker's microphone. */
#define BOT_MID_CAMERA "0"
#define BOT_MID_SCREEN "1"
#define BOT_MID_MIC "0"
/* Payload types and extension ids of the bots' own publish offers. */
#define BOT_PT_VP8 96
#define BOT_PT_RTX 97
#define BOT_PT_OPUS 111
#define BOT_EXT_MID 1
#define BOT_EXT_RID 2
#define BOT_EXT_RRID 3
#define BOT_EXT_AUDIO_LEVEL 4

struct bot_layer {
    uint16_t width, height;
    uint32_t kbps;
    char rid[4];
};

/* What every bot process is told; filled by bench/load.c before fork. */
struct bot_config {
    char host[64];
    uint16_t ws_port;
    char lesson[65];
    /* Tokens for `join` once the server needs them (empty: join by lesson id). */
    char token_teacher[BOT_TOKEN_MAX];
    char token_student[BOT_TOKEN_MAX];
    unsigned n_total, n_speakers;
    unsigned fps, screen_fps;
    struct bot_layer layers[LOAD_LAYERS];
    struct bot_layer screen;
    unsigned decode_sample;      /* receivers per process that decode everything */
    unsigned speak_turn_ms;
    unsigned join_rate;          /* receivers started per second, whole run */
    unsigned join_timeout_s;
    unsigned hard_limit_s;       /* a process ends itself after this, whatever happens */
    uint32_t remb_bps[8];        /* receiver i reports remb_bps[i % n_remb] */
    unsigned n_remb;
    bool twcc;                   /* receivers send transport-cc feedback (bot_twcc.c) */
    bool quiet;
};

enum tr_state { TR_NONE, TR_ICE, TR_DTLS, TR_UP, TR_FAILED };

struct bot;

struct bot_transport {
    struct bot *bot;             /* borrowed: the bot owns its transports */
    bool is_publish;
    enum tr_state state;
    int fd;                      /* owned, -1 when closed */
    struct sockaddr_in remote;   /* Sabaq's candidate */
    char local_ufrag[9], local_pwd[33];
    char remote_ufrag[65], remote_pwd[129];
    char remote_fp[128];
    struct dtls_conn *dtls;      /* owned */
    struct srtp_in *srtp_in;     /* owned, once up */
    struct srtp_out *srtp_out;   /* owned, once up */
    uint8_t txid[12];
    uint32_t stun_tries;
    uint64_t next_stun_us;
    uint64_t next_rtcp_us;
    uint64_t last_pli_us;
};

enum rx_kind { RX_AUDIO, RX_CAMERA, RX_SCREEN };

struct rx_decoder;

/* One stream a bot receives (an active m-line of its subscribe connection). */
struct rx_track {
    uint32_t ssrc, rtx_ssrc;
    enum rx_kind kind;
    bool started;
    uint64_t max_ext;            /* extended highest sequence number */
    uint64_t received;
    bool win_started;            /* window base taken */
    uint64_t win_base_ext, win_base_received;
    uint64_t win_packets;
    int layer;                   /* camera: index in cfg layers by width, LOAD_LAYERS other, -1 none */
    uint16_t width, height;      /* from the last keyframe */
    /* Continuity of the current frame (RFC 7741: S bit starts it, marker ends it). */
    bool in_frame, frame_ok;
    uint32_t frame_ts;
    uint16_t next_seq;
    struct rx_decoder *dec;      /* owned; NULL when this bot only verifies */
};

struct tx_history;
struct bot_twcc;
struct rtp_packet;

/* One stream a publisher sends. */
struct tx_stream {
    uint32_t ssrc, rtx_ssrc;
    uint16_t seq, rtx_seq;
    uint32_t roc, rtx_roc;       /* rollover counters: the bot numbers its packets */
    uint8_t pt;
    const char *mid;             /* static */
    const char *rid;             /* borrowed from the config; NULL: no simulcast */
    int source;                  /* 0..LOAD_LAYERS-1 camera layer, LOAD_LAYERS screen, -1 audio */
    uint16_t picture_id;
    uint32_t ts_base;            /* camera layers share one, as browsers stamp them */
    uint32_t last_ts;
    uint64_t packets, octets;
    uint64_t last_key_us;
    struct tx_history *hist;     /* owned: recent packets for RTX */
};

struct bot_msg {
    struct bot_msg *next;
    char *text;                  /* owned, NUL-terminated JSON */
};

struct bot_proc;

struct bot {
    unsigned index;              /* global: shm->bots[index] */
    enum bot_role role;
    unsigned speaker_no;
    bool decodes;
    struct bot_proc *proc;       /* borrowed */
    uint64_t start_at_us;        /* media thread: when to connect; 0 not yet known */
    bool started;
    /* WebSocket thread only. */
    struct lws *wsi;             /* owned by lws */
    char *rx_buf;                /* owned */
    size_t rx_len, rx_cap;
    bool ws_open;
    /* Under proc->lock. */
    unsigned ws_want;            /* BOT_WS_* */
    struct bot_msg *tx_head, *tx_tail;
    /* Media thread only. */
    char participant[33];
    bool joined, closed, media_up;
    struct bot_transport pub, sub;
    int64_t sub_version;
    uint8_t n_rx;
    struct rx_track rx[BOT_MAX_RX];
    uint8_t n_tx;
    struct tx_stream tx[BOT_MAX_TX];
    struct bot_twcc *twcc;       /* owned, with --twcc only */
};

enum { BOT_WS_CONNECT = 1, BOT_WS_WRITE = 2, BOT_WS_CLOSE = 4 };

enum bot_event_type { EV_JOINED, EV_PUBLISH_ANSWER, EV_SUBSCRIBE_OFFER, EV_TRANSPORT_CLOSED,
                      EV_ERROR, EV_WS_CLOSED };

struct bot_event {
    struct bot_event *next;
    unsigned bot;                /* index into proc->bots */
    enum bot_event_type type;
    int64_t version;
    char *text;                  /* owned: sdp, participant id, transport or error text */
};

struct bot_source;

struct bot_proc {
    unsigned index;              /* this process: shm->procs[index] */
    const struct bot_config *cfg;/* borrowed */
    struct load_shm *shm;        /* borrowed: the shared mapping */
    struct load_counters *ctr;   /* borrowed: &shm->procs[index] */
    struct bot *bots;            /* owned */
    unsigned n_bots;
    struct dtls_cert *cert;      /* owned, shared by every bot's DTLS */
    pthread_mutex_t lock;        /* guards the queues and each bot's ws_want / tx queue */
    struct bot_event *ev_head, *ev_tail;
    int event_fd;                /* owned: the WebSocket thread wakes the media thread */
    struct lws_context *lws;     /* owned by the WebSocket thread */
    pthread_t ws_thread;
    atomic_bool stop;
    int epfd;                    /* owned */
    struct bot_source *src;      /* owned; NULL without publishers */
    struct sdp_session *sdp_in;  /* owned scratch (large) */
    struct sdp_session *sdp_out; /* owned scratch */
    char *sdp_text;              /* owned scratch, BOT_SDP_TEXT bytes */
    uint64_t pub_ready_us;       /* when the receivers' join schedule starts */
};

#define BOT_SDP_TEXT (64 * 1024)

/* bot_loop.c: the process entry; returns the exit status. */
int bot_proc_main(const struct bot_config *cfg, struct load_shm *shm, unsigned proc_index,
                  unsigned first_receiver, unsigned stride, unsigned n_receivers,
                  bool publishers);
void bot_note(struct bot_proc *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bot_fail(struct bot *b, const char *why);
/* A transport finished DTLS and has its SRTP sessions. */
void bot_transport_up(struct bot_transport *t, uint64_t now_us);

/* bot_ws.c */
int bot_ws_start(struct bot_proc *p);
void bot_ws_stop(struct bot_proc *p);
/* Takes ownership of `text` (malloc'd). Any thread. */
void bot_ws_send(struct bot *b, char *text);
void bot_ws_connect(struct bot *b);
/* The `join` message of this bot (lesson id, or token once the server needs it). */
char *bot_join_text(const struct bot *b);

/* bot_sdp.c */
int bot_sdp_publish_offer(struct bot *b, char *out, size_t cap);
int bot_sdp_take_remote(struct bot_transport *t, const struct sdp_session *s);
int bot_sdp_subscribe_answer(struct bot *b, const struct sdp_session *offer, char *out,
                             size_t cap);
void bot_random_token(char *out, size_t len);

/* bot_transport.c */
int bot_transport_open(struct bot_transport *t, struct bot *b, bool is_publish);
void bot_transport_close(struct bot_transport *t);
void bot_transport_start(struct bot_transport *t, uint64_t now_us);
void bot_transport_timers(struct bot_transport *t, uint64_t now_us);
void bot_transport_receive(struct bot_transport *t, uint8_t *buf, size_t len, uint64_t now_us);
int bot_transport_send_rtp(struct bot_transport *t, uint8_t *pkt, size_t len, size_t cap,
                           uint32_t roc);
int bot_transport_send_rtcp(struct bot_transport *t, uint8_t *pkt, size_t len, size_t cap);

/* bot_send.c */
struct bot_source *bot_source_new(const struct bot_config *cfg);
void bot_source_free(struct bot_source *s);
void bot_tx_init(struct bot *b);
void bot_tx_free(struct bot *b);
/* Encodes and sends what is due; returns the next time something is due. */
uint64_t bot_source_tick(struct bot_proc *p, uint64_t now_us);
void bot_tx_rtcp(struct bot *b, const uint8_t *pkt, size_t len, uint64_t now_us);
void bot_tx_reports(struct bot *b, uint64_t now_us);

/* bot_recv.c */
void bot_rx_set_tracks(struct bot *b, const struct sdp_session *offer);
void bot_rx_rtp(struct bot *b, const uint8_t *pkt, size_t len, uint64_t now_us);
void bot_rx_rtcp(struct bot *b, const uint8_t *pkt, size_t len);
void bot_rx_reports(struct bot *b, uint64_t now_us);
/* At the end: loss, layers. */
void bot_rx_finish(struct bot *b);
void bot_rx_free(struct bot *b);

/* bot_twcc.c */
void bot_twcc_record(struct bot *b, const struct rtp_packet *r, uint64_t now_us);
void bot_twcc_report(struct bot *b, uint64_t now_us);
void bot_twcc_free(struct bot *b);

#endif
