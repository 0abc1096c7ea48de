/* One recording (see recording.h): sources in, one WebM file out. */
#include "record/recording.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sabaq/clock.h"
#include "sabaq/error.h"

#define VIDEO_JB_CAPACITY 1024   /* a large keyframe is a few hundred packets */
#define VIDEO_JB_MAX_WAIT_US 150000
#define BLOCK_US (AUDIO_BLOCK_MS * 1000)
/* The producer sends at most one PLI per 300 ms anyway (producer.h). */
#define KEYFRAME_MIN_INTERVAL_US 300000

static const char *reason_of_errno(int e)
{
    return e == ENOSPC || e == EDQUOT ? "disk_full" : "write_error";
}

int recording_new(struct recording **out, uint32_t id, const char *dir_path, uint64_t now_us,
                  const struct recording_ops *ops, const char **reason)
{
    char path[4096];
    int sys_errno = 0;
    *reason = "write_error";
    if (!dir_path || !*dir_path)
        return -SQ_EIO;
    int n = snprintf(path, sizeof(path), "%s/%s", dir_path, RECORDING_FILE_NAME);
    if (n < 0 || (size_t)n >= sizeof(path))
        return -SQ_EIO;
    if (mkdir(dir_path, 0755) != 0 && errno != EEXIST) {
        *reason = reason_of_errno(errno);
        return -SQ_EIO;
    }
    struct recording *r = calloc(1, sizeof(*r));
    if (!r)
        return -SQ_ENOMEM;
    r->id = id;
    r->start_us = now_us;
    r->ops = *ops;
    r->last_video_ms = -1;
    struct jitter_buffer_config vcfg = {.capacity = VIDEO_JB_CAPACITY,
                                        .max_payload = RECORD_PAYLOAD_MAX,
                                        .max_wait_us = VIDEO_JB_MAX_WAIT_US};
    r->aq = calloc(RECORDING_AUDIO_QUEUE, sizeof(*r->aq));
    int rc = !r->aq ? -SQ_ENOMEM : audio_mix_init(&r->mix);
    if (rc == 0)
        rc = jitter_buffer_init(&r->video_jb, &vcfg);
    if (rc == 0)
        rc = vp8_frame_init(&r->vp8);
    if (rc == 0) {
        rc = webm_writer_open(&r->writer, path, &sys_errno);
        if (rc == -SQ_EIO)
            *reason = reason_of_errno(sys_errno);
    }
    if (rc < 0) {
        recording_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void recording_free(struct recording *r)
{
    if (!r)
        return;
    if (r->writer)
        webm_writer_close(r->writer, NULL);
    for (size_t i = 0; i < RECORDING_MAX_AUDIO; i++) {
        if (r->audio[i])
            audio_source_destroy(r->audio[i]);
        free(r->audio[i]);
    }
    for (size_t i = 0; i < r->vq_n; i++)
        free(r->vq[(r->vq_head + i) % RECORDING_VIDEO_QUEUE]);
    audio_mix_destroy(&r->mix);
    jitter_buffer_destroy(&r->video_jb);
    vp8_frame_destroy(&r->vp8);
    free(r->aq);
    free(r);
}

static int fail(struct recording *r, const char *reason)
{
    if (!r->has_failed) {
        r->has_failed = true;
        r->fail_reason = reason;
    }
    return -SQ_EIO;
}

/* --- sources ------------------------------------------------------------ */

static void restart_video(struct recording *r)
{
    jitter_buffer_reset(&r->video_jb);
    vp8_frame_reset(&r->vp8);
    r->is_video_anchored = false;
    r->has_video_layer = false;
}

void recording_set_video(struct recording *r, uint32_t producer_id, uint64_t now_us)
{
    if (producer_id == r->video_producer)
        return;
    r->video_producer = producer_id;
    restart_video(r);
    /* Tapping the producer asked it for a keyframe already (record_tap.c). */
    r->last_keyframe_request_us = now_us;
}

static struct audio_source **find_audio(struct recording *r, uint32_t producer_id)
{
    for (size_t i = 0; i < RECORDING_MAX_AUDIO; i++)
        if (r->audio[i] && r->audio[i]->producer_id == producer_id)
            return &r->audio[i];
    return NULL;
}

int recording_add_audio(struct recording *r, uint32_t producer_id)
{
    if (!producer_id)
        return -SQ_EINVAL;
    if (find_audio(r, producer_id))
        return 0;
    for (size_t i = 0; i < RECORDING_MAX_AUDIO; i++) {
        if (r->audio[i])
            continue;
        struct audio_source *s = malloc(sizeof(*s));
        if (!s)
            return -SQ_ENOMEM;
        int rc = audio_source_init(s, producer_id, r->next_block);
        if (rc < 0) {
            free(s);
            return rc;
        }
        r->audio[i] = s;
        return 0;
    }
    r->stats.ignored_audio++;
    return -SQ_ELIMIT;
}

void recording_remove_audio(struct recording *r, uint32_t producer_id)
{
    struct audio_source **s = find_audio(r, producer_id);
    if (!s)
        return;
    audio_source_destroy(*s);
    free(*s);
    *s = NULL;
}

bool recording_uses(const struct recording *r, uint32_t producer_id)
{
    return producer_id && (producer_id == r->video_producer ||
                           find_audio((struct recording *)r, producer_id));
}

void recording_on_packet(struct recording *r, const struct record_packet *pkt, uint64_t now_us)
{
    (void)now_us;
    if (r->has_failed || !pkt->producer_id)
        return;
    if (pkt->producer_id == r->video_producer) {
        /* A new simulcast layer is a new stream (its own seq and timestamps);
         * the tap switches layers at a keyframe. */
        if (r->has_video_layer && pkt->layer != r->video_layer)
            restart_video(r);
        r->has_video_layer = true;
        r->video_layer = pkt->layer;
        struct jitter_packet in = {
            .ext_seq = pkt->ext_seq,
            .rtp_timestamp = pkt->rtp_timestamp,
            .arrival_us = pkt->arrival_us,
            .marker = pkt->marker,
            .is_keyframe = pkt->is_keyframe,
            .payload = pkt->payload,
            .payload_len = pkt->payload_len,
        };
        jitter_buffer_push(&r->video_jb, &in);
        return;
    }
    struct audio_source **s = find_audio(r, pkt->producer_id);
    if (s)
        audio_source_push(*s, pkt);
}

/* --- writing in timestamp order ------------------------------------------ */

static int write_video(struct recording *r, struct queued_frame *f)
{
    int rc = webm_writer_video(r->writer, f->data, f->len, f->pts_ms, f->is_keyframe);
    free(f);
    if (rc < 0)
        return fail(r, webm_writer_error_reason(r->writer));
    r->stats.video_frames++;
    return 0;
}

/* Writes the queued audio and video in timestamp order. Video waits for the
 * audio to reach it (the mix runs behind), unless this is the end. */
static int flush_queues(struct recording *r, bool is_final)
{
    if (!r->writer || !webm_writer_has_begun(r->writer))
        return 0;
    int64_t audio_done_ms = r->next_block * AUDIO_BLOCK_MS;
    for (;;) {
        struct queued_audio *a = r->aq_n ? &r->aq[r->aq_head] : NULL;
        struct queued_frame *v = r->vq_n ? r->vq[r->vq_head] : NULL;
        if (a && (!v || a->pts_ms <= v->pts_ms)) {
            if (webm_writer_audio(r->writer, a->data, a->len, a->pts_ms) < 0)
                return fail(r, webm_writer_error_reason(r->writer));
            r->aq_head = (r->aq_head + 1) % RECORDING_AUDIO_QUEUE;
            r->aq_n--;
        } else if (v && (is_final || v->pts_ms < audio_done_ms)) {
            r->vq_head = (r->vq_head + 1) % RECORDING_VIDEO_QUEUE;
            r->vq_n--;
            if (write_video(r, v) < 0)
                return -SQ_EIO;
        } else {
            return 0;
        }
    }
}

static int begin_file(struct recording *r)
{
    uint16_t w = r->width ? r->width : RECORDING_DEFAULT_WIDTH;
    uint16_t h = r->height ? r->height : RECORDING_DEFAULT_HEIGHT;
    if (webm_writer_begin(r->writer, w, h, r->mix.preskip) < 0)
        return fail(r, webm_writer_error_reason(r->writer));
    return 0;
}

/* --- video ----------------------------------------------------------------- */

static void request_keyframe(struct recording *r, uint64_t now_us)
{
    if (!r->video_producer || !r->ops.request_keyframe)
        return;
    r->last_keyframe_request_us = now_us;
    r->stats.keyframe_requests++;
    r->ops.request_keyframe(r->ops.arg, r->video_producer);
}

static int64_t video_pts(struct recording *r, const struct vp8_frame *f)
{
    int64_t arrival_ms =
        f->arrival_us > r->start_us ? (int64_t)((f->arrival_us - r->start_us) / 1000) : 0;
    int64_t pts = 0;
    if (r->is_video_anchored) {
        pts = r->video_anchor_ms + (int32_t)(f->rtp_timestamp - r->video_anchor_ts) / 90;
        if (pts - arrival_ms > RECORDING_VIDEO_REANCHOR_MS ||
            arrival_ms - pts > RECORDING_VIDEO_REANCHOR_MS)
            r->is_video_anchored = false;
    }
    if (!r->is_video_anchored) {
        r->is_video_anchored = true;
        int64_t earliest = r->last_video_ms < 0 ? 0 : r->last_video_ms + WEBM_VIDEO_MIN_GAP_MS;
        r->video_anchor_ms = arrival_ms > earliest ? arrival_ms : earliest;
        r->video_anchor_ts = f->rtp_timestamp;
        pts = r->video_anchor_ms;
    }
    if (r->last_video_ms >= 0 && pts < r->last_video_ms + WEBM_VIDEO_MIN_GAP_MS)
        pts = r->last_video_ms + WEBM_VIDEO_MIN_GAP_MS;
    r->last_video_ms = pts;
    return pts;
}

static void queue_frame(struct recording *r, const struct vp8_frame *f)
{
    if (f->is_keyframe && !r->width && f->width && f->height) {
        r->width = f->width;
        r->height = f->height;
    }
    struct queued_frame *q = NULL;
    if (r->vq_n < RECORDING_VIDEO_QUEUE)
        q = malloc(sizeof(*q) + f->len);
    if (!q) {
        /* Every later frame refers to this one: start again at a keyframe. */
        r->stats.video_dropped++;
        vp8_frame_reset(&r->vp8);
        return;
    }
    q->pts_ms = video_pts(r, f);
    q->is_keyframe = f->is_keyframe;
    q->len = f->len;
    memcpy(q->data, f->data, f->len);
    r->vq[(r->vq_head + r->vq_n) % RECORDING_VIDEO_QUEUE] = q;
    r->vq_n++;
}

static void drain_video(struct recording *r, uint64_t now_us, bool may_ask)
{
    struct jitter_packet p;
    struct vp8_frame f;
    bool wants_keyframe = false;
    while (jitter_buffer_pop(&r->video_jb, now_us, &p) == 1)
        if (vp8_frame_push(&r->vp8, &p, &f, &wants_keyframe) == 1)
            queue_frame(r, &f);
    /* Asked at once when the stream breaks, then again every retry period
     * while it still waits (the request or the keyframe may be lost). */
    uint64_t since = now_us - r->last_keyframe_request_us;
    if (may_ask && r->vp8.waits_keyframe && r->video_producer &&
        ((wants_keyframe && since >= KEYFRAME_MIN_INTERVAL_US) ||
         since >= RECORDING_KEYFRAME_RETRY_US))
        request_keyframe(r, now_us);
}

/* --- audio ------------------------------------------------------------------ */

static int mix_block(struct recording *r, uint64_t drain_until_us)
{
    uint8_t pkt[AUDIO_MIX_PACKET_MAX];
    audio_mix_begin(&r->mix);
    for (size_t i = 0; i < RECORDING_MAX_AUDIO; i++) {
        struct audio_source *s = r->audio[i];
        const int16_t *block;
        if (!s)
            continue;
        audio_source_drain(s, drain_until_us, r->start_us);
        if (audio_source_take(s, r->next_block, &block))
            audio_mix_add(&r->mix, block);
        audio_source_advance(s, r->next_block);
    }
    if (r->mix.n_inputs)
        r->stats.audio_blocks_with_speech++;
    int n = audio_mix_finish(&r->mix, NULL, pkt, sizeof(pkt));
    int64_t pts = r->next_block * AUDIO_BLOCK_MS;
    r->next_block++;
    r->stats.audio_blocks++;
    if (n <= 0)
        return 0;                /* an encoder hiccup: the block is skipped, not fatal */
    if (r->aq_n == RECORDING_AUDIO_QUEUE) {
        /* Only before the header, if it waited far too long: drop the oldest. */
        r->aq_head = (r->aq_head + 1) % RECORDING_AUDIO_QUEUE;
        r->aq_n--;
    }
    struct queued_audio *a = &r->aq[(r->aq_head + r->aq_n) % RECORDING_AUDIO_QUEUE];
    a->pts_ms = pts;
    a->len = (uint16_t)n;
    memcpy(a->data, pkt, (size_t)n);
    r->aq_n++;
    return 0;
}

static uint64_t block_due_us(const struct recording *r, int64_t block)
{
    return r->start_us + (uint64_t)(block + 1) * BLOCK_US + RECORDING_MIX_DELAY_US;
}

int recording_poll(struct recording *r, uint64_t now_us)
{
    if (r->has_failed)
        return -SQ_EIO;
    drain_video(r, now_us, true);
    if (!webm_writer_has_begun(r->writer) &&
        (r->width || now_us - r->start_us >= RECORDING_HEADER_WAIT_US) && begin_file(r) < 0)
        return -SQ_EIO;
    while (now_us >= block_due_us(r, r->next_block)) {
        mix_block(r, now_us);
        if (flush_queues(r, false) < 0)
            return -SQ_EIO;
    }
    return flush_queues(r, false);
}

uint64_t recording_next_deadline_us(const struct recording *r)
{
    uint64_t next = block_due_us(r, r->next_block);
    uint64_t v = jitter_buffer_next_deadline_us(&r->video_jb);
    if (v < next)
        next = v;
    if (r->writer && !webm_writer_has_begun(r->writer) &&
        r->start_us + RECORDING_HEADER_WAIT_US < next)
        next = r->start_us + RECORDING_HEADER_WAIT_US;
    return next;
}

int recording_finish(struct recording *r, uint64_t now_us)
{
    if (r->has_failed)
        return -SQ_EIO;
    /* Nothing more will arrive: give up every gap, take every packet held. */
    drain_video(r, SQ_NEVER - 1, false);
    if (!webm_writer_has_begun(r->writer) && begin_file(r) < 0)
        return -SQ_EIO;
    while (r->start_us + (uint64_t)(r->next_block + 1) * BLOCK_US <= now_us)
        mix_block(r, SQ_NEVER - 1);
    if (flush_queues(r, true) < 0)
        return -SQ_EIO;
    const char *reason = NULL;
    int rc = webm_writer_close(r->writer, &reason);
    r->writer = NULL;
    return rc < 0 ? fail(r, reason ? reason : "write_error") : 0;
}
