/* bench/record: what recording a lesson costs, as a share of one core, for
 * 1, 3 and 10 speakers talking at once. Synthetic RTP goes through the real
 * engine: each packet is copied into a worker's ring the way the tap does
 * (record_ring), taken out and fed to a recording (jitter buffers, VP8
 * frame reassembly, Opus decode of every speaker, the mix, the limiter, the
 * Opus encode, the WebM muxer writing a real file) in simulated time, as
 * fast as this core goes. The recorder's CPU time divided by the length of
 * the lesson simulated is its share of a core; the worker's part is timed
 * separately (ns per copied packet).
 *
 * The stage is a VP8 stream of LESSON_VIDEO_KBPS at 30 fps (payloads with a
 * real descriptor and keyframe header, random bytes inside: passed through,
 * never decoded, so their content costs nothing). Speakers send real 20 ms
 * Opus packets (a tone encoded once per speaker, at the browsers' usual
 * 32 kbit/s). Usage: build/bench/record [seconds of lesson, default 60]. */
#include <opus/opus.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fwd_sys.h"
#include "record/record_ring.h"
#include "record/recording.h"

#define LESSON_VIDEO_KBPS 1200
#define VIDEO_FPS 30
#define VIDEO_MTU 1100
#define STAGE_ID 1
#define FIRST_SPEAKER 100
#define MAX_SPEAKERS 10
#define OPUS_LOOP 50             /* 1 s of pre-encoded packets per speaker, looped */
#define T0 1000000000ull

struct speaker {
    uint8_t pkt[OPUS_LOOP][400];
    int len[OPUS_LOOP];
};

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int encode_speaker(struct speaker *s, double hz)
{
    int err;
    OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
    if (!enc)
        return -1;
    opus_encoder_ctl(enc, OPUS_SET_BITRATE(32000));
    opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
    int16_t pcm[960];
    for (int f = 0; f < OPUS_LOOP; f++) {
        for (int i = 0; i < 960; i++)
            pcm[i] = (int16_t)(7000 * sin(2 * M_PI * hz * (f * 960 + i) / 48000.0));
        s->len[f] = opus_encode(enc, pcm, 960, s->pkt[f], sizeof(s->pkt[f]));
        if (s->len[f] <= 0)
            return -1;
    }
    opus_encoder_destroy(enc);
    return 0;
}

/* Random bytes for frame bodies, made once: the bench times the engine,
 * not a random number generator. */
static uint8_t noise[VIDEO_MTU * 256];

/* One VP8 frame's packets: descriptor with PictureID, a keyframe header on
 * the first frame. */
static int video_frame(struct record_packet *out, int frame, uint64_t *seq)
{
    size_t bytes = LESSON_VIDEO_KBPS * 1000 / 8 / VIDEO_FPS;
    if (frame == 0)
        bytes *= 6;
    int n = 0;
    for (size_t off = 0; off < bytes; n++) {
        size_t chunk = bytes - off > VIDEO_MTU ? VIDEO_MTU : bytes - off;
        struct record_packet *p = &out[n];
        memset(p, 0, offsetof(struct record_packet, payload));
        p->producer_id = STAGE_ID;
        p->ext_seq = (*seq)++;
        p->rtp_timestamp = (uint32_t)frame * (90000 / VIDEO_FPS);
        p->payload[0] = (uint8_t)(0x80 | (off == 0 ? 0x10 : 0));
        p->payload[1] = 0x80;
        p->payload[2] = (uint8_t)(0x80 | ((frame >> 8) & 0x7f));
        p->payload[3] = (uint8_t)frame;
        memcpy(p->payload + 4, noise + (size_t)n * VIDEO_MTU, chunk);
        if (off == 0) {
            /* Frame tag: keyframe (P = 0) on frame 0, else an interframe. */
            p->payload[4] = frame == 0 ? 0x50 : 0x51;
            if (frame == 0) {
                memcpy(p->payload + 7, "\x9d\x01\x2a\x80\x07\x38\x04", 7); /* 1920x1080 */
                p->is_keyframe = true;
            }
        }
        p->payload_len = (uint16_t)(chunk + 4);
        p->marker = off + chunk == bytes;
        off += chunk;
    }
    return n;
}

struct result {
    double recorder_cpu_s;
    uint64_t packets, file_bytes;
};

/* What the worker does per recorded packet (the tap's copy into the ring). */
static void tap_copy(struct record_ring *ring, const struct record_packet *p)
{
    struct record_packet *slot = record_ring_reserve(ring);
    if (!slot)
        return;
    memcpy(slot, p, offsetof(struct record_packet, payload) + p->payload_len);
    record_ring_commit(ring);
}

/* Hands a packet through the ring to the recording. */
static void through_ring(struct record_ring *ring, struct recording *rec,
                         const struct record_packet *p, uint64_t now)
{
    tap_copy(ring, p);
    const struct record_packet *q = record_ring_peek(ring);
    if (q)
        recording_on_packet(rec, q, now);
    record_ring_release(ring);
}

/* ns per packet of the worker's copy (1000-byte payloads), averaged over many. */
static double copy_ns(void)
{
    static struct record_packet p;
    struct record_ring ring;
    const int n = 2000000;
    if (record_ring_init(&ring, 1024) < 0)
        return -1;
    p.payload_len = 1000;
    double a = cpu_now();
    for (int i = 0; i < n; i++) {
        p.ext_seq = (uint64_t)i;
        tap_copy(&ring, &p);
        record_ring_release(&ring);
    }
    double ns = (cpu_now() - a) * 1e9 / n;
    record_ring_destroy(&ring);
    return ns;
}

