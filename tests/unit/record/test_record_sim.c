/* Recording behind the real media core, in simulated time: a publisher (an
 * in-memory browser: ICE, DTLS, SRTP) sends libvpx VP8 and libopus audio,
 * losing some packets on the way; the core's producers copy them through
 * the tap into the ring, a recording takes them out, and its keyframe
 * requests reach the publisher as PLIs, answered with keyframes. The file
 * is read back and decoded. */
#include "test.h"

#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "record/record_tap.h"
#include "record/recording.h"
#include "record/synth.h"
#include "rtc/rtc_core.h"
#include "sim/sim.h"

#define T_PUB 1
#define P_VIDEO 10
#define P_AUDIO 11
#define VSSRC 0x1000u
#define ASSRC 0x2000u
#define PT_VP8 100
#define PT_OPUS 109

struct scene {
    struct sim s;
    struct sim_peer *pub;
    struct record_tap *tap;
    atomic_bool idle;
    int evfd;
    struct recording *rec;
    uint16_t vseq, aseq;
    uint32_t rng;
    int lost;
};

static void ask_keyframe(void *arg, uint32_t producer_id)
{
    struct scene *sc = arg;
    rtc_core_producer_request_keyframe(sc->s.core, producer_id, sc->s.now_us);
}

static int scene_init(struct scene *sc, const char *dir)
{
    struct sockaddr_storage a;
    memset(sc, 0, sizeof(*sc));
    sc->rng = 99;
    sc->vseq = 65400;            /* wraps during the test */
    if (sim_init(&sc->s, 30000) < 0)
        return -1;
    socklen_t al = sim_addr_v4(&a, "198.18.0.1", 40001);
    sc->pub = sim_peer_new("pub", &a, al, "pubU", "pub-password-0123456789ab",
                           dtls_cert_fingerprint(sc->s.cert));
    if (!sc->pub || rtc_core_transport_create(sc->s.core, T_PUB, "pubU",
                                              "pub-password-0123456789ab", "sha-256",
                                              sim_peer_fingerprint(sc->pub), sc->s.now_us) < 0)
        return -1;
    sim_add_peer(&sc->s, sc->pub);
    sim_peer_start(sc->pub, sc->s.now_us);
    sim_run_ms(&sc->s, 300);
    if (!sc->pub->is_connected)
        return -1;
    struct sdp_track v = {0}, au = {0};
    strcpy(v.mid, "0");
    v.kind = SDP_KIND_VIDEO;
    v.payload_type = PT_VP8;
    v.clock_rate = 90000;
    v.ssrc = VSSRC;
    v.feedback = SDP_FB_NACK | SDP_FB_NACK_PLI;
    strcpy(au.mid, "1");
    au.kind = SDP_KIND_AUDIO;
    au.payload_type = PT_OPUS;
    au.clock_rate = 48000;
    au.ssrc = ASSRC;
    if (rtc_core_producer_create(sc->s.core, P_VIDEO, T_PUB, &v, sc->s.now_us) < 0 ||
        rtc_core_producer_create(sc->s.core, P_AUDIO, T_PUB, &au, sc->s.now_us) < 0)
        return -1;
    atomic_init(&sc->idle, false);
    sc->evfd = eventfd(0, EFD_NONBLOCK);
    sc->tap = record_tap_new(sc->evfd, &sc->idle);
    if (!sc->tap)
        return -1;
    rtc_core_set_record_tap(sc->s.core, sc->tap);
    struct recording_ops ops = {.request_keyframe = ask_keyframe, .arg = sc};
    const char *reason;
    if (recording_new(&sc->rec, 1, dir, sc->s.now_us, &ops, &reason) < 0)
        return -1;
    recording_set_video(sc->rec, P_VIDEO, sc->s.now_us);
    if (recording_add_audio(sc->rec, P_AUDIO) < 0)
        return -1;
    /* What the recorder asks the worker to do (recorder.c's tap callback). */
    if (rtc_core_producer_set_recorded(sc->s.core, P_VIDEO, true, sc->s.now_us) < 0 ||
        rtc_core_producer_set_recorded(sc->s.core, P_AUDIO, true, sc->s.now_us) < 0)
        return -1;
    return 0;
}

