/* The WHEP viewer's speaker choice: see whep_speaker.h. */
#include "whep_speaker.h"

static int find(const struct whep_speaker *s, uint32_t producer)
{
    for (size_t i = 0; i < s->n_speaking; i++)
        if (s->speaking[i].producer == producer)
            return (int)i;
    return -1;
}

static void drop(struct whep_speaker *s, int i, uint64_t now_ms)
{
    s->speaking[i] = s->speaking[--s->n_speaking];
    if (!s->n_speaking)
        s->quiet_since_ms = now_ms ? now_ms : 1;
}

void whep_speaker_event(struct whep_speaker *s, uint32_t producer, bool speaking,
                        uint64_t now_ms)
{
    int i = find(s, producer);
    if (!speaking) {
        if (i >= 0)
            drop(s, i, now_ms);
        return;
    }
    if (i >= 0 || !producer)
        return;
    if (s->n_speaking == WHEP_SPEAKER_MAX) {
        /* A crowd: the one speaking longest makes room (it is not the newest). */
        size_t oldest = 0;
        for (size_t k = 1; k < s->n_speaking; k++)
            if (s->speaking[k].since_ms < s->speaking[oldest].since_ms)
                oldest = k;
        s->speaking[oldest] = s->speaking[--s->n_speaking];
    }
    s->speaking[s->n_speaking].producer = producer;
    s->speaking[s->n_speaking].since_ms = now_ms;
    s->n_speaking++;
}

void whep_speaker_forget(struct whep_speaker *s, uint32_t producer)
{
    int i = find(s, producer);
    if (i >= 0) {
        s->speaking[i] = s->speaking[--s->n_speaking];
        if (!s->n_speaking && !s->quiet_since_ms)
            s->quiet_since_ms = 1;
    }
    if (s->current == producer)
        s->current = 0;
}

static uint32_t newest(const struct whep_speaker *s)
{
    size_t best = 0;
    for (size_t k = 1; k < s->n_speaking; k++)
        if (s->speaking[k].since_ms >= s->speaking[best].since_ms)
            best = k;
    return s->speaking[best].producer;
}

static uint32_t pick(struct whep_speaker *s, uint32_t fallback, uint64_t now_ms)
{
    if (s->n_speaking) {
        uint32_t n = newest(s);
        bool current_speaks = s->current && find(s, s->current) >= 0;
        if (!current_speaks || now_ms - s->chosen_ms >= WHEP_SPEAKER_HOLD_MS)
            return n;
        return s->current;
    }
    if (s->current && s->quiet_since_ms && now_ms - s->quiet_since_ms < WHEP_SPEAKER_QUIET_MS)
        return s->current;
    return fallback;
}

uint32_t whep_speaker_choose(struct whep_speaker *s, uint32_t fallback, uint64_t now_ms)
{
    uint32_t next = pick(s, fallback, now_ms);
    if (next != s->current) {
        s->current = next;
        s->chosen_ms = now_ms;
    }
    return s->current;
}
