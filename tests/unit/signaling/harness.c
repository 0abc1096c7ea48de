/* The signaling test harness (harness.h): fake media plane, recording
 * connections, and SDP shaped like what Chromium 156 sends. */
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/sdp.h"

/* ---- fake media plane --------------------------------------------------- */

static struct fake_call *record(void *arg, const char *op, uint32_t id)
{
    struct fake_media *m = arg;
    if (m->n == FAKE_MAX_CALLS)
        abort();
    struct fake_call *c = &m->calls[m->n++];
    memset(c, 0, sizeof(*c));
    snprintf(c->op, sizeof(c->op), "%s", op);
    c->id = id;
    return c;
}

static const char *fk_fingerprint(void *arg)
{
    (void)arg;
    return "5A:BA:0A:5A:BA:0A:5A:BA:0A:5A:BA:0A:5A:BA:0A:5A:BA:0A:5A:BA:0A:5A:BA:0A:5A:BA:0A:"
           "5A:BA:0A:5A:BA";
}

static size_t fk_candidates(void *arg, struct sdp_candidate *out, size_t cap)
{
    (void)arg;
    if (cap < 1)
        return 0;
    memset(out, 0, sizeof(*out));
    snprintf(out->foundation, sizeof(out->foundation), "1");
    out->component = 1;
    snprintf(out->transport, sizeof(out->transport), "udp");
    out->priority = 2130706431u;
    snprintf(out->address, sizeof(out->address), "127.0.0.1");
    out->port = 41000;
    snprintf(out->type, sizeof(out->type), "host");
    return 1;
}

static int fk_transport_create(void *arg, uint32_t id, const char *ufrag, const char *pwd,
                               const char *alg, const char *fp)
{
    struct fake_call *c = record(arg, "transport_create", id);
    snprintf(c->ufrag, sizeof(c->ufrag), "%s", ufrag);
    snprintf(c->pwd, sizeof(c->pwd), "%s", pwd);
    snprintf(c->fingerprint, sizeof(c->fingerprint), "%s %s", alg, fp);
    return 0;
}

static int fk_transport_close(void *arg, uint32_t id)
{
    record(arg, "transport_close", id);
    return 0;
}

static int fk_producer_create(void *arg, uint32_t id, uint32_t transport_id,
                              const struct sdp_track *t)
{
    struct fake_call *c = record(arg, "producer_create", id);
    c->transport_id = transport_id;
    c->track = *t;
    return 0;
}

static int fk_producer_close(void *arg, uint32_t id)
{
    record(arg, "producer_close", id);
    return 0;
}

static int fk_consumer_create(void *arg, uint32_t id, uint32_t transport_id,
                              uint32_t producer_id, const struct sdp_outgoing *out)
{
    struct fake_call *c = record(arg, "consumer_create", id);
    c->transport_id = transport_id;
    c->producer_id = producer_id;
    c->out = *out;
    return 0;
}

static int fk_consumer_close(void *arg, uint32_t id)
{
    record(arg, "consumer_close", id);
    return 0;
}

static int fk_producer_set_paused(void *arg, uint32_t id, bool paused)
{
    record(arg, paused ? "producer_pause" : "producer_resume", id);
    return 0;
}

static int fk_consumer_set_preferred_size(void *arg, uint32_t id, uint16_t width,
                                         uint16_t height)
{
    struct fake_call *c = record(arg, "consumer_size", id);
    c->width = width;
    c->height = height;
    return 0;
}

/* "consumer_source": id = consumer, producer_id = its new source (0 idle). */
static int fk_consumer_set_producer(void *arg, uint32_t id, uint32_t producer_id)
{
    record(arg, "consumer_source", id)->producer_id = producer_id;
    return 0;
}

/* Recording calls: id = recording, producer_id = the producer named. */
static int fk_recording_start(void *arg, uint32_t id, const char *dir_path)
{
    struct fake_call *c = record(arg, "recording_start", id);
    snprintf(c->fingerprint, sizeof(c->fingerprint), "%s", dir_path);
    return 0;
}

static int fk_recording_stop(void *arg, uint32_t id)
{
    record(arg, "recording_stop", id);
    return 0;
}

static int fk_recording_set_video(void *arg, uint32_t id, uint32_t producer_id)
{
    record(arg, "recording_video", id)->producer_id = producer_id;
    return 0;
}

