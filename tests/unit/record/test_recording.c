/* A whole recording from synthetic input in simulated time: two VP8
 * sources (a stage switch at 5 s) encoded with libvpx, two speakers' tones
 * encoded with libopus, packetized as the worker's tap hands them over, with
 * loss, jitter and reordering; the file is read back with libavformat and
 * decoded with libavcodec. Also: a copy taken mid-recording (what a kill -9
 * leaves) reads cleanly, and a file whose writes fail ends the recording
 * with "disk_full". */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sabaq/error.h"
#include "record/recording.h"
#include "record/synth.h"

#define MS 1000ull
#define T0 5000000000ull         /* the recorder's clock at the start */
#define VIDEO_A 11
#define VIDEO_B 12
#define SPEAKER_1 21
#define SPEAKER_2 22
#define PENDING_MAX 4096

struct pending {
    uint64_t arrival_us;
    struct record_packet pkt;
};

struct sim {
    struct recording *rec;
    struct synth_video *va, *vb;
    struct synth_audio *s1, *s2;
    struct pending *pending;     /* unordered; delivered by arrival time */
    int n_pending;
    uint32_t rng;
    uint64_t key_a_at, key_b_at; /* when a requested keyframe is produced */
    int keyframe_requests;
    int dropped;
};

static uint32_t rnd(struct sim *s)
{
    s->rng = s->rng * 1103515245u + 12345u;
    return s->rng >> 8;
}

static void on_keyframe_request(void *arg, uint32_t producer_id)
{
    struct sim *s = arg;
    s->keyframe_requests++;
    /* The PLI reaches the publisher after ~a round trip. */
    if (producer_id == VIDEO_A)
        s->key_a_at = 1;
    if (producer_id == VIDEO_B)
        s->key_b_at = 1;
}

/* Sends one packet through a lossy, jittery path (loss_pct of them lost). */
static void send_packet(struct sim *s, const struct record_packet *p, uint64_t now, int loss_pct)
{
    if ((int)(rnd(s) % 100) < loss_pct || s->n_pending == PENDING_MAX) {
        s->dropped++;
        return;
    }
    /* Mostly a few ms; one in five up to 40 ms, which reorders bursts. */
    uint64_t jitter = rnd(s) % 5 == 0 ? rnd(s) % 40000 : rnd(s) % 5000;
    struct pending *q = &s->pending[s->n_pending++];
    q->arrival_us = now + jitter;
    q->pkt = *p;
    q->pkt.arrival_us = q->arrival_us;
}

static void deliver(struct sim *s, uint64_t now)
{
    for (;;) {
        int best = -1;
        for (int i = 0; i < s->n_pending; i++)
            if (s->pending[i].arrival_us <= now &&
                (best < 0 || s->pending[i].arrival_us < s->pending[best].arrival_us))
                best = i;
        if (best < 0)
            return;
        recording_on_packet(s->rec, &s->pending[best].pkt, now);
        s->pending[best] = s->pending[--s->n_pending];
    }
}

static void send_video(struct sim *s, struct synth_video *v, uint64_t *key_at, int frame,
                       uint64_t now, int loss_pct)
{
    static struct record_packet pkts[SYNTH_MAX_PACKETS];
    if (*key_at == 1)
        *key_at = now + 40 * MS;
    if (*key_at && now >= *key_at) {
        synth_video_request_keyframe(v);
        *key_at = 0;
    }
    int n = synth_video_frame(v, frame, pkts, SYNTH_MAX_PACKETS);
    for (int i = 0; i < n; i++)
        send_packet(s, &pkts[i], now, loss_pct);
}

/* Runs the lesson from 0 to end_ms; at copy_at_ms copies the file being
 * written to copy_path (what a crash would leave). */
static int run(struct sim *s, uint64_t from_ms, uint64_t end_ms, uint64_t switch_at_ms)
{
    struct record_packet ap;
    for (uint64_t ms = from_ms; ms < end_ms; ms++) {
        uint64_t now = T0 + ms * MS;
        /* Both cameras run all the time; only the stage is recorded. */
        if (ms * 3 % 100 < 3) {
            int frame = (int)(ms * 3 / 100);
            bool a_on_stage = ms < switch_at_ms;
            send_video(s, s->va, &s->key_a_at, frame, now, a_on_stage ? 2 : 100);
            send_video(s, s->vb, &s->key_b_at, frame, now, a_on_stage ? 100 : 2);
        }
        if (ms % 20 == 0) {
            if (synth_audio_frame(s->s1, (int)(ms / 20), &ap) < 0)
                return -1;
            send_packet(s, &ap, now, 3);
            /* The second speaker talks from 2 s to 7 s only. */
            if (ms >= 2000 && ms < 7000) {
                if (synth_audio_frame(s->s2, (int)(ms / 20), &ap) < 0)
                    return -1;
                send_packet(s, &ap, now, 0);
            }
        }
        if (ms == switch_at_ms) {
            recording_set_video(s->rec, VIDEO_B, now);
            on_keyframe_request(s, VIDEO_B); /* what tapping the producer does */
        }
        deliver(s, now);
        if (ms % 5 == 0 && recording_poll(s->rec, now) < 0)
            return -1;
    }
    return 0;
}

