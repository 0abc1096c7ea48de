/* The publish connection (docs/protocol.md, "publish"): parse the client's
 * offer, answer it with sdp_answer_publish (RFC 8829 JSEP, Sabaq ICE-lite and
 * DTLS server), create the transport on the first offer and keep one producer
 * per accepted m-line in step with every re-offer. A re-offer with new ICE
 * credentials restarts ICE on the same transport (RFC 8445 sec. 9): Sabaq
 * answers with new credentials of its own and everything else stays. */
#include "publish.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "floor.h"
#include "lesson.h"
#include "recording.h"
#include "rights.h"
#include "stage.h"
#include "subscribe.h"

/* What a re-offer must keep for a producer to go on unchanged. */
static bool same_source(const struct sdp_track *a, const struct sdp_track *b)
{
    return a->kind == b->kind && a->ssrc == b->ssrc && a->rtx_ssrc == b->rtx_ssrc &&
           a->payload_type == b->payload_type && a->rtx_payload_type == b->rtx_payload_type &&
           a->n_rids == b->n_rids;
}

static const struct sdp_track *find_track(const struct sdp_track *tracks, size_t n,
                                          const char *mid)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(tracks[i].mid, mid) == 0)
            return &tracks[i];
    return NULL;
}

static void close_producer(struct participant *p, size_t index)
{
    struct signaling *s = p->sig;
    uint32_t id = p->pub.producers[index].id;
    subscribe_producer_closing(p->lesson, id);   /* slots go idle before it closes */
    s->media->producer_close(s->media_arg, id);
    participant_producer_remove(p, index);
}

static enum track_source default_source(enum sdp_media_kind kind)
{
    return kind == SDP_KIND_AUDIO ? TRACK_SOURCE_MIC : TRACK_SOURCE_CAMERA;
}

/* The source the `sources` object gives mid (checked by check_sources), or
 * the kind's default. */
static enum track_source source_of(const json_t *sources, const struct sdp_track *t)
{
    enum track_source s = default_source(t->kind);
    const json_t *v = sources ? json_object_get(sources, t->mid) : NULL;
    if (json_is_string(v))
        track_source_parse(json_string_value(v), t->kind, &s);
    return s;
}

static void open_producer(struct participant *p, const struct sdp_track *t,
                          enum track_source source)
{
    struct signaling *s = p->sig;
    struct producer_ref *r = participant_producer_add(p);
    if (!r) {
        signaling_log(s, "participant %s: out of memory for a producer", p->id);
        return;
    }
    r->id = ++s->next_producer;
    r->track = *t;
    r->source = source;
    int rc = s->media->producer_create(s->media_arg, r->id, p->pub.transport_id, t);
    if (rc < 0) {
        signaling_log(s, "participant %s: media plane refused producer for mid %s: %s", p->id,
                      t->mid, sq_strerror(rc));
        participant_producer_remove(p, p->pub.n_producers - 1);
        return;
    }
    subscribe_lesson_changed(p->lesson);
}

/* Producers follow the accepted tracks: kept by mid, closed when their m-line
 * was removed, rejected or made inactive, opened for new mids. */
static void sync_producers(struct participant *p, const struct sdp_track *tracks, size_t n,
                           const json_t *sources)
{
    for (size_t i = 0; i < p->pub.n_producers;) {
        const struct sdp_track *t = find_track(tracks, n, p->pub.producers[i].track.mid);
        if (t && same_source(&p->pub.producers[i].track, t)) {
            /* A camera sender reused for a screen share (or back) keeps its
             * producer: only what it shows changed. */
            p->pub.producers[i].source = source_of(sources, t);
            i++;
            continue;
        }
        close_producer(p, i);
    }
    for (size_t i = 0; i < n; i++)
        if (!participant_producer_find(p, tracks[i].mid))
            open_producer(p, &tracks[i], source_of(sources, &tracks[i]));
}

/* `sources`: absent, or an object of mid -> "mic" | "camera" | "screen"
 * (audio must be a mic, video a camera or screen). 0, or -1 after an error. */