static int fk_recording_add_audio(void *arg, uint32_t id, uint32_t producer_id)
{
    record(arg, "recording_add_audio", id)->producer_id = producer_id;
    return 0;
}

static int fk_recording_remove_audio(void *arg, uint32_t id, uint32_t producer_id)
{
    record(arg, "recording_remove_audio", id)->producer_id = producer_id;
    return 0;
}

/* "transport_restart_ice": id = transport, ufrag/pwd = the new credentials. */
static int fk_transport_restart_ice(void *arg, uint32_t id, const char *ufrag, const char *pwd)
{
    struct fake_call *c = record(arg, "transport_restart_ice", id);
    snprintf(c->ufrag, sizeof(c->ufrag), "%s", ufrag);
    snprintf(c->pwd, sizeof(c->pwd), "%s", pwd);
    return 0;
}

const struct media_ops fake_media_ops = {
    .fingerprint = fk_fingerprint,
    .candidates = fk_candidates,
    .transport_create = fk_transport_create,
    .transport_close = fk_transport_close,
    .transport_restart_ice = fk_transport_restart_ice,
    .producer_create = fk_producer_create,
    .producer_close = fk_producer_close,
    .consumer_create = fk_consumer_create,
    .consumer_close = fk_consumer_close,
    .consumer_set_producer = fk_consumer_set_producer,
    .producer_set_paused = fk_producer_set_paused,
    .consumer_set_preferred_size = fk_consumer_set_preferred_size,
    .recording_start = fk_recording_start,
    .recording_stop = fk_recording_stop,
    .recording_set_video = fk_recording_set_video,
    .recording_add_audio = fk_recording_add_audio,
    .recording_remove_audio = fk_recording_remove_audio,
};

size_t fake_count(const struct fake_media *m, const char *op)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        n += strcmp(m->calls[i].op, op) == 0;
    return n;
}

const struct fake_call *fake_find(const struct fake_media *m, const char *op, size_t nth)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->calls[i].op, op) == 0 && nth-- == 0)
            return &m->calls[i];
    return NULL;
}

/* ---- recording connections --------------------------------------------- */

static void fc_send(void *conn, const char *text, size_t len)
{
    struct fake_conn *c = conn;
    if (c->n == FAKE_MAX_MSGS)
        abort();
    c->msgs[c->n] = strndup(text, len);
    c->n++;
}

static void fc_close(void *conn)
{
    ((struct fake_conn *)conn)->closed = true;
}

static const struct signaling_conn_ops fake_conn_ops = {fc_send, fc_close};

void harness_init(struct harness *h)
{
    memset(h, 0, sizeof(*h));
    h->log = open_memstream(&h->log_buf, &h->log_len);
    h->sig = signaling_new(&fake_media_ops, &h->media, h->log);
}

static void free_msgs(struct fake_conn *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->msgs[i]);
    c->n = c->read = 0;
}

void harness_free(struct harness *h)
{
    signaling_free(h->sig);
    for (size_t i = 0; i < h->n_conns; i++)
        free_msgs(&h->conns[i]);
    fclose(h->log);
    free(h->log_buf);
}

struct fake_conn *harness_connect(struct harness *h)
{
    struct fake_conn *c = &h->conns[h->n_conns++];
    c->p = signaling_connect(h->sig, &fake_conn_ops, c);
    return c;
}

void harness_disconnect(struct harness *h, struct fake_conn *c)
{
    signaling_disconnect(h->sig, c->p);
    c->p = NULL;
}

void harness_send(struct harness *h, struct fake_conn *c, const char *text)
{
    signaling_receive(h->sig, c->p, text, strlen(text));
}

json_t *harness_next(struct fake_conn *c)
{
    if (c->read >= c->n)
        return NULL;
    return json_loads(c->msgs[c->read++], 0, NULL);
}

json_t *harness_next_of(struct fake_conn *c, const char *type)
{
    json_t *m;
    while ((m = harness_next(c))) {
        if (strcmp(json_string_value(json_object_get(m, "type")), type) == 0)
            return m;
        json_decref(m);
    }
    return NULL;
}

size_t harness_pending(const struct fake_conn *c) { return c->n - c->read; }

