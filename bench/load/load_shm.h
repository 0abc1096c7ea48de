/* bench/load: the memory the bench's processes share. The parent maps it
 * (MAP_SHARED | MAP_ANONYMOUS) before it forks the bot processes, so every
 * process sees the same control block, the same latency map and every other
 * process's counters. CLOCK_MONOTONIC is one clock for the whole machine, so a
 * send time written by the publisher process can be compared with a receive
 * time read in any receiver process. */
#ifndef SABAQ_BENCH_LOAD_SHM_H
#define SABAQ_BENCH_LOAD_SHM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOAD_MAX_PROCS 16
#define LOAD_MAX_BOTS 1024
#define LOAD_LAT_BUCKET_US 50
#define LOAD_LAT_BUCKETS 10000        /* 0 .. 500 ms, then one overflow bucket */
#define LOAD_LATMAP_SLOTS (1u << 16)  /* about 3 minutes of the publishers' packets */
#define LOAD_LAYERS 3                 /* camera simulcast layers the teacher sends */

enum load_phase { LOAD_PHASE_JOIN, LOAD_PHASE_MEASURE, LOAD_PHASE_STOP };

/* Times of one bot's join, CLOCK_MONOTONIC microseconds, 0 when not reached. */
struct load_bot_times {
    uint64_t ws_start_us;            /* the WebSocket connect was started */
    uint64_t joined_us;              /* `joined` arrived */
    uint64_t sub_up_us;              /* the subscribe transport finished DTLS */
    uint64_t media_us;               /* publishers: every publish transport up;
                                        receivers: first camera packet decrypted */
    _Atomic uint32_t failed;         /* a step failed or timed out */
};

/* One latency map slot: a packet's payload hash, when it was sent and from
 * which source (camera layer, screen, audio) in the top byte. */
struct load_latmap_slot {
    _Atomic uint64_t key;
    _Atomic uint64_t value;
};

#define LOAD_SRC_NONE 0xff           /* load_latmap_get: not in the map */

/* Counters of one bot process. Errors count for the whole run; traffic,
 * loss and latency only while the phase is LOAD_PHASE_MEASURE. */
struct load_counters {
    uint32_t bots, decoders;         /* bots here; of them, how many decode fully */
    uint64_t rx_packets, rx_bytes;   /* RTP decrypted by the receivers */
    uint64_t rx_rtcp;
    uint64_t expected, received;     /* per received stream: highest seq span vs packets */
    uint64_t srtp_errors, malformed, vp8_errors, continuity_errors;
    uint64_t foreign_layer;          /* camera packets of another layer than the last keyframe's */
    uint64_t frames_complete, frames_incomplete;
    uint64_t frames_decoded, decode_errors, size_errors;
    uint64_t audio_decoded, audio_decode_errors;
    uint64_t plis_sent, plis_received, nacks_received, rtx_sent, keyframes_forced;
    uint64_t tx_packets, tx_bytes;   /* RTP the publishers sent */
    uint64_t encode_us, encode_frames; /* VP8 encoding in the publisher process, whole run */
    uint64_t lat_video[LOAD_LAT_BUCKETS + 1];
    uint64_t lat_audio[LOAD_LAT_BUCKETS + 1];
    uint64_t layer_bots[LOAD_LAYERS + 1];   /* receivers by camera layer last received; +1: other */
    uint64_t layer_packets[LOAD_LAYERS + 1];
    uint64_t screen_bots;            /* receivers that got screen share packets */
    uint64_t no_camera_bots;         /* receivers that got no camera packet in the window */
    uint64_t cpu_us;                 /* user + system CPU of the process, whole run */
    char note[160];                  /* first problem seen, for the report */
};

struct load_ctl {
    _Atomic int phase;               /* enum load_phase */
    _Atomic uint32_t publishers_up;  /* publishers with every publish transport up */
    _Atomic uint32_t media_up;       /* bots whose media_us is set */
    _Atomic uint32_t failed;
    _Atomic uint32_t procs_done;
    uint64_t t0_us;
};

struct load_shm {
    struct load_ctl ctl;
    struct load_latmap_slot latmap[LOAD_LATMAP_SLOTS];
    struct load_counters procs[LOAD_MAX_PROCS];
    struct load_bot_times bots[LOAD_MAX_BOTS];
};

/* Maps a zeroed shared block; NULL on failure. */
struct load_shm *load_shm_new(void);
void load_shm_free(struct load_shm *s);
/* Clears it for the next run (same mapping). */
void load_shm_reset(struct load_shm *s);

/* Key of a packet for the latency map: a hash of the bytes the SFU forwards
 * unchanged (the VP8 payload after its descriptor, or the Opus payload). */
uint64_t load_payload_key(const uint8_t *p, size_t len);
/* `source`: 0..LOAD_LAYERS-1 camera layer, LOAD_LAYERS screen, 0xfe audio. */
void load_latmap_put(struct load_shm *s, uint64_t key, uint64_t sent_us, uint8_t source);
/* The send time of `key` (0 when it is not, or no longer, there) and its
 * source (LOAD_SRC_NONE then). */
uint64_t load_latmap_get(const struct load_shm *s, uint64_t key, uint8_t *source);

static inline void load_lat_add(uint64_t *hist, uint64_t us)
{
    uint64_t b = us / LOAD_LAT_BUCKET_US;
    hist[b < LOAD_LAT_BUCKETS ? b : LOAD_LAT_BUCKETS]++;
}

static inline bool load_measuring(const struct load_shm *s)
{
    return atomic_load_explicit(&s->ctl.phase, memory_order_relaxed) == LOAD_PHASE_MEASURE;
}

#endif