static int run(int speakers, int seconds, const char *dir, struct speaker *sp, struct result *out)
{
    static struct record_packet frame_pkts[256];
    struct record_ring ring;
    struct recording *rec;
    struct recording_ops ops = {0};
    const char *reason;
    char path[256];
    if (record_ring_init(&ring, 1024) < 0 ||
        recording_new(&rec, (uint32_t)speakers, dir, T0, &ops, &reason) < 0)
        return -1;
    recording_set_video(rec, STAGE_ID, T0);
    for (int i = 0; i < speakers; i++)
        recording_add_audio(rec, FIRST_SPEAKER + (uint32_t)i);
    uint64_t vseq = 0x10000, aseq[MAX_SPEAKERS], packets = 0;
    double start = cpu_now();
    for (int i = 0; i < MAX_SPEAKERS; i++)
        aseq[i] = 0x10000;
    for (uint64_t ms = 0; ms < (uint64_t)seconds * 1000; ms++) {
        uint64_t now = T0 + ms * 1000;
        if (ms * VIDEO_FPS % 1000 < VIDEO_FPS) {
            int n = video_frame(frame_pkts, (int)(ms * VIDEO_FPS / 1000), &vseq);
            for (int i = 0; i < n; i++, packets++) {
                frame_pkts[i].arrival_us = now;
                through_ring(&ring, rec, &frame_pkts[i], now);
            }
        }
        if (ms % 20 == 0) {
            for (int s = 0; s < speakers; s++, packets++) {
                static struct record_packet ap;
                int f = (int)(ms / 20) % OPUS_LOOP;
                memset(&ap, 0, offsetof(struct record_packet, payload));
                ap.producer_id = FIRST_SPEAKER + (uint32_t)s;
                ap.ext_seq = aseq[s]++;
                ap.rtp_timestamp = (uint32_t)(ms / 20) * 960;
                ap.arrival_us = now;
                ap.payload_len = (uint16_t)sp[s].len[f];
                memcpy(ap.payload, sp[s].pkt[f], (size_t)sp[s].len[f]);
                through_ring(&ring, rec, &ap, now);
            }
        }
        /* The recorder thread wakes about this often in a lesson. */
        if (ms % 10 == 0 && recording_poll(rec, now) < 0)
            return -1;
    }
    int rc = recording_finish(rec, T0 + (uint64_t)seconds * 1000000);
    double rec_s = cpu_now() - start;
    recording_free(rec);
    record_ring_destroy(&ring);
    snprintf(path, sizeof(path), "%s/%s", dir, RECORDING_FILE_NAME);
    struct stat st;
    out->file_bytes = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    unlink(path);
    out->recorder_cpu_s = rec_s; /* includes making the input: an upper bound */
    out->packets = packets;
    return rc;
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 60;
    static const int counts[] = {1, 3, 10};
    static struct speaker sp[MAX_SPEAKERS];
    char dir[] = "/tmp/sabaq-bench-record-XXXXXX", cpu[128], load[128];
    if (seconds <= 0 || !mkdtemp(dir)) {
        fprintf(stderr, "usage: %s [seconds of lesson > 0]\n", argv[0]);
        return 2;
    }
    for (int i = 0; i < MAX_SPEAKERS; i++)
        if (encode_speaker(&sp[i], 200 + 70 * i) < 0)
            return 1;
    uint32_t rng = 1;
    for (size_t i = 0; i < sizeof(noise); i++) {
        rng = rng * 1103515245u + 12345u;
        noise[i] = (uint8_t)(rng >> 16);
    }
    fwd_sys_cpu_model(cpu, sizeof(cpu));
    fwd_sys_read_line("/proc/loadavg", load, sizeof(load));
    printf("bench/record: one recording, simulated lesson of %d s per run, one thread\n", seconds);
    printf("  cpu: %s; load average: %s\n", cpu, load);
    printf("  stage: VP8 %d kbit/s, %d fps, passed through; speakers: Opus 20 ms, 32 kbit/s,\n"
           "  all talking at once; mix: Opus mono 48 kHz %d kbit/s; file: %s (written for real)\n",
           LESSON_VIDEO_KBPS, VIDEO_FPS, AUDIO_MIX_BITRATE / 1000, dir);
    double ns = copy_ns();
    printf("  worker's cost per recorded packet (copy of a 1000-byte payload into the ring): "
           "%.0f ns\n", ns);
    printf("\n  speakers  packets/s  recorder cpu/lesson-s  share of a core  file MB/hour\n");
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        struct result r;
        if (run(counts[i], seconds, dir, sp, &r) < 0) {
            fprintf(stderr, "bench/record: the recording failed (disk?)\n");
            return 1;
        }
        double per_s = r.recorder_cpu_s / seconds;
        printf("  %8d  %9.0f  %18.2f ms  %14.2f %%  %12.0f\n", counts[i],
               (double)r.packets / seconds, per_s * 1000, per_s * 100,
               (double)r.file_bytes / seconds * 3600 / 1e6);
    }
    printf("\n  share of a core = CPU time of the run / lesson time (it includes making the\n"
           "  synthetic input and the worker-side copies, so it is an upper bound).\n");
    rmdir(dir);
    return 0;
}