void harness_join(struct harness *h, struct fake_conn *c, const char *name)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "{\"type\":\"join\",\"lesson\":\"math\",\"name\":\"%s\"}", name);
    harness_send(h, c, buf);
    json_decref(harness_next_of(c, "joined"));
}

const char *harness_log(struct harness *h)
{
    fflush(h->log);
    return h->log_buf ? h->log_buf : "";
}

/* ---- SDP ---------------------------------------------------------------- */

struct sbuf {
    char *s;
    size_t len, cap;
};

static void put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (b->s && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            abort();
    }
}

static void transport_lines(struct sbuf *b, const char *tag, const char *fp)
{
    put(b, "c=IN IP4 127.0.0.1\r\n"
           "a=rtcp:9 IN IP4 0.0.0.0\r\n"
           "a=candidate:3483339034 1 udp 2122260223 127.0.0.1 39694 typ host generation 0\r\n"
           "a=ice-ufrag:%s\r\n"
           "a=ice-pwd:rNU8hUjx57NUPjrmh6WF+%s\r\n"
           "a=ice-options:trickle\r\n"
           "a=fingerprint:sha-256 %s\r\n"
           "a=setup:actpass\r\n",
        tag, tag, fp);
}

static const char offer_fp[] = "E6:99:CB:9C:60:37:4E:C3:EC:8C:E0:2A:BF:65:18:C7:47:3C:15:F3:"
                               "BB:49:51:3D:2F:79:35:4C:F9:3B:70:6F";

static void video_section(struct sbuf *b, const char *tag, const char *mid, uint32_t ssrc)
{
    put(b, "m=video %d UDP/TLS/RTP/SAVPF 96 97 102 103\r\n", ssrc ? 36873 : 0);
    transport_lines(b, tag, offer_fp);
    put(b, "a=mid:%s\r\n"
           "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
           "a=extmap:13 urn:3gpp:video-orientation\r\n"
           "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
           "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
           "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
           "a=extmap:11 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"
           "a=%s\r\n"
           "a=msid:stream-%s video-%s-%s\r\n"
           "a=rtcp-mux\r\n"
           "a=rtcp-rsize\r\n"
           "a=rtpmap:96 VP8/90000\r\n"
           "a=rtcp-fb:96 goog-remb\r\n"
           "a=rtcp-fb:96 transport-cc\r\n"
           "a=rtcp-fb:96 ccm fir\r\n"
           "a=rtcp-fb:96 nack\r\n"
           "a=rtcp-fb:96 nack pli\r\n"
           "a=rtpmap:97 rtx/90000\r\n"
           "a=fmtp:97 apt=96\r\n"
           "a=rtpmap:102 H264/90000\r\n"
           "a=rtcp-fb:102 nack pli\r\n"
           "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
           "a=rtpmap:103 rtx/90000\r\n"
           "a=fmtp:103 apt=102\r\n",
        mid, ssrc ? "sendonly" : "inactive", tag, tag, mid);
    if (ssrc)
        put(b, "a=ssrc-group:FID %u %u\r\n"
               "a=ssrc:%u cname:TyThukZeW9kGc/A+\r\n"
               "a=ssrc:%u msid:stream-%s video-%s-%s\r\n"
               "a=ssrc:%u cname:TyThukZeW9kGc/A+\r\n"
               "a=ssrc:%u msid:stream-%s video-%s-%s\r\n",
            ssrc, ssrc + 1, ssrc, ssrc, tag, tag, mid, ssrc + 1, ssrc + 1, tag, tag, mid);
}