static int check_sources(struct participant *p, const json_t *sources,
                         const struct sdp_track *tracks, size_t n, json_t *req)
{
    if (!sources)
        return 0;
    if (!json_is_object(sources)) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "publish", req,
                               "\"sources\" must be an object of mid -> source");
        return -1;
    }
    const char *mid;
    const json_t *v;
    json_object_foreach((json_t *)sources, mid, v) {
        const struct sdp_track *t = find_track(tracks, n, mid);
        enum track_source s;
        if (!json_is_string(v) ||
            (t && track_source_parse(json_string_value(v), t->kind, &s) < 0) ||
            (!t && strcmp(json_string_value(v), "mic") != 0 &&
             strcmp(json_string_value(v), "camera") != 0 &&
             strcmp(json_string_value(v), "screen") != 0)) {
            participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "publish", req,
                                   "\"sources\": mid %.32s is not mic (audio), camera or "
                                   "screen (video)", mid);
            return -1;
        }
    }
    return 0;
}

/* FNV-1a over the offer's ice-ufrag and ice-pwd (of the first m-line that
 * has them: BUNDLE gives every m-line the same). Only compared, never sent. */
static uint64_t remote_ice_of(const struct sdp_session *offer)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint8_t i = 0; i < offer->n_media; i++) {
        const char *u = sdp_media_ice_ufrag(offer, &offer->media[i]);
        const char *w = sdp_media_ice_pwd(offer, &offer->media[i]);
        if (!u[0])
            continue;
        for (const char *s = u;; s++) {
            h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
            if (!*s)
                break;
        }
        for (const char *s = w; *s; s++)
            h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
        break;
    }
    return h;
}

/* Sabaq's credentials for the answer: the transport's, or new ones when the
 * client restarts ICE (restarting is then true). */
static void local_credentials(const struct participant *p, uint64_t remote_ice, char *ufrag,
                              char *pwd, bool *restarting)
{
    *restarting = p->pub.transport_id && remote_ice != p->pub.remote_ice;
    if (*restarting) {
        participant_random_token(ufrag, PARTICIPANT_UFRAG_LEN);
        participant_random_token(pwd, PARTICIPANT_PWD_LEN);
    } else {
        memcpy(ufrag, p->pub.ufrag, sizeof(p->pub.ufrag));
        memcpy(pwd, p->pub.pwd, sizeof(p->pub.pwd));
    }
}

/* The answer says the new credentials: the transport takes them now, before
 * the client can send a check with them. 0 or -1 after replying an error. */
static int restart_ice(struct participant *p, const char *ufrag, const char *pwd,
                       uint64_t remote_ice, json_t *req)
{
    struct signaling *s = p->sig;
    int rc = s->media->transport_restart_ice(s->media_arg, p->pub.transport_id, ufrag, pwd);
    if (rc < 0) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "publish", req,
                               "the media plane refused the ICE restart: %s", sq_strerror(rc));
        return -1;
    }
    memcpy(p->pub.ufrag, ufrag, sizeof(p->pub.ufrag));
    memcpy(p->pub.pwd, pwd, sizeof(p->pub.pwd));
    p->pub.remote_ice = remote_ice;
    signaling_log(s, "participant %s: publish ICE restart", p->id);
    return 0;
}

static int ensure_transport(struct participant *p, const struct sdp_session *offer, json_t *req)
{
    struct signaling *s = p->sig;
    if (p->pub.transport_id)
        return 0;
    const char *alg = "", *fp = "";
    for (uint8_t i = 0; i < offer->n_media && !fp[0]; i++)
        fp = sdp_media_fingerprint(offer, &offer->media[i], &alg);
    if (!fp[0]) {
        participant_send_error(p, MESSAGE_ERR_BAD_SDP, "publish", req, "offer has no a=fingerprint");
        return -1;
    }
    uint32_t id = ++s->next_transport;
    int rc = s->media->transport_create(s->media_arg, id, p->pub.ufrag, p->pub.pwd, alg, fp);
    if (rc < 0) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "publish", req,
                               "the media plane refused the transport: %s", sq_strerror(rc));
        return -1;
    }
    p->pub.transport_id = id;
    p->pub.remote_ice = remote_ice_of(offer);
    return 0;
}

static void send_answer(struct participant *p, const struct sdp_session *answer,
                        const struct sdp_track *tracks, size_t n, json_t *req)
{
    char *text = malloc(SDP_MAX_TEXT);
    int len = text ? sdp_write(answer, text, SDP_MAX_TEXT) : -SQ_ENOMEM;
    if (len < 0) {
        free(text);
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "publish", req,
                               "cannot write the answer: %s", sq_strerror(len));
        return;
    }
    json_t *m = message_new("publish_answer", req);
    json_object_set_new(m, "sdp", json_stringn(text, (size_t)len));
    free(text);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *t = json_object();
        json_object_set_new(t, "mid", json_string(tracks[i].mid));
        json_object_set_new(t, "kind", json_string(message_kind_name(tracks[i].kind)));
        const struct producer_ref *r = participant_producer_find(p, tracks[i].mid);
        if (r)
            json_object_set_new(t, "source", json_string(track_source_name(r->source)));
        if (r && r->paused)   /* the classroom: no right to send it now, or muted */
            json_object_set_new(t, "paused", json_true());
        json_array_append_new(list, t);
    }
    json_object_set_new(m, "tracks", list);
    participant_send(p, m);
}

