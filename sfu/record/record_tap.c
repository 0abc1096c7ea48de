/* Worker-side tap (see record_tap.h). The wake-up follows the usual
 * sleeping-flag protocol: the recorder sets is_recorder_idle, looks at the
 * rings once more, then sleeps on its eventfd; the worker, after publishing
 * a packet, clears the flag and writes the eventfd only if the flag was set.
 * The seq_cst fences on both sides make sure one of them sees the other.
 * The recorder sets the flag only for a sleep with nothing due: while it
 * records it ticks every 20 ms by itself, so a recorded packet normally
 * costs the worker one copy, one fence and one load, no syscall. */
#include "record/record_tap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtc/producer.h"
#include "rtc/rtc_packet.h"

struct record_tap *record_tap_new(int wake_fd, atomic_bool *is_recorder_idle)
{
    size_t size = (sizeof(struct record_tap) + 63) & ~(size_t)63;
    struct record_tap *t = aligned_alloc(64, size);
    if (!t)
        return NULL;
    memset(t, 0, size);
    if (record_ring_init(&t->ring, RECORD_RING_SLOTS) < 0) {
        free(t);
        return NULL;
    }
    t->wake_fd = wake_fd;
    t->is_recorder_idle = is_recorder_idle;
    return t;
}

void record_tap_free(struct record_tap *t)
{
    if (!t)
        return;
    record_ring_destroy(&t->ring);
    free(t);
}

/* The best layer by frame size that is arriving; the current one when none is. */
static uint8_t best_arriving_layer(const struct producer *p, uint64_t now_us)
{
    for (int i = p->n_layers - 1; i >= 0; i--)
        if (producer_layer_is_active(&p->layers[p->rank[i]], now_us))
            return p->rank[i];
    return p->record_layer;
}

void record_tap_producer(struct producer *p, bool on, uint64_t now_us)
{
    if (!on) {
        if (p->record_refs)
            p->record_refs--;
        return;
    }
    if (p->record_refs++ || !p->is_video)
        return;
    p->record_layer = p->record_next_layer = best_arriving_layer(p, now_us);
    if (p->n_layers > 1 && !producer_layer_is_active(&p->layers[p->record_layer], now_us))
        p->record_layer = p->record_next_layer = p->rank[p->n_layers - 1];
    producer_request_layer_keyframe(p, p->record_layer, now_us);
}

/* Simulcast: true when the packet is of the layer the recording takes. */
static bool follow_layer(struct producer *p, const struct rtc_packet *pkt, uint64_t now_us)
{
    /* The recording wants the best layer: the publisher keeps sending it. */
    p->layers[p->rank[p->n_layers - 1]].wanted_us = now_us;
    uint8_t best = best_arriving_layer(p, now_us);
    if (best != p->record_next_layer) {
        p->record_next_layer = best;
        if (best != p->record_layer)
            p->layers[best].wants_keyframe = true; /* sent by the producer's tick */
    }
    if (pkt->layer == p->record_next_layer && pkt->layer != p->record_layer && pkt->is_keyframe)
        p->record_layer = pkt->layer;
    p->layers[p->record_layer].wanted_us = now_us;
    return pkt->layer == p->record_layer;
}

static void wake(struct record_tap *t)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(t->is_recorder_idle, memory_order_relaxed) &&
        atomic_exchange(t->is_recorder_idle, false)) {
        uint64_t one = 1;
        ssize_t r = write(t->wake_fd, &one, sizeof(one));
        (void)r;                 /* EAGAIN: the counter is full, it is awake anyway */
    }
}

void record_tap_packet(struct record_tap *t, struct producer *p, const struct rtc_packet *pkt,
                       uint64_t now_us)
{
    if (!t)
        return;
    if (p->n_layers > 1 && !follow_layer(p, pkt, now_us))
        return;
    size_t len = pkt->rtp.payload_len;
    if (len == 0) {
        t->skipped_empty++;
        return;
    }
    if (len > RECORD_PAYLOAD_MAX) {
        t->dropped_too_large++;
        return;
    }
    struct record_packet *s = record_ring_reserve(&t->ring);
    if (!s)
        return;                  /* counted by the ring: the recorder fell behind */
    s->producer_id = p->id;
    s->rtp_timestamp = pkt->rtp.timestamp;
    s->ext_seq = pkt->ext_seq;
    s->arrival_us = now_us;
    s->payload_len = (uint16_t)len;
    s->layer = pkt->layer;
    s->marker = pkt->rtp.marker;
    s->is_keyframe = pkt->is_keyframe;
    memcpy(s->payload, pkt->rtp.payload, len);
    record_ring_commit(&t->ring);
    wake(t);
}
