/* VP8 frame reassembly (see vp8_frame.h). The frame being filled and the
 * frame last given out live in two buffers so that a frame completed by the
 * start of the next one (a lost marker bit is impossible without a loss, but
 * a sender may omit it) can be given out while the new one starts. */
#include "record/vp8_frame.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "sabaq/vp8.h"

int vp8_frame_init(struct vp8_frame_assembler *a)
{
    memset(a, 0, sizeof(*a));
    a->buf[0] = malloc(VP8_FRAME_MAX);
    a->buf[1] = malloc(VP8_FRAME_MAX);
    if (!a->buf[0] || !a->buf[1]) {
        vp8_frame_destroy(a);
        return -SQ_ENOMEM;
    }
    a->waits_keyframe = true;
    return 0;
}

void vp8_frame_destroy(struct vp8_frame_assembler *a)
{
    free(a->buf[0]);
    free(a->buf[1]);
    a->buf[0] = a->buf[1] = NULL;
}

void vp8_frame_reset(struct vp8_frame_assembler *a)
{
    a->is_in_frame = false;
    a->len = 0;
    a->waits_keyframe = true;
}

static void break_stream(struct vp8_frame_assembler *a, bool *wants_keyframe)
{
    if (a->is_in_frame)
        a->stats.dropped++;
    a->is_in_frame = false;
    a->len = 0;
    if (!a->waits_keyframe)
        a->stats.keyframe_waits++;
    a->waits_keyframe = true;
    *wants_keyframe = true;
}

/* Ends the frame being filled: 1 with *out set when it can be written. */
static int finish(struct vp8_frame_assembler *a, struct vp8_frame *out, bool *wants_keyframe)
{
    a->is_in_frame = false;
    if (a->is_broken) {
        a->is_in_frame = true;   /* so break_stream counts the drop */
        break_stream(a, wants_keyframe);
        return 0;
    }
    if (a->len == 0 || (a->waits_keyframe && !a->is_keyframe)) {
        a->stats.dropped++;
        a->len = 0;
        return 0;
    }
    a->waits_keyframe = false;
    out->data = a->buf[a->fill];
    out->len = a->len;
    out->rtp_timestamp = a->rtp_timestamp;
    out->arrival_us = a->arrival_us;
    out->is_keyframe = a->is_keyframe;
    out->width = a->is_keyframe ? a->width : 0;
    out->height = a->is_keyframe ? a->height : 0;
    a->stats.frames++;
    a->fill ^= 1;                /* the frame given out stays intact until the next push */
    a->len = 0;
    return 1;
}

static void begin(struct vp8_frame_assembler *a, const struct jitter_packet *pkt,
                  const struct vp8_descriptor *d)
{
    a->is_in_frame = true;
    a->is_broken = false;
    a->len = 0;
    a->rtp_timestamp = pkt->rtp_timestamp;
    a->arrival_us = pkt->arrival_us;
    a->is_keyframe = d->is_keyframe;
    a->width = d->width;
    a->height = d->height;
}

int vp8_frame_push(struct vp8_frame_assembler *a, const struct jitter_packet *pkt,
                   struct vp8_frame *out, bool *wants_keyframe)
{
    struct vp8_descriptor d;
    int ready = 0;
    if (pkt->lost_before)
        break_stream(a, wants_keyframe);
    if (vp8_descriptor_parse(&d, pkt->payload, pkt->payload_len) < 0) {
        break_stream(a, wants_keyframe);
        return 0;
    }
    bool is_start = d.start_of_partition && d.partition_id == 0;
    if (a->is_in_frame && pkt->rtp_timestamp != a->rtp_timestamp)
        ready = finish(a, out, wants_keyframe); /* the previous frame had no marker bit */
    if (!a->is_in_frame) {
        if (!is_start) {
            /* The middle of a frame whose start we never had. */
            if (!a->waits_keyframe)
                break_stream(a, wants_keyframe);
            return ready;
        }
        begin(a, pkt, &d);
    }
    size_t n = pkt->payload_len - d.descriptor_len;
    if (a->len + n > VP8_FRAME_MAX) {
        a->is_broken = true;
    } else if (!a->is_broken) {
        memcpy(a->buf[a->fill] + a->len, pkt->payload + d.descriptor_len, n);
        a->len += n;
    }
    if (pkt->marker && !ready)
        ready = finish(a, out, wants_keyframe);
    return ready;
}