/* Parses, answers (with new credentials of Sabaq's when the client
 * restarts ICE) and applies one offer; replies the answer or an error. */
static void publish_offer(struct participant *p, const char *sdp, const json_t *sources,
                          struct sdp_session *offer, struct sdp_session *answer,
                          struct sdp_track *tracks, json_t *req)
{
    const char *why = NULL;
    size_t n = 0;
    int rc = sdp_parse(offer, sdp, strlen(sdp), &why);
    if (rc < 0) {
        participant_send_error(p, MESSAGE_ERR_BAD_SDP, "publish", req, "cannot parse the offer: %s",
                               why ? why : sq_strerror(rc));
        return;
    }
    uint64_t remote_ice = remote_ice_of(offer);
    char ufrag[sizeof(p->pub.ufrag)], pwd[sizeof(p->pub.pwd)];
    bool restarting;
    local_credentials(p, remote_ice, ufrag, pwd, &restarting);
    struct sdp_local local;
    signaling_sdp_local(p->sig, ufrag, pwd, &local);
    rc = sdp_answer_publish(offer, &local, answer, tracks, SDP_MAX_MEDIA, &n, &why);
    if (rc < 0) {
        participant_send_error(p, MESSAGE_ERR_BAD_SDP, "publish", req, "cannot answer the offer: %s",
                               why ? why : sq_strerror(rc));
        return;
    }
    if (check_sources(p, sources, tracks, n, req) < 0 || ensure_transport(p, offer, req) < 0 ||
        (restarting && restart_ice(p, ufrag, pwd, remote_ice, req) < 0))
        return;
    sync_producers(p, tracks, n, sources);
    floor_apply(p);
    send_answer(p, answer, tracks, n, req);
    stage_update(p->lesson);
    recording_sync(p->lesson);
    subscribe_lesson_changed(p->lesson);   /* a source may have changed */
    subscribe_lesson_flush(p->lesson);
}

void publish_handle(struct participant *p, json_t *msg, json_t *req)
{
    if (!rights_allow(p, RIGHT_PUBLISH)) {
        rights_refuse(p, RIGHT_PUBLISH, "publish", req);
        return;
    }
    const char *sdp = message_string(msg, "sdp");
    if (!sdp) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "publish", req,
                               "\"sdp\" must be a string");
        return;
    }
    if (strlen(sdp) > SDP_MAX_TEXT) {
        participant_send_error(p, MESSAGE_ERR_BAD_SDP, "publish", req,
                               "the offer is larger than 256 KiB");
        return;
    }
    /* Both sessions are large (hundreds of KiB): heap, and only for the call. */
    struct sdp_session *offer = calloc(1, sizeof(*offer));
    struct sdp_session *answer = calloc(1, sizeof(*answer));
    struct sdp_track *tracks = calloc(SDP_MAX_MEDIA, sizeof(*tracks));
    if (!offer || !answer || !tracks)
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "publish", req, "out of memory");
    else
        publish_offer(p, sdp, json_object_get(msg, "sources"), offer, answer, tracks, req);
    free(tracks);
    free(answer);
    free(offer);
}

void publish_release(struct participant *p)
{
    struct signaling *s = p->sig;
    while (p->pub.n_producers)
        close_producer(p, p->pub.n_producers - 1);
    if (p->pub.transport_id)
        s->media->transport_close(s->media_arg, p->pub.transport_id);
    p->pub.transport_id = 0;
    stage_update(p->lesson);
    recording_sync(p->lesson);   /* its audio leaves the recording */
}

void publish_transport_closed(struct participant *p)
{
    publish_release(p);
    /* The client needs a new RTCPeerConnection: new credentials keep its
     * checks from matching anything of the old one. */
    participant_random_token(p->pub.ufrag, PARTICIPANT_UFRAG_LEN);
    participant_random_token(p->pub.pwd, PARTICIPANT_PWD_LEN);
    subscribe_lesson_flush(p->lesson);
}
