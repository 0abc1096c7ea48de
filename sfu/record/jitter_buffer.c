/* Jitter buffer (see jitter_buffer.h). Slot i holds ext_seq with
 * ext_seq % capacity == i. Invariant: every held packet has
 * next_seq <= ext_seq < next_seq + capacity, so a slot is never shared.
 * While the head is missing, the wait is measured from the earliest arrival
 * among the packets held behind it: that packet has waited longest, and a
 * gap it waited max_wait for will not be filled any more. */
#include "record/jitter_buffer.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/clock.h"
#include "sabaq/error.h"

int jitter_buffer_init(struct jitter_buffer *jb, const struct jitter_buffer_config *cfg)
{
    memset(jb, 0, sizeof(*jb));
    if (!cfg->capacity || (cfg->capacity & (cfg->capacity - 1)) || !cfg->max_payload)
        return -SQ_EINVAL;
    jb->cfg = *cfg;
    jb->slots = calloc(cfg->capacity, sizeof(*jb->slots));
    jb->data = malloc((size_t)cfg->capacity * cfg->max_payload);
    if (!jb->slots || !jb->data) {
        jitter_buffer_destroy(jb);
        return -SQ_ENOMEM;
    }
    return 0;
}

void jitter_buffer_destroy(struct jitter_buffer *jb)
{
    free(jb->slots);
    free(jb->data);
    jb->slots = NULL;
    jb->data = NULL;
}

void jitter_buffer_reset(struct jitter_buffer *jb)
{
    for (uint32_t i = 0; i < jb->cfg.capacity; i++)
        jb->slots[i].is_used = false;
    jb->is_started = false;
    jb->has_popped = false;
    jb->pending_loss = 0;
}

static struct jitter_slot *slot_of(const struct jitter_buffer *jb, uint64_t seq)
{
    return &jb->slots[seq & (jb->cfg.capacity - 1)];
}

static void store(struct jitter_buffer *jb, const struct jitter_packet *in)
{
    struct jitter_slot *s = slot_of(jb, in->ext_seq);
    s->is_used = true;
    s->ext_seq = in->ext_seq;
    s->rtp_timestamp = in->rtp_timestamp;
    s->arrival_us = in->arrival_us;
    s->marker = in->marker;
    s->is_keyframe = in->is_keyframe;
    s->len = in->payload_len;
    memcpy(jb->data + (size_t)(s - jb->slots) * jb->cfg.max_payload, in->payload, in->payload_len);
    if (in->ext_seq > jb->highest_seq)
        jb->highest_seq = in->ext_seq;
    jb->stats.pushed++;
}

/* Starts over at `seq`: what was held is dropped, the jump counts as lost. */
static void restart(struct jitter_buffer *jb, uint64_t seq)
{
    uint64_t skipped = 0;
    if (jb->is_started && seq > jb->next_seq)
        skipped = seq - jb->next_seq;
    for (uint32_t i = 0; i < jb->cfg.capacity; i++)
        jb->slots[i].is_used = false;
    if (jb->is_started) {
        jb->stats.restarts++;
        jb->stats.lost += skipped;
        /* Reported even when the jump is backwards: the consumer must resync. */
        jb->pending_loss = skipped > UINT32_MAX ? UINT32_MAX : skipped ? (uint32_t)skipped : 1;
    }
    jb->is_started = true;
    jb->has_popped = false;
    jb->next_seq = jb->highest_seq = seq;
}

int jitter_buffer_push(struct jitter_buffer *jb, const struct jitter_packet *in)
{
    uint32_t cap = jb->cfg.capacity;
    if (in->payload_len > jb->cfg.max_payload) {
        jb->stats.refused++;
        return -SQ_ELIMIT;
    }
    if (!jb->is_started) {
        restart(jb, in->ext_seq);
    } else if (in->ext_seq < jb->next_seq) {
        /* Reordered at the very start: nothing went out yet, so the stream
         * can still begin earlier, as long as everything held still fits. */
        if (jb->has_popped || jb->highest_seq - in->ext_seq >= cap) {
            jb->stats.late++;
            return -SQ_ESTATE;
        }
        jb->next_seq = in->ext_seq;
    } else if (in->ext_seq - jb->next_seq >= cap) {
        restart(jb, in->ext_seq);
    }
    struct jitter_slot *s = slot_of(jb, in->ext_seq);
    if (s->is_used && s->ext_seq == in->ext_seq) {
        jb->stats.duplicates++;
        return -SQ_EEXIST;
    }
    store(jb, in);
    return 0;
}

static void give_out(struct jitter_buffer *jb, struct jitter_slot *s, uint32_t lost_before,
                     struct jitter_packet *out)
{
    out->ext_seq = s->ext_seq;
    out->rtp_timestamp = s->rtp_timestamp;
    out->arrival_us = s->arrival_us;
    out->marker = s->marker;
    out->is_keyframe = s->is_keyframe;
    out->payload = jb->data + (size_t)(s - jb->slots) * jb->cfg.max_payload;
    out->payload_len = s->len;
    out->lost_before = lost_before + jb->pending_loss;
    jb->pending_loss = 0;
    s->is_used = false;
    jb->next_seq = s->ext_seq + 1;
    jb->has_popped = true;
}

/* The first held packet after the missing head (NULL when none) and the
 * earliest arrival among the held ones. */
static struct jitter_slot *first_behind_gap(const struct jitter_buffer *jb, uint64_t *earliest_us)
{
    struct jitter_slot *first = NULL;
    *earliest_us = SQ_NEVER;
    if (!jb->is_started || jb->highest_seq <= jb->next_seq)
        return NULL;
    for (uint64_t seq = jb->next_seq + 1; seq <= jb->highest_seq; seq++) {
        struct jitter_slot *s = slot_of(jb, seq);
        if (!s->is_used || s->ext_seq != seq)
            continue;
        if (!first)
            first = s;
        if (s->arrival_us < *earliest_us)
            *earliest_us = s->arrival_us;
    }
    return first;
}

int jitter_buffer_pop(struct jitter_buffer *jb, uint64_t now_us, struct jitter_packet *out)
{
    if (!jb->is_started)
        return 0;
    struct jitter_slot *s = slot_of(jb, jb->next_seq);
    if (s->is_used && s->ext_seq == jb->next_seq) {
        give_out(jb, s, 0, out);
        return 1;
    }
    uint64_t earliest;
    struct jitter_slot *first = first_behind_gap(jb, &earliest);
    if (!first || now_us < earliest || now_us - earliest < jb->cfg.max_wait_us)
        return 0;
    uint64_t lost = first->ext_seq - jb->next_seq;
    jb->stats.lost += lost;
    give_out(jb, first, (uint32_t)lost, out);
    return 1;
}

uint64_t jitter_buffer_next_deadline_us(const struct jitter_buffer *jb)
{
    if (!jb->is_started)
        return SQ_NEVER;
    const struct jitter_slot *s = slot_of(jb, jb->next_seq);
    if (s->is_used && s->ext_seq == jb->next_seq)
        return 0;                /* ready now */
    uint64_t earliest;
    if (!first_behind_gap(jb, &earliest))
        return SQ_NEVER;
    return earliest + jb->cfg.max_wait_us;
}
