/* Which one microphone a WHEP viewer hears, sans-IO: the most recent speaker
 * (SFU_EVENT_SPEAKING_CHANGED), with a little hysteresis so two people
 * talking over each other do not make it flap, and the teacher's mic when
 * nobody has spoken for a while. Time comes in as an argument.
 *   - Someone starts speaking while the one heard is silent: switch at once.
 *   - While the one heard still speaks, a newer speaker takes over only after
 *     the current choice has held WHEP_SPEAKER_HOLD_MS.
 *   - Nobody speaking: the last speaker stays for WHEP_SPEAKER_QUIET_MS, then
 *     the fallback (the teacher's mic) is heard. */
#ifndef SIGNALING_WHEP_SPEAKER_H
#define SIGNALING_WHEP_SPEAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WHEP_SPEAKER_HOLD_MS 2000
#define WHEP_SPEAKER_QUIET_MS 5000
#define WHEP_SPEAKER_MAX 16          /* speaking at once that are remembered */

struct whep_speaker {
    uint32_t current;                /* the producer heard, 0 none */
    uint64_t chosen_ms;              /* when it was chosen */
    uint64_t quiet_since_ms;         /* when the last one stopped speaking (0: never spoke) */
    struct {
        uint32_t producer;
        uint64_t since_ms;
    } speaking[WHEP_SPEAKER_MAX];    /* producers speaking now */
    size_t n_speaking;
};

/* Audio producer `producer` started (true) or stopped speaking. */
void whep_speaker_event(struct whep_speaker *s, uint32_t producer, bool speaking,
                        uint64_t now_ms);
/* The producer is gone or paused: never chosen until it speaks again. */
void whep_speaker_forget(struct whep_speaker *s, uint32_t producer);
/* Updates and returns the choice (0: nothing to hear). fallback: the
 * teacher's mic, 0 when none. */
uint32_t whep_speaker_choose(struct whep_speaker *s, uint32_t fallback, uint64_t now_ms);

#endif
