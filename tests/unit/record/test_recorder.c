/* The recorder thread end to end on this machine's clock: commands in, a
 * worker's packets through its ring, taps asked for and let go, the file
 * finished and SFU_EVENT_RECORDING_STOPPED out, with the reasons for the
 * failures the control plane shows to staff. */
#include "test.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sabaq/clock.h"
#include "sabaq/error.h"
#include "sabaq/sfu.h"
#include "io/cmd_queue.h"
#include "record/record_tap.h"
#include "record/recorder.h"
#include "record/recording.h"
#include "record/synth.h"

#define SPEAKER 21
#define CAMERA 11

struct taps {
    pthread_mutex_t mu;
    int on[64], off[64];         /* by producer id */
    int keyframes;
};

static void on_tap(void *arg, uint32_t producer_id, bool on)
{
    struct taps *t = arg;
    pthread_mutex_lock(&t->mu);
    if (producer_id < 64)
        (on ? t->on : t->off)[producer_id]++;
    pthread_mutex_unlock(&t->mu);
}

static void on_keyframe(void *arg, uint32_t producer_id)
{
    struct taps *t = arg;
    (void)producer_id;
    pthread_mutex_lock(&t->mu);
    t->keyframes++;
    pthread_mutex_unlock(&t->mu);
}

static int tap_count(struct taps *t, bool on, uint32_t id)
{
    pthread_mutex_lock(&t->mu);
    int n = (on ? t->on : t->off)[id];
    pthread_mutex_unlock(&t->mu);
    return n;
}

/* Waits (bounded) for the next event. 1 or 0 on timeout. */
static int wait_event(struct cmd_queue *q, struct sfu_event *ev, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 10; i++) {
        if (cmd_queue_pop(q, ev))
            return 1;
        usleep(10000);
    }
    return 0;
}

static int wait_tap(struct taps *t, bool on, uint32_t id, int timeout_ms)
{
    for (int i = 0; i < timeout_ms / 10; i++) {
        if (tap_count(t, on, id))
            return 1;
        usleep(10000);
    }
    return 0;
}

struct fixture {
    struct cmd_queue events;
    struct taps taps;
    struct recorder *rec;
    char dir[64];
};

static int fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->taps.mu, NULL);
    snprintf(f->dir, sizeof(f->dir), "/tmp/sabaq-recorder-test-XXXXXX");
    if (!mkdtemp(f->dir) || cmd_queue_init(&f->events, sizeof(struct sfu_event), 64, NULL, NULL))
        return -1;
    struct recorder_config cfg = {.n_taps = 1, .events = &f->events, .tap = on_tap,
                                  .request_keyframe = on_keyframe, .arg = &f->taps};
    f->rec = recorder_new(&cfg);
    return f->rec && recorder_start(f->rec) == 0 ? 0 : -1;
}

static void fixture_free(struct fixture *f)
{
    char cmd[160];
    recorder_free(f->rec);
    cmd_queue_destroy(&f->events);
    pthread_mutex_destroy(&f->taps.mu);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
}

static int submit(struct fixture *f, enum recorder_cmd_type type, uint32_t id, uint32_t producer,
                  const char *dir)
{
    struct recorder_cmd c = {.type = type, .recording_id = id, .producer_id = producer};
    if (dir)
        snprintf(c.dir_path, sizeof(c.dir_path), "%s", dir);
    return recorder_submit(f->rec, &c);
}