static void copy_file(const char *from, const char *to)
{
    char buf[65536];
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ssize_t n;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            break;
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
}

static int sim_init(struct sim *s, const char *dir)
{
    memset(s, 0, sizeof(*s));
    s->rng = 777;
    s->pending = calloc(PENDING_MAX, sizeof(*s->pending));
    s->va = synth_video_new(VIDEO_A, 320, 240);
    s->vb = synth_video_new(VIDEO_B, 480, 272);
    s->s1 = synth_audio_new(SPEAKER_1, 440, 6000);
    s->s2 = synth_audio_new(SPEAKER_2, 660, 6000);
    if (!s->pending || !s->va || !s->vb || !s->s1 || !s->s2)
        return -1;
    struct recording_ops ops = {.request_keyframe = on_keyframe_request, .arg = s};
    const char *reason = NULL;
    if (recording_new(&s->rec, 1, dir, T0, &ops, &reason) < 0)
        return -1;
    recording_set_video(s->rec, VIDEO_A, T0);
    if (recording_add_audio(s->rec, SPEAKER_1) < 0 || recording_add_audio(s->rec, SPEAKER_2) < 0)
        return -1;
    return 0;
}

static void sim_free(struct sim *s)
{
    recording_free(s->rec);
    synth_video_free(s->va);
    synth_video_free(s->vb);
    synth_audio_free(s->s1);
    synth_audio_free(s->s2);
    free(s->pending);
}

static void temp_dir(char *out, size_t cap)
{
    snprintf(out, cap, "/tmp/sabaq-rec-test-XXXXXX");
    if (!mkdtemp(out))
        out[0] = '\0';
}

