/* Speaking detection from RFC 6464 audio levels (see speaking.h). */
#include "rtc/speaking.h"

#include <string.h>

#include "sabaq/sfu.h"
#include "rtc/rtc_env.h"

#define START_MASK ((1u << SPEAKING_START_BUCKETS) - 1)
#define STOP_MASK ((1u << SPEAKING_STOP_BUCKETS) - 1)
/* After this many empty buckets in one go everything has decayed: jump. */
#define MAX_CLOSES 64
#define SILENCE 127

/* rtc_env_emit() has no value argument: the event is built here. */
static void emit(struct rtc_env *env, enum sfu_event_type type, uint32_t id, int32_t value)
{
    struct sfu_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.id = id;
    ev.value = value;
    if (env && env->emit)
        env->emit(env->emit_arg, &ev);
}

static void set_speaking(struct speaking *s, struct rtc_env *env, uint32_t id, bool on)
{
    s->is_speaking = on;
    s->level_buckets = 0;
    emit(env, SFU_EVENT_SPEAKING_CHANGED, id, on ? 1 : 0);
}

static int popcount(uint32_t v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

/* Loudness: an exponential average over 8 buckets (400 ms), long enough to
 * ride over syllables, short enough to follow a turn change. */
static void update_loudness(struct speaking *s, uint8_t level)
{
    int32_t v = level <= SPEAKING_LOUD_LEVEL ? (SPEAKING_LOUD_LEVEL - level) << 8 : 0;
    int32_t d = v - (int32_t)s->loudness_q8;
    int32_t step = d >= 0 ? d / 8 : -((-d + 7) / 8);
    s->loudness_q8 = (uint16_t)((int32_t)s->loudness_q8 + step);
}

static void close_bucket(struct speaking *s, struct rtc_env *env, uint32_t id)
{
    uint32_t n = (uint32_t)s->n + s->prev_n, sum = s->level_sum + s->prev_sum;
    uint8_t level = n ? (uint8_t)((sum + n / 2) / n) : SILENCE;
    bool is_loud = level <= SPEAKING_LOUD_LEVEL;
    s->loud_mask = s->loud_mask << 1 | (is_loud ? 1u : 0u);
    update_loudness(s, level);
    s->prev_n = s->n;
    s->prev_sum = s->level_sum;
    s->n = 0;
    s->level_sum = 0;
    s->bucket_end_us += SPEAKING_BUCKET_US;
    if (!s->is_speaking && is_loud && popcount(s->loud_mask & START_MASK) >= SPEAKING_START_LOUD)
        set_speaking(s, env, id, true);
    else if (s->is_speaking && !(s->loud_mask & STOP_MASK))
        set_speaking(s, env, id, false);
    else if (s->is_speaking && ++s->level_buckets >= SPEAKING_LEVEL_BUCKETS) {
        s->level_buckets = 0;
        emit(env, SFU_EVENT_AUDIO_LEVEL, id, speaking_loudness(s));
    }
}

static void advance(struct speaking *s, struct rtc_env *env, uint32_t id, uint64_t now_us)
{
    int closes = 0;
    while (now_us >= s->bucket_end_us) {
        if (closes++ == MAX_CLOSES) {
            /* MAX_CLOSES > SPEAKING_STOP_BUCKETS: already stopped. */
            uint64_t behind = (now_us - s->bucket_end_us) / SPEAKING_BUCKET_US;
            s->bucket_end_us += (behind + 1) * SPEAKING_BUCKET_US;
            s->loud_mask = 0;
            s->loudness_q8 = 0;
            s->n = s->prev_n = 0;
            s->level_sum = s->prev_sum = 0;
            return;
        }
        close_bucket(s, env, id);
    }
}

void speaking_on_level(struct speaking *s, struct rtc_env *env, uint32_t id, uint8_t level,
                       uint64_t now_us)
{
    if (!s->has_bucket) {
        s->has_bucket = true;
        s->bucket_end_us = now_us + SPEAKING_BUCKET_US;
    } else {
        advance(s, env, id, now_us);
    }
    if (s->n == UINT16_MAX)
        return;                  /* a flood within 50 ms: its mean is already known */
    s->n++;
    s->level_sum += level & 0x7f;
}

void speaking_tick(struct speaking *s, struct rtc_env *env, uint32_t id, uint64_t now_us)
{
    if (s->has_bucket)
        advance(s, env, id, now_us);
}

void speaking_stop(struct speaking *s, struct rtc_env *env, uint32_t id)
{
    bool was_speaking = s->is_speaking;
    memset(s, 0, sizeof(*s));
    if (was_speaking)
        set_speaking(s, env, id, false);
}