TEST(recorder_records_a_speaker_and_reports_the_stop)
{
    struct fixture f;
    struct sfu_event ev;
    struct webm_readback rb;
    char path[128];
    ASSERT_EQ(0, fixture_init(&f));
    snprintf(path, sizeof(path), "%s/%s", f.dir, RECORDING_FILE_NAME);
    ASSERT_EQ(0, submit(&f, RECORDER_CMD_START, 7, 0, f.dir));
    ASSERT_EQ(0, submit(&f, RECORDER_CMD_ADD_AUDIO, 7, SPEAKER, NULL));
    ASSERT_EQ(0, submit(&f, RECORDER_CMD_SET_VIDEO, 7, CAMERA, NULL));
    ASSERT(wait_tap(&f.taps, true, SPEAKER, 5000));
    ASSERT(wait_tap(&f.taps, true, CAMERA, 5000));

    /* Act as the worker: 1.5 s of a tone through the tap's ring. */
    struct synth_audio *tone = synth_audio_new(SPEAKER, 500, 8000);
    ASSERT(tone != NULL);
    struct record_tap *tap = recorder_tap(f.rec, 0);
    uint64_t start = sq_now_us();
    for (int i = 0; i < 75; i++) {
        struct record_packet *p = record_ring_reserve(&tap->ring);
        ASSERT(p != NULL);
        ASSERT_EQ(0, synth_audio_frame(tone, i, p));
        p->arrival_us = sq_now_us();
        record_ring_commit(&tap->ring);
        uint64_t next = start + (uint64_t)(i + 1) * 20000;
        uint64_t now = sq_now_us();
        if (next > now)
            usleep((useconds_t)(next - now));
    }
    synth_audio_free(tone);
    ASSERT_EQ(0, submit(&f, RECORDER_CMD_STOP, 7, 0, NULL));
    uint64_t asked = sq_now_us();
    ASSERT(wait_event(&f.events, &ev, 10000));
    ASSERT(sq_now_us() - asked < 10000000); /* finished within 10 s of the stop */
    ASSERT_EQ(SFU_EVENT_RECORDING_STOPPED, ev.type);
    ASSERT_EQ(7, ev.id);
    ASSERT_EQ(0, ev.value);
    ASSERT_STR_EQ("stopped", ev.detail);
    ASSERT(wait_tap(&f.taps, false, SPEAKER, 5000));
    ASSERT(wait_tap(&f.taps, false, CAMERA, 5000));

    struct recorder_stats st;
    recorder_stats(f.rec, &st);
    ASSERT_EQ(75, (long long)st.packets);
    ASSERT_EQ(0, (long long)st.dropped_ring_full);

    ASSERT_EQ(0, synth_read_webm(path, &rb));
    ASSERT(rb.has_opus && rb.has_vp8);
    ASSERT_EQ(0, rb.decode_errors);
    /* The loaded machine may stretch the 1.5 s a little. */
    ASSERT(rb.duration_ms >= 1400 && rb.duration_ms <= 2500);
    ASSERT(rb.audio_rms_after_1s > 1000 || rb.duration_ms < 1100);
    fixture_free(&f);
}

TEST(recorder_reports_disk_full_and_lets_go_of_its_producers)
{
    struct fixture f;
    struct sfu_event ev;
    char path[128];
    ASSERT_EQ(0, fixture_init(&f));
    snprintf(path, sizeof(path), "%s/%s", f.dir, RECORDING_FILE_NAME);
    ASSERT_EQ(0, symlink("/dev/full", path));
    ASSERT_EQ(0, submit(&f, RECORDER_CMD_START, 8, 0, f.dir));
    ASSERT_EQ(0, submit(&f, RECORDER_CMD_ADD_AUDIO, 8, SPEAKER, NULL));
    /* The header goes out at the first keyframe or after the header wait. */
    ASSERT(wait_event(&f.events, &ev, 10000));
    ASSERT_EQ(SFU_EVENT_RECORDING_STOPPED, ev.type);
    ASSERT_EQ(8, ev.id);
    ASSERT_EQ(-SQ_EIO, ev.value);
    ASSERT_STR_EQ("disk_full", ev.detail);
    ASSERT(wait_tap(&f.taps, false, SPEAKER, 5000));
    /* Later commands for it are ignored, not fatal. */
    ASSERT_EQ(0, submit(&f, RECORDER_CMD_STOP, 8, 0, NULL));
    usleep(50000);
    ASSERT_EQ(0, cmd_queue_pop(&f.events, &ev));
    fixture_free(&f);
}

TEST(recorder_reports_write_error_when_it_cannot_create_the_file)
{
    struct fixture f;
    struct sfu_event ev;
    ASSERT_EQ(0, fixture_init(&f));
    ASSERT_EQ(0, submit(&f, RECORDER_CMD_START, 9, 0, "/nonexistent-sabaq/x/y"));
    ASSERT(wait_event(&f.events, &ev, 5000));
    ASSERT_EQ(SFU_EVENT_RECORDING_STOPPED, ev.type);
    ASSERT_EQ(9, ev.id);
    ASSERT_EQ(-SQ_EIO, ev.value);
    ASSERT_STR_EQ("write_error", ev.detail);
    fixture_free(&f);
}
