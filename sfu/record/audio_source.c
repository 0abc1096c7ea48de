/* A speaker of a recording (see audio_source.h). Blocks live in a ring of
 * AUDIO_SOURCE_BLOCKS indexed by block number; block b covers timeline
 * samples [b * AUDIO_BLOCK, (b + 1) * AUDIO_BLOCK). */
#include "record/audio_source.h"

#include <opus/opus.h>
#include <string.h>

#include "sabaq/error.h"

#define JB_CAPACITY 64
/* A gap is waited for this long: below the mixer's delay (recording.h). */
#define JB_MAX_WAIT_US 120000

int audio_source_init(struct audio_source *s, uint32_t producer_id, int64_t first_block)
{
    int err;
    memset(s, 0, sizeof(*s));
    s->producer_id = producer_id;
    s->base_block = first_block;
    struct jitter_buffer_config cfg = {
        .capacity = JB_CAPACITY, .max_payload = RECORD_PAYLOAD_MAX, .max_wait_us = JB_MAX_WAIT_US};
    int rc = jitter_buffer_init(&s->jb, &cfg);
    if (rc < 0)
        return rc;
    s->dec = opus_decoder_create(AUDIO_RATE, 1, &err);
    if (!s->dec) {
        jitter_buffer_destroy(&s->jb);
        return err == OPUS_ALLOC_FAIL ? -SQ_ENOMEM : -SQ_EINVAL;
    }
    return 0;
}

void audio_source_destroy(struct audio_source *s)
{
    jitter_buffer_destroy(&s->jb);
    if (s->dec)
        opus_decoder_destroy(s->dec);
    s->dec = NULL;
}

void audio_source_push(struct audio_source *s, const struct record_packet *pkt)
{
    struct jitter_packet in = {
        .ext_seq = pkt->ext_seq,
        .rtp_timestamp = pkt->rtp_timestamp,
        .arrival_us = pkt->arrival_us,
        .marker = pkt->marker,
        .payload = pkt->payload,
        .payload_len = pkt->payload_len,
    };
    s->stats.packets++;
    jitter_buffer_push(&s->jb, &in);
}

/* Copies decoded samples onto the timeline from sample `pos`; what falls
 * before the mixer's next block or past the ring is dropped. */
static void place(struct audio_source *s, int64_t pos, const int16_t *pcm, int n)
{
    int64_t lo = s->base_block * AUDIO_BLOCK;
    int64_t hi = (s->base_block + AUDIO_SOURCE_BLOCKS) * AUDIO_BLOCK;
    for (int i = 0; i < n; i++) {
        int64_t p = pos + i;
        if (p < lo || p >= hi)
            continue;
        int64_t block = p / AUDIO_BLOCK;
        size_t slot = (size_t)(block % AUDIO_SOURCE_BLOCKS);
        if (!s->filled[slot]) {
            memset(s->pcm[slot], 0, sizeof(s->pcm[slot]));
            s->filled[slot] = true;
        }
        s->pcm[slot][p % AUDIO_BLOCK] = pcm[i];
    }
}

static int64_t arrival_pos(uint64_t arrival_us, uint64_t start_us)
{
    uint64_t us = arrival_us > start_us ? arrival_us - start_us : 0;
    return (int64_t)(us * AUDIO_RATE / 1000000);
}

/* Where the packet goes on the timeline, re-placing the stream when its
 * timestamps and its arrival disagree by too much. */
static int64_t position(struct audio_source *s, const struct jitter_packet *p, uint64_t start_us)
{
    int64_t by_arrival = arrival_pos(p->arrival_us, start_us);
    if (s->is_anchored) {
        int64_t by_ts = s->anchor_pos + (int32_t)(p->rtp_timestamp - s->anchor_ts);
        int64_t diff = by_ts - by_arrival;
        /* Also when the mixer has passed it already: the path's delay grew
         * beyond the mixer's, and from now on it is placed that much later. */
        if (diff < AUDIO_SOURCE_REANCHOR && diff > -AUDIO_SOURCE_REANCHOR &&
            by_ts >= s->base_block * AUDIO_BLOCK)
            return by_ts;
        s->stats.reanchored++;
    }
    s->is_anchored = true;
    s->anchor_pos = by_arrival;
    s->anchor_ts = p->rtp_timestamp;
    s->end_pos = by_arrival;
    return by_arrival;
}

/* Rebuilds up to AUDIO_SOURCE_CONCEAL_MAX lost frames before `p` at `pos`. */
static void conceal(struct audio_source *s, const struct jitter_packet *p, int64_t pos)
{
    int16_t *pcm = s->scratch;
    int64_t missing = pos - s->end_pos;
    if (missing <= 0 || missing > (int64_t)AUDIO_SOURCE_CONCEAL_MAX * AUDIO_BLOCK)
        return;
    int64_t at = s->end_pos;
    while (missing > AUDIO_BLOCK) {
        int n = opus_decode(s->dec, NULL, 0, pcm, AUDIO_BLOCK, 0);
        if (n <= 0)
            return;
        place(s, at, pcm, n);
        at += n;
        missing -= n;
        s->stats.concealed++;
    }
    /* The last lost frame: FEC from this packet if it carries some, else
     * concealment (libopus does the latter itself when there is no FEC). */
    int n = opus_decode(s->dec, p->payload, (opus_int32)p->payload_len, pcm, (int)missing, 1);
    if (n > 0) {
        place(s, at, pcm, n);
        s->stats.fec++;
    }
}

static void decode(struct audio_source *s, const struct jitter_packet *p, uint64_t start_us)
{
    int16_t *pcm = s->scratch;
    int64_t pos = position(s, p, start_us);
    if (p->lost_before && s->end_pos > 0)
        conceal(s, p, pos);
    int n = opus_decode(s->dec, p->payload, (opus_int32)p->payload_len, pcm,
                        AUDIO_SOURCE_FRAME_MAX, 0);
    if (n < 0) {
        s->stats.decode_errors++;
        return;
    }
    if (pos + n <= s->base_block * AUDIO_BLOCK)
        s->stats.late++;
    place(s, pos, pcm, n);
    s->end_pos = pos + n;
    s->stats.decoded++;
}

void audio_source_drain(struct audio_source *s, uint64_t now_us, uint64_t start_us)
{
    struct jitter_packet p;
    while (jitter_buffer_pop(&s->jb, now_us, &p) == 1)
        if (p.payload_len > 0)
            decode(s, &p, start_us);
}

bool audio_source_take(struct audio_source *s, int64_t block, const int16_t **out)
{
    if (block < s->base_block || block >= s->base_block + AUDIO_SOURCE_BLOCKS)
        return false;
    size_t slot = (size_t)(block % AUDIO_SOURCE_BLOCKS);
    if (!s->filled[slot])
        return false;
    *out = s->pcm[slot];
    return true;
}

void audio_source_advance(struct audio_source *s, int64_t block)
{
    /* Every block up to `block` leaves the ring. */
    while (s->base_block <= block) {
        s->filled[(size_t)(s->base_block % AUDIO_SOURCE_BLOCKS)] = false;
        s->base_block++;
    }
}

uint64_t audio_source_next_deadline_us(const struct audio_source *s)
{
    return jitter_buffer_next_deadline_us(&s->jb);
}
