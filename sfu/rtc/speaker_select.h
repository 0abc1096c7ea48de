/* Who is heard and who is seen in a large lesson (issue "Scale", DESIGN.md
 * slots): the N loudest speakers get the audio slots (default 3) and the
 * last N dominant speakers the speaker video slots (default 4, last-N).
 * A pure module: fed (now, id, loudness) from speaking.h, it only says who
 * holds which slot; the router maps that onto consumers.
 *
 * Hysteresis, so that slots do not flap:
 *   audio  an empty slot is taken at once by anyone making a sound; when all
 *          are taken, a newcomer replaces the quietest holder (on a tie the
 *          one silent the longest) only after being strictly louder than it
 *          for switch_us without a break.
 *   video  the dominant speaker changes only when someone has been strictly
 *          louder than the dominant one for switch_us without a break (the
 *          first needs switch_us of sound); a new dominant speaker takes an
 *          empty slot or the slot of the one dominant the longest ago.
 * A newcomer always takes over the slot of the one it evicts, so the other
 * holders never move: slot i is output i.
 *
 * Only ids that made a sound are tracked (up to max_candidates), so updates
 * cost a scan of a short table; a loudness not refreshed for stale_us counts
 * as silence. Ids are the caller's (audio producer ids, or participants). */
#ifndef SABAQ_RTC_SPEAKER_SELECT_H
#define SABAQ_RTC_SPEAKER_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPEAKER_SELECT_MAX_SLOTS 16

struct speaker_select_config {
    uint8_t n_audio;             /* audio slots, default 3 */
    uint8_t n_video;             /* speaker video slots (last-N), default 4 */
    uint32_t switch_us;          /* louder for this long to take over, default 1.5 s */
    uint32_t stale_us;           /* an update older than this is silence, default 1 s */
    uint16_t max_candidates;     /* ids tracked at once, default 64 */
};

/* Bits of speaker_select_update()'s result. */
#define SPEAKER_SELECT_AUDIO_CHANGED 1
#define SPEAKER_SELECT_VIDEO_CHANGED 2

struct speaker_select;

/* NULL cfg or zero fields take the defaults; NULL when out of memory or a
 * slot count exceeds SPEAKER_SELECT_MAX_SLOTS. */
struct speaker_select *speaker_select_new(const struct speaker_select_config *cfg);
void speaker_select_free(struct speaker_select *s);

/* The latest loudness of `id` (speaking_loudness(): dB above the speaking
 * threshold, 0 = silent). Call it for every speaking source every few tens
 * of ms. Returns SPEAKER_SELECT_*_CHANGED bits, 0 when no slot changed. */
int speaker_select_update(struct speaker_select *s, uint64_t now_us, uint32_t id,
                          uint8_t loudness);

/* `id` has gone (producer closed, participant left): its slots empty.
 * Returns SPEAKER_SELECT_*_CHANGED bits. */
int speaker_select_remove(struct speaker_select *s, uint32_t id);

/* Slot holders: out[i] is slot i's id, 0 for an empty slot. Writes
 * min(n, slots) entries and returns how many it wrote. */
size_t speaker_select_top_audio(const struct speaker_select *s, uint32_t *out, size_t n);
size_t speaker_select_recent_video(const struct speaker_select *s, uint32_t *out, size_t n);

/* The dominant speaker, 0 when there is none yet. */
uint32_t speaker_select_dominant(const struct speaker_select *s);

#endif