static void scene_free(struct scene *sc)
{
    recording_free(sc->rec);
    sim_destroy(&sc->s);
    sim_peer_free(sc->pub);
    record_tap_free(sc->tap);
    close(sc->evfd);
}

/* Sends a synthetic packet as RTP, losing loss_pct of them on the way. */
static void send_lossy(struct scene *sc, const struct record_packet *p, uint32_t ssrc, uint8_t pt,
                 uint16_t *seq, int loss_pct)
{
    struct rtp_header h = {.marker = p->marker, .payload_type = pt, .seq = (*seq)++,
                           .timestamp = p->rtp_timestamp, .ssrc = ssrc};
    sc->rng = sc->rng * 1103515245u + 12345u;
    if ((int)((sc->rng >> 16) % 100) < loss_pct) {
        sc->lost++;
        return;
    }
    sim_peer_send_rtp(sc->pub, &h, NULL, 0, p->payload, p->payload_len);
}

static void drain_ring(struct scene *sc)
{
    const struct record_packet *p;
    while ((p = record_ring_peek(&sc->tap->ring))) {
        recording_on_packet(sc->rec, p, sc->s.now_us);
        record_ring_release(&sc->tap->ring);
    }
}

TEST(record_sim_records_through_the_core_with_loss_and_keyframe_requests)
{
    char dir[64], path[128], cmd[128];
    struct scene sc;
    struct webm_readback rb;
    static struct record_packet vp[SYNTH_MAX_PACKETS];
    struct record_packet ap;
    snprintf(dir, sizeof(dir), "/tmp/sabaq-rec-sim-XXXXXX");
    ASSERT(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/%s", dir, RECORDING_FILE_NAME);
    ASSERT_EQ(0, scene_init(&sc, dir));
    sim_deliver(&sc.s);
    ASSERT(sc.pub->n_pli >= 1);          /* tapping the camera asked for a keyframe */
    struct synth_video *cam = synth_video_new(P_VIDEO, 320, 240);
    struct synth_audio *mic = synth_audio_new(P_AUDIO, 300, 7000);
    ASSERT(cam && mic);
    uint64_t start = sc.s.now_us;
    size_t plis_seen = sc.pub->n_pli;
    for (int ms = 0; ms < 6000; ms++) {
        if (sc.pub->n_pli != plis_seen) {
            plis_seen = sc.pub->n_pli;
            synth_video_request_keyframe(cam);
        }
        if (ms * 3 % 100 < 3) {
            int n = synth_video_frame(cam, ms * 3 / 100, vp, SYNTH_MAX_PACKETS);
            for (int i = 0; i < n; i++)
                send_lossy(&sc, &vp[i], VSSRC, PT_VP8, &sc.vseq, ms > 500 ? 3 : 0);
        }
        if (ms % 20 == 0 && synth_audio_frame(mic, ms / 20, &ap) == 0)
            send_lossy(&sc, &ap, ASSRC, PT_OPUS, &sc.aseq, 2);
        sim_run_ms(&sc.s, 1);
        drain_ring(&sc);
        if (ms % 5 == 0)
            ASSERT_EQ(0, recording_poll(sc.rec, sc.s.now_us));
    }
    ASSERT_EQ(0, recording_finish(sc.rec, sc.s.now_us));
    ASSERT(sc.lost > 5);
    ASSERT(sc.pub->n_pli >= 2);          /* the recording asked again after losses */
    ASSERT_EQ(0, (long long)atomic_load(&sc.tap->ring.dropped_full));

    ASSERT_EQ(0, synth_read_webm(path, &rb));
    ASSERT(rb.has_vp8 && rb.has_opus);
    ASSERT_EQ(0, rb.decode_errors);
    int64_t want_ms = (int64_t)(sc.s.now_us - start) / 1000;
    ASSERT(rb.duration_ms >= want_ms - 100 && rb.duration_ms <= want_ms + 100);
    ASSERT(rb.first_video_is_key);
    ASSERT(rb.video_frames_decoded >= 60);
    ASSERT_EQ(320, rb.width);
    ASSERT(rb.audio_rms_after_1s > 1000);
    synth_video_free(cam);
    synth_audio_free(mic);
    scene_free(&sc);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ASSERT_EQ(0, system(cmd));
}
