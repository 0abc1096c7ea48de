/* One WebSocket connection and, once joined, one person in a lesson: identity,
 * the publish side (transport + producers) and the subscribe side (transport +
 * one slot per m-line of Sabaq's offer). */
#ifndef SIGNALING_PARTICIPANT_H
#define SIGNALING_PARTICIPANT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sabaq/sdp.h"
#include "signaling.h"

#define PARTICIPANT_UFRAG_LEN 8
#define PARTICIPANT_PWD_LEN 24

/* WAITING: in the lobby. AWAY: the socket dropped; identity, hand and floor
 * are kept for 60 s (lesson.c) with no connection behind it. */
enum participant_state {
    PARTICIPANT_CONNECTED,
    PARTICIPANT_JOINED,
    PARTICIPANT_LEFT,
    PARTICIPANT_WAITING,
    PARTICIPANT_AWAY
};

/* What a published track shows: the `sources` of the publish message. */
enum track_source {
    TRACK_SOURCE_MIC,
    TRACK_SOURCE_CAMERA,
    TRACK_SOURCE_SCREEN,
};

/* "mic", "camera", "screen". */
const char *track_source_name(enum track_source s);
/* 0 with *out set, -1 for an unknown name or one that does not fit the kind
 * (audio is a mic; video is a camera or a screen). */
int track_source_parse(const char *name, enum sdp_media_kind kind, enum track_source *out);

/* A track this participant publishes. */
struct producer_ref {
    uint32_t id;
    struct sdp_track track;
    enum track_source source;
    bool paused;                 /* at the server (floor.c): no right, or muted */
};

/* One m-line (slot) of the subscribe connection: its index is its mid and
 * fixes its role (subscribe.h). It keeps its SSRCs while the connection
 * lives and carries whichever producer the slot choice gives it, switched
 * without renegotiation (subscribe_slots.c). */
struct sub_slot {
    uint32_t ssrc, rtx_ssrc;     /* rtx: video only */
    uint32_t producer_id;        /* 0: idle */
    uint32_t consumer_id;        /* 0 until the client answered an offer with this m-line */
    char publisher[16];          /* the producer's participant, "" when idle */
    uint8_t source;              /* enum track_source of the producer */
    /* The client's last `video_size` for this slot, given to its consumer
     * when one exists (also when it is made later). */
    bool sized;
    uint16_t width, height;
};

/* What a participant asked to receive (`receive_mode`). */
enum receive_mode {
    RECEIVE_AUTO,                /* the layer that fits each video's size and bandwidth */
    RECEIVE_LOW,                 /* every video at its lowest layer, 320x180 at most */
    RECEIVE_AUDIO_ONLY,          /* no video at all */
};

struct publish_side {
    uint32_t transport_id;       /* 0 until the first publish */
    char ufrag[PARTICIPANT_UFRAG_LEN + 1];
    char pwd[PARTICIPANT_PWD_LEN + 1];
    /* A hash of the client's ICE credentials in the offer that made or last
     * restarted the transport: a re-offer with others restarts ICE. */
    uint64_t remote_ice;
    struct producer_ref *producers; /* owned array */
    size_t n_producers, cap_producers;
};

struct subscribe_side {
    uint32_t transport_id;       /* 0 until the first answer */
    char ufrag[PARTICIPANT_UFRAG_LEN + 1];
    char pwd[PARTICIPANT_PWD_LEN + 1];
    uint64_t session_id;         /* o= line of every offer */
    struct sub_slot *slots;      /* owned array: every m-line offered so far */
    size_t n_slots, cap_slots;
    size_t n_used;               /* slots in use (3 audio, stage, N speakers); the rest
                                  * stay in the SDP as inactive m-lines */
    size_t n_offered;            /* m-lines of the outstanding offer */
    uint64_t version;            /* of the last offer sent, 0 before the first */
    bool awaiting_answer;        /* at most one offer outstanding */
    bool dirty;                  /* the m-lines changed since the last offer */
    bool slots_unsent;           /* assignments changed since the client was told */
    bool ice_restart;            /* the next offer brings new ICE credentials */
    enum receive_mode receive_mode;
    char *offer_sdp;             /* owned: the outstanding offer, to check the answer */
};

struct participant {
    struct signaling *sig;                     /* borrowed */
    const struct signaling_conn_ops *conn_ops; /* borrowed */
    void *conn;                                /* borrowed: the socket layer's state */
    struct participant *next;                  /* in sig->participants */
    enum participant_state state;
    char id[16];                               /* "" before join */
    char name[257];                            /* 64 code points of UTF-8 at most */
    char role[16];                             /* "teacher", "assistant", "student" */
    char link[40];                             /* who the token names (access.c): "r12" roster
                                                * entry, "s3" staff, "n<nonce>" single-use,
                                                * "" a shared lesson link */
    char resume[25];                           /* secret given in `joined` to come back */
    bool has_floor;                            /* a student given the floor (floor.c) */
    bool floor_video;                          /* ... with camera too */
    bool hand_raised;
    uint64_t hand_since_ms;
    uint64_t away_since_ms;                    /* PARTICIPANT_AWAY: when the socket dropped */
    uint64_t lobby_since_ms;                   /* PARTICIPANT_WAITING: since when */
    bool muted_audio, muted_video;             /* paused at the server by staff (floor.c) */
    uint8_t quality;                           /* enum quality_level last reported (quality.c) */
    uint8_t quality_relayed;                   /* ... last sent to staff, and when */
    uint64_t quality_relayed_ms;
    int64_t staff_id;                          /* signed-in staff member behind the socket
                                                * (session cookie), 0 when none */
    struct lesson *lesson;                     /* borrowed, NULL unless joined */
    struct participant *next_in_lesson;
    struct publish_side pub;
    struct subscribe_side sub;
};

struct participant *participant_new(struct signaling *s, const struct signaling_conn_ops *ops,
                                    void *conn);
void participant_free(struct participant *p);

/* Serializes and queues msg on p's socket; takes ownership of msg. */
void participant_send(struct participant *p, json_t *msg);
/* Sends an error reply and counts it. */
void participant_send_error(struct participant *p, enum message_error e, const char *ref,
                            json_t *req, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* {id, name, role} */
json_t *participant_describe(const struct participant *p);

/* Fills out[0..len-1] from [A-Za-z0-9+/] (ICE ufrag/pwd characters,
 * RFC 8839 ice-char) with RAND_bytes and NUL-terminates it. */
void participant_random_token(char *out, size_t len);
/* A random SSRC that is non-zero and unused by p's subscribe slots. */
uint32_t participant_new_ssrc(const struct participant *p);

struct producer_ref *participant_producer_find(struct participant *p, const char *mid);
/* Appends a producer; NULL when out of memory. */
struct producer_ref *participant_producer_add(struct participant *p);
void participant_producer_remove(struct participant *p, size_t index);

/* Appends a zeroed slot; NULL when out of memory. */
struct sub_slot *participant_slot_add(struct participant *p);

#endif
