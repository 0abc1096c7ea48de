/* Recording through the control-plane API (include/sabaq/sfu.h) on a real
 * media plane: the commands reach the recorder thread, the file is made
 * and finished, and the end comes back as SFU_EVENT_RECORDING_STOPPED from
 * sfu_poll_event. */
#include "test.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sabaq/error.h"
#include "sabaq/sfu.h"
#include "record/recording.h"
#include "record/synth.h"

static int poll_stopped(struct sfu *s, struct sfu_event *ev, int timeout_ms)
{
    struct timespec ts = {.tv_nsec = 10 * 1000000L};
    for (int i = 0; i < timeout_ms / 10; i++) {
        while (sfu_poll_event(s, ev))
            if (ev->type == SFU_EVENT_RECORDING_STOPPED)
                return 1;
        nanosleep(&ts, NULL);
    }
    return 0;
}

TEST(sfu_recording_start_and_stop_make_a_finished_file_and_an_event)
{
    char dir[64], sub[96], path[160], cmd[128];
    struct sfu_event ev;
    struct webm_readback rb;
    struct sfu_config cfg = {.bind_address = "127.0.0.1", .announce = {"127.0.0.1"}};
    snprintf(dir, sizeof(dir), "/tmp/sabaq-sfu-rec-XXXXXX");
    ASSERT(mkdtemp(dir));
    /* The recording's own directory is made by the recorder. */
    snprintf(sub, sizeof(sub), "%s/lesson-1", dir);
    snprintf(path, sizeof(path), "%s/%s", sub, RECORDING_FILE_NAME);
    struct sfu *s = sfu_start(&cfg);
    ASSERT(s != NULL);
    ASSERT_EQ(-SQ_EINVAL, sfu_recording_start(s, 0, sub));
    ASSERT_EQ(-SQ_EINVAL, sfu_recording_start(s, 5, NULL));
    ASSERT_EQ(-SQ_EINVAL, sfu_recording_add_audio(s, 5, 0));
    ASSERT_EQ(0, sfu_recording_start(s, 5, sub));
    ASSERT_EQ(0, sfu_recording_set_video(s, 5, 0));
    usleep(300000);
    ASSERT_EQ(0, sfu_recording_stop(s, 5));
    ASSERT(poll_stopped(s, &ev, 10000));
    ASSERT_EQ(5, ev.id);
    ASSERT_EQ(0, ev.value);
    ASSERT_STR_EQ("stopped", ev.detail);
    ASSERT_EQ(0, synth_read_webm(path, &rb));
    ASSERT(rb.has_vp8 && rb.has_opus);
    ASSERT(rb.duration_ms >= 200 && rb.duration_ms <= 2000);
    ASSERT_EQ(0, rb.decode_errors);

    /* A recording still running at sfu_stop is finished, not cut. */
    ASSERT_EQ(0, sfu_recording_start(s, 6, dir));
    usleep(300000);
    sfu_stop(s);
    snprintf(path, sizeof(path), "%s/%s", dir, RECORDING_FILE_NAME);
    ASSERT_EQ(0, synth_read_webm(path, &rb));
    ASSERT(rb.duration_ms >= 200);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ASSERT_EQ(0, system(cmd));
}