static char *offer(const char *tag, uint32_t audio_ssrc, uint32_t video_ssrc, uint32_t video2)
{
    struct sbuf b = {0};
    put(&b, "v=0\r\n"
            "o=- 2922862145390190768 2 IN IP4 127.0.0.1\r\n"
            "s=-\r\n"
            "t=0 0\r\n"
            "a=group:BUNDLE 0%s 2%s\r\n"
            "a=extmap-allow-mixed\r\n"
            "a=msid-semantic: WMS stream-%s\r\n"
            "m=audio 39694 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n",
        video_ssrc ? " 1" : "", video2 ? " 3" : "", tag);
    transport_lines(&b, tag, offer_fp);
    put(&b, "a=mid:0\r\n"
            "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
            "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
            "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
            "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
            "a=sendonly\r\n"
            "a=msid:stream-%s audio-%s\r\n"
            "a=rtcp-mux\r\n"
            "a=rtcp-rsize\r\n"
            "a=rtpmap:111 opus/48000/2\r\n"
            "a=rtcp-fb:111 transport-cc\r\n"
            "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
            "a=rtpmap:63 red/48000/2\r\n"
            "a=fmtp:63 111/111\r\n"
            "a=rtpmap:9 G722/8000\r\n"
            "a=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:13 CN/8000\r\n"
            "a=rtpmap:110 telephone-event/48000\r\n"
            "a=rtpmap:126 telephone-event/8000\r\n"
            "a=ssrc:%u cname:TyThukZeW9kGc/A+\r\n"
            "a=ssrc:%u msid:stream-%s audio-%s\r\n",
        tag, tag, audio_ssrc, audio_ssrc, tag, tag);
    video_section(&b, tag, "1", video_ssrc);
    put(&b, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n");
    transport_lines(&b, tag, offer_fp);
    put(&b, "a=mid:2\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n");
    if (video2)
        video_section(&b, tag, "3", video2);
    return b.s;
}

char *harness_offer(const char *tag, uint32_t audio_ssrc, uint32_t video_ssrc)
{
    return offer(tag, audio_ssrc, video_ssrc, 0);
}

char *harness_offer3(const char *tag, uint32_t audio_ssrc, uint32_t video_ssrc,
                     uint32_t video2_ssrc)
{
    return offer(tag, audio_ssrc, video_ssrc, video2_ssrc);
}

char *harness_answer(const char *offer_sdp)
{
    struct sdp_session *o = calloc(1, sizeof(*o));
    if (!o || sdp_parse(o, offer_sdp, strlen(offer_sdp), NULL) != 0)
        abort();
    struct sbuf b = {0};
    put(&b, "v=0\r\no=- 6806557452311463157 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
            "a=group:BUNDLE");
    for (uint8_t i = 0; i < o->n_media; i++)
        put(&b, " %s", o->media[i].mid);
    put(&b, "\r\na=msid-semantic: WMS\r\n");
    for (uint8_t i = 0; i < o->n_media; i++) {
        const struct sdp_media *m = &o->media[i];
        bool audio = m->kind == SDP_KIND_AUDIO;
        put(&b, "m=%s 9 UDP/TLS/RTP/SAVPF %s\r\n"
                "c=IN IP4 0.0.0.0\r\n"
                "a=rtcp:9 IN IP4 0.0.0.0\r\n"
                "a=ice-ufrag:bt1i\r\n"
                "a=ice-pwd:0wcwHuw69kR6I4q7FGpteGAG\r\n"
                "a=ice-options:trickle\r\n"
                "a=fingerprint:sha-256 90:BC:DB:97:03:4B:E7:14:7A:71:2A:1F:CD:78:88:94:55:BE:"
                "C6:65:5A:D6:5E:55:34:D1:3F:82:38:81:F1:46\r\n"
                "a=setup:active\r\n"
                "a=mid:%s\r\n"
                "a=%s\r\n"
                "a=rtcp-mux\r\n",
            audio ? "audio" : "video", audio ? "111" : "96 97", m->mid,
            m->direction == SDP_SENDONLY ? "recvonly" : "inactive");
        if (audio)
            put(&b, "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n");
        else
            put(&b, "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
                    "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n");
    }
    free(o);
    return b.s;
}

static char *dump(json_t *m)
{
    char *s = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    return s;
}

char *harness_publish_msg(const char *sdp)
{
    return dump(json_pack("{s:s, s:s}", "type", "publish", "sdp", sdp));
}

char *harness_answer_msg(const char *sdp, long long version)
{
    return dump(json_pack("{s:s, s:s, s:I}", "type", "subscribe_answer", "sdp", sdp, "version",
                          (json_int_t)version));
}

const char *harness_sdp_attr(const char *sdp, const char *attr)
{
    static char value[256];
    char want[64];
    snprintf(want, sizeof(want), "a=%s:", attr);
    const char *at = sdp ? strstr(sdp, want) : NULL;
    value[0] = '\0';
    if (at) {
        at += strlen(want);
        size_t n = strcspn(at, "\r\n");
        snprintf(value, sizeof(value), "%.*s", (int)(n < sizeof(value) ? n : sizeof(value) - 1), at);
    }
    return value;
}
