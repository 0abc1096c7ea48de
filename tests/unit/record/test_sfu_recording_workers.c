/* Recording with two media workers: a producer on the second worker (and
 * mirrored on the first, for a subscriber there) is recorded through the
 * second worker's tap: the file has its tone. */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sabaq/error.h"
#include "sabaq/rtp.h"
#include "sabaq/sfu.h"
#include "sabaq/srtp_session.h"
#include "record/recording.h"
#include "record/synth.h"

static struct srtp_keys keys_for(uint8_t n)
{
    struct srtp_keys k = {.profile = SRTP_PROFILE_AEAD_AES_128_GCM, .key_len = 16, .salt_len = 12};
    for (int i = 0; i < 16; i++) {
        k.local_key[i] = (uint8_t)(n * 31 + i);
        k.remote_key[i] = (uint8_t)(n * 17 + 3 * i);
    }
    for (int i = 0; i < 12; i++) {
        k.local_salt[i] = (uint8_t)(n + 5 * i);
        k.remote_salt[i] = (uint8_t)(n * 7 + i);
    }
    return k;
}

static int bound_socket(struct sockaddr_storage *a, socklen_t *len)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in in = {.sin_family = AF_INET};
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&in, sizeof(in)) != 0)
        return -1;
    *len = sizeof(*a);
    getsockname(fd, (struct sockaddr *)a, len);
    return fd;
}

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

TEST(sfu_recording_takes_a_producer_of_the_second_worker)
{
    char dir[64], path[160], cmd[128];
    struct sfu_config cfg = {.bind_address = "127.0.0.1", .announce = {"127.0.0.1"}, .workers = 2};
    snprintf(dir, sizeof(dir), "/tmp/sabaq-rec-workers-XXXXXX");
    ASSERT(mkdtemp(dir));
    struct sfu *s = sfu_start(&cfg);
    ASSERT(s);
    /* Transport 1 lands on worker 0 (a subscriber), transport 2 on worker 1
     * (the publisher). */
    struct sockaddr_storage sub_a, pub_a;
    socklen_t sub_l, pub_l;
    int sub = bound_socket(&sub_a, &sub_l), pub = bound_socket(&pub_a, &pub_l);
    ASSERT(sub >= 0 && pub >= 0);
    struct srtp_keys sk = keys_for(1), pk = keys_for(2), view = pk;
    memcpy(view.local_key, pk.remote_key, 16);
    memcpy(view.local_salt, pk.remote_salt, 12);
    ASSERT_EQ(0, sfu_transport_create_connected(s, 1, &sk, &sub_a, sub_l));
    ASSERT_EQ(0, sfu_transport_create_connected(s, 2, &pk, &pub_a, pub_l));
    ASSERT_EQ(0, sfu_transport_worker(s, 1));
    ASSERT_EQ(1, sfu_transport_worker(s, 2));
    struct sdp_track t = {0};
    strcpy(t.mid, "0");
    t.kind = SDP_KIND_AUDIO;
    t.payload_type = 111;
    t.clock_rate = 48000;
    t.ssrc = 0x0a0a0a0au;
    ASSERT_EQ(0, sfu_producer_create(s, 10, 2, &t));
    struct sdp_outgoing o = {0};
    strcpy(o.mid, "a");
    o.kind = SDP_KIND_AUDIO;
    o.active = true;
    o.ssrc = 0x1000;
    strcpy(o.cname, "c");
    ASSERT_EQ(0, sfu_consumer_create(s, 100, 1, 10, &o)); /* a mirror on worker 0 */
    ASSERT_EQ(0, sfu_recording_start(s, 9, dir));
    ASSERT_EQ(0, sfu_recording_add_audio(s, 9, 10));
    usleep(200000);
    struct synth_audio *tone = synth_audio_new(10, 440, 8000);
    ASSERT(tone);
    struct srtp_out *out = srtp_out_new(&view);
    ASSERT(out);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(sfu_port(s))};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int sent = 0;
    for (int i = 0; i < 100; i++) {      /* 2 s of 20 ms Opus frames */
        struct record_packet rp;
        uint8_t pkt[1500];
        if (synth_audio_frame(tone, i, &rp) != 0)
            continue;
        struct rtp_header h = {.payload_type = 111, .seq = (uint16_t)(100 + i),
                               .timestamp = 777u + 960u * (uint32_t)i, .ssrc = t.ssrc};
        int hl = rtp_header_write(pkt, sizeof(pkt), &h, NULL, 0);
        memcpy(pkt + hl, rp.payload, rp.payload_len);
        size_t len = (size_t)hl + rp.payload_len;
        if (srtp_out_protect_rtp(out, pkt, &len, sizeof(pkt), 0) == 0 &&
            sendto(pub, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) > 0)
            sent++;
        usleep(20000);
    }
    ASSERT_EQ(0, sfu_recording_stop(s, 9));
    struct sfu_event ev;
    ASSERT(poll_stopped(s, &ev, 10000));
    ASSERT_EQ(0, ev.value);
    struct webm_readback rb;
    snprintf(path, sizeof(path), "%s/%s", dir, RECORDING_FILE_NAME);
    ASSERT_EQ(0, synth_read_webm(path, &rb));
    ASSERT(rb.has_opus);
    ASSERT_EQ(0, rb.decode_errors);
    /* The tone is in the file, not silence (amplitude 8000: RMS ~5700). */
    ASSERT(rb.audio_rms_after_1s > 1000);
    ASSERT(rb.audio_rms_after_1s < 8000);
    ASSERT(rb.duration_ms >= 1500);
    synth_audio_free(tone);
    srtp_out_free(out);
    sfu_stop(s);
    close(sub);
    close(pub);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ASSERT_EQ(0, system(cmd));
    (void)sent;
}