/* SABAQ_TEST_KEEP=1 keeps the files to look at with ffprobe. */
static void remove_dir(const char *dir)
{
    char cmd[512];
    if (getenv("SABAQ_TEST_KEEP")) {
        fprintf(stderr, "kept %s\n", dir);
        return;
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

TEST(recording_writes_a_webm_that_decodes_cleanly_despite_loss_and_reordering)
{
    char dir[64], path[128], copy[128];
    struct sim s;
    struct webm_readback rb;
    temp_dir(dir, sizeof(dir));
    ASSERT(dir[0]);
    snprintf(path, sizeof(path), "%s/%s", dir, RECORDING_FILE_NAME);
    snprintf(copy, sizeof(copy), "%s/crash-copy.webm", dir);
    ASSERT_EQ(0, sim_init(&s, dir));
    ASSERT_EQ(0, run(&s, 0, 6000, 5000));
    /* 6 s in: the file as a kill -9 would leave it. */
    copy_file(path, copy);
    ASSERT_EQ(0, run(&s, 6000, 10000, 5000));
    ASSERT_EQ(0, recording_finish(s.rec, T0 + 10000 * MS));
    ASSERT(s.dropped > 20);      /* the path really lost packets */
    ASSERT(s.keyframe_requests >= 2);

    ASSERT_EQ(0, synth_read_webm(path, &rb));
    ASSERT_EQ(2, rb.n_streams);
    ASSERT(rb.has_vp8);
    ASSERT(rb.has_opus);
    ASSERT_EQ(0, rb.decode_errors);
    ASSERT(rb.pts_monotonic);
    ASSERT(rb.duration_ms >= 9900 && rb.duration_ms <= 10100);
    /* Audio: every 20 ms block, no gap. */
    ASSERT(rb.audio_packets >= 495 && rb.audio_packets <= 500);
    ASSERT(rb.last_audio_ms >= 9960);
    ASSERT(rb.audio_rms_after_1s > 2000);
    /* Video: starts at a keyframe, most of the 300 frames are there, and the
     * track continues at the second source's size after the switch. */
    ASSERT(rb.first_video_is_key);
    ASSERT(rb.first_video_ms < 200);
    ASSERT(rb.video_keyframes >= 2);
    ASSERT(rb.video_frames_decoded >= 150);
    ASSERT_EQ(rb.video_packets, rb.video_frames_decoded);
    ASSERT(rb.last_video_ms > 9500);
    ASSERT_EQ(480, rb.width);
    ASSERT_EQ(272, rb.height);

    /* The crash copy: readable up to its last whole cluster. */
    ASSERT_EQ(0, synth_read_webm(copy, &rb));
    ASSERT(rb.has_vp8 && rb.has_opus);
    ASSERT_EQ(0, rb.decode_errors);
    ASSERT(rb.last_audio_ms >= 4000);
    ASSERT(rb.video_frames_decoded >= 60);
    sim_free(&s);
    remove_dir(dir);
}

TEST(recording_is_silent_but_gapless_when_nobody_speaks)
{
    char dir[64], path[128];
    struct webm_readback rb;
    struct recording *rec;
    struct recording_ops ops = {0};
    const char *reason = NULL;
    temp_dir(dir, sizeof(dir));
    ASSERT(dir[0]);
    snprintf(path, sizeof(path), "%s/%s", dir, RECORDING_FILE_NAME);
    ASSERT_EQ(0, recording_new(&rec, 2, dir, T0, &ops, &reason));
    ASSERT_EQ(0, recording_add_audio(rec, SPEAKER_1)); /* added, never speaks */
    for (uint64_t ms = 0; ms <= 4000; ms += 10)
        ASSERT_EQ(0, recording_poll(rec, T0 + ms * MS));
    ASSERT_EQ(0, recording_finish(rec, T0 + 4000 * MS));
    recording_free(rec);
    ASSERT_EQ(0, synth_read_webm(path, &rb));
    ASSERT(rb.has_vp8 && rb.has_opus);
    ASSERT_EQ(0, rb.video_packets);
    ASSERT_EQ(200, rb.audio_packets);
    ASSERT(rb.duration_ms >= 3950 && rb.duration_ms <= 4050);
    ASSERT(rb.audio_rms_after_1s < 10);
    ASSERT_EQ(0, rb.decode_errors);
    remove_dir(dir);
}

TEST(recording_stops_with_disk_full_when_writes_fail)
{
    char dir[64], path[128];
    struct recording *rec;
    struct recording_ops ops = {0};
    const char *reason = NULL;
    temp_dir(dir, sizeof(dir));
    ASSERT(dir[0]);
    snprintf(path, sizeof(path), "%s/%s", dir, RECORDING_FILE_NAME);
    /* Every write to /dev/full fails with ENOSPC, like a full disk. */
    ASSERT_EQ(0, symlink("/dev/full", path));
    ASSERT_EQ(0, recording_new(&rec, 3, dir, T0, &ops, &reason));
    int rc = 0;
    for (uint64_t ms = 0; ms <= 5000 && rc == 0; ms += 10)
        rc = recording_poll(rec, T0 + ms * MS);
    ASSERT_EQ(-SQ_EIO, rc);
    ASSERT(rec->has_failed);
    ASSERT_STR_EQ("disk_full", rec->fail_reason);
    ASSERT_EQ(-SQ_EIO, recording_finish(rec, T0 + 5000 * MS));
    recording_free(rec);
    remove_dir(dir);
}

TEST(recording_stops_cleanly_when_a_write_fails_midway_and_the_file_still_plays)
{
    char dir[64], path[128];
    struct sim s;
    struct webm_readback rb;
    struct rlimit old, lim;
    temp_dir(dir, sizeof(dir));
    ASSERT(dir[0]);
    snprintf(path, sizeof(path), "%s/%s", dir, RECORDING_FILE_NAME);
    ASSERT_EQ(0, sim_init(&s, dir));
    /* Files of this process may not grow past 80 KB for a while: a write
     * fails part-way (EFBIG), as one into a disk that fills up would. */
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    ASSERT_EQ(0, getrlimit(RLIMIT_FSIZE, &old));
    lim = old;
    lim.rlim_cur = 80000;
    ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));
    int rc = run(&s, 0, 10000, 100000);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    ASSERT_EQ(-1, rc);
    ASSERT(s.rec->has_failed);
    ASSERT_STR_EQ("write_error", s.rec->fail_reason);
    ASSERT_EQ(-SQ_EIO, recording_finish(s.rec, T0 + 10000 * MS));
    sim_free(&s);                /* closes the file: cut back to its last whole cluster */
    struct stat st;
    ASSERT_EQ(0, stat(path, &st));
    ASSERT(st.st_size > 20000 && st.st_size <= 80000);
    ASSERT_EQ(0, synth_read_webm(path, &rb));
    ASSERT(rb.has_vp8 && rb.has_opus);
    ASSERT_EQ(0, rb.decode_errors);
    ASSERT(rb.last_audio_ms >= 500);
    remove_dir(dir);
}

TEST(recording_cannot_start_where_the_directory_cannot_be_made)
{
    struct recording *rec = NULL;
    struct recording_ops ops = {0};
    const char *reason = NULL;
    ASSERT_EQ(-SQ_EIO, recording_new(&rec, 4, "/nonexistent-sabaq/a/b", T0, &ops, &reason));
    ASSERT_STR_EQ("write_error", reason);
    ASSERT(rec == NULL);
}
