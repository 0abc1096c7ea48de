/* Who is speaking, from the client-to-mixer audio level header extension
 * (RFC 6464: 0..127 = -dBov, 127 = silence, lower is louder). One per audio
 * producer, fed the level of every packet and a periodic tick, it emits
 * SFU_EVENT_SPEAKING_CHANGED {id, value 1/0} through the core's event sink
 * only when the state changes, and keeps a loudness score that it reports
 * (SFU_EVENT_AUDIO_LEVEL) for the control plane's choice of the loudest
 * speakers (signaling/slots.h: the media plane knows no lessons).
 *
 * Time is cut into SPEAKING_BUCKET_US buckets. At the end of each, the
 * smoothed level is the mean level of the packets of the last two buckets
 * (100 ms: the dips between syllables average out, a single loud packet
 * does not); no packets at all (Opus DTX, a stalled sender) is silence. The
 * bucket is loud when that level is at most SPEAKING_LOUD_LEVEL. Speaking starts when SPEAKING_START_LOUD of the last
 * SPEAKING_START_BUCKETS buckets are loud, the newest among them (200 ms of
 * loud speech within 250 ms), and stops after SPEAKING_STOP_BUCKETS buckets (1 s) without a loud one. So
 * a cough or one loud packet never starts it, and the pauses between words
 * and sentences never stop it. No allocation, a few integer operations per
 * packet. While speaking, it also emits SFU_EVENT_AUDIO_LEVEL {id,
 * loudness} every SPEAKING_LEVEL_BUCKETS buckets. */
#ifndef SABAQ_RTC_SPEAKING_H
#define SABAQ_RTC_SPEAKING_H

#include <stdbool.h>
#include <stdint.h>

struct rtc_env;

#define SPEAKING_BUCKET_US 50000
/* -45 dBov: speech from a browser with its automatic gain control sits
 * around -15..-35 dBov, and what its noise suppression leaves of a room
 * (fans, hum, keyboard) lies below about -55 dBov. 45 keeps a soft speaker
 * without AGC and ~10 dB of margin over residual noise. */
#define SPEAKING_LOUD_LEVEL 45
#define SPEAKING_START_BUCKETS 5  /* 250 ms ... */
#define SPEAKING_START_LOUD 4     /* ... of which 4 loud: one dip between syllables is fine */
#define SPEAKING_STOP_BUCKETS 20  /* 1 s without a loud bucket */
/* While speaking, SFU_EVENT_AUDIO_LEVEL {id, loudness} every this many
 * buckets (250 ms): enough for the control plane to rank the loudest
 * speakers, a few events a second per speaker at most. */
#define SPEAKING_LEVEL_BUCKETS 5

struct speaking {
    bool is_speaking;
    bool has_bucket;             /* a first level has arrived */
    uint16_t n, prev_n;          /* packets in the open and the previous bucket */
    uint32_t level_sum, prev_sum;/* their levels */
    uint64_t bucket_end_us;      /* when the open bucket closes */
    uint32_t loud_mask;          /* bit i: the bucket closed i buckets ago was loud */
    uint16_t loudness_q8;        /* loudness (below) times 256 */
    uint8_t level_buckets;       /* buckets since the last AUDIO_LEVEL event */
};

/* One packet's level (0..127) for producer `id`. */
void speaking_on_level(struct speaking *s, struct rtc_env *env, uint32_t id, uint8_t level,
                       uint64_t now_us);

/* Closes the buckets that ended with no packets, so a speaker whose packets
 * stop altogether stops speaking too. Call it every few tens of ms. */
void speaking_tick(struct speaking *s, struct rtc_env *env, uint32_t id, uint64_t now_us);

/* The producer is paused or closed: emits 0 if it was speaking, and starts
 * afresh at the next level. */
void speaking_stop(struct speaking *s, struct rtc_env *env, uint32_t id);

/* dB above the speaking threshold (0..SPEAKING_LOUD_LEVEL), averaged over
 * about 400 ms: 0 for silence, 20 for ordinary speech at -25 dBov. */
static inline uint8_t speaking_loudness(const struct speaking *s)
{
    return (uint8_t)((s->loudness_q8 + 128) >> 8);
}

#endif
