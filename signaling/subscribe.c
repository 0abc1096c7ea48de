/* The subscribe connection (docs/protocol.md, "Subscribing"): Sabaq is the
 * offerer (RFC 8829 JSEP), so there is no glare. A fixed set of slots (see
 * subscribe.h), each a sendonly m-line with SSRCs that never change while
 * the connection lives; a slot switches producer on its consumer, never in
 * SDP. m-lines are never removed: slots beyond the ones in use stay as
 * inactive m-lines. One consumer per slot, made once the client has answered
 * an offer with that slot (idle when no producer feeds the slot). */
#include "subscribe.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "lesson.h"

#define VIDEO_SIZE_MAX 7680
#define LOW_WIDTH 320               /* receive_mode low: every video at most this big */
#define LOW_HEIGHT 180

static enum sdp_media_kind slot_kind(size_t i)
{
    return i < SLOTS_AUDIO ? SDP_KIND_AUDIO : SDP_KIND_VIDEO;
}

static const char *slot_role(size_t i)
{
    return i < SLOTS_AUDIO ? "audio" : i == SUB_STAGE_SLOT ? "stage" : "speaker";
}

void subscribe_reset(struct participant *p)
{
    struct subscribe_side *sub = &p->sub;
    free(sub->offer_sdp);
    sub->offer_sdp = NULL;
    sub->n_slots = 0;
    sub->n_used = 0;
    sub->n_offered = 0;
    sub->transport_id = 0;
    sub->awaiting_answer = false;
    sub->dirty = false;
    sub->slots_unsent = false;
    sub->ice_restart = false;
    participant_random_token(sub->ufrag, PARTICIPANT_UFRAG_LEN);
    participant_random_token(sub->pwd, PARTICIPANT_PWD_LEN);
    /* RFC 8866 5.2: o= session id below 2^63 so it fits a signed 64-bit integer. */
    uint64_t id = 0;
    while (id == 0) {
        if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
            abort();
        id &= 0x3fffffffffffffffull;
    }
    sub->session_id = id;
    /* `version` and `receive_mode` are kept: an answer to an offer of the old
     * connection must never match the new one's, and the client's choice
     * outlives a reconnection. */
}

/* ---- consumers ----------------------------------------------------------- */

/* Slot i's size to its consumer (video only). */
static void give_size(struct participant *p, size_t i)
{
    const struct media_ops *m = p->sig->media;
    const struct sub_slot *s = &p->sub.slots[i];
    if (slot_kind(i) != SDP_KIND_VIDEO || !s->consumer_id || !m->consumer_set_preferred_size)
        return;
    bool is_low = p->sub.receive_mode == RECEIVE_LOW;
    if (!s->sized && !is_low)
        return;                  /* until told, the size sets no limit */
    uint16_t w = s->sized ? s->width : VIDEO_SIZE_MAX, h = s->sized ? s->height : VIDEO_SIZE_MAX;
    if (is_low) {
        w = w < LOW_WIDTH ? w : LOW_WIDTH;
        h = h < LOW_HEIGHT ? h : LOW_HEIGHT;
    }
    int rc = m->consumer_set_preferred_size(p->sig->media_arg, s->consumer_id, w, h);
    if (rc < 0)
        signaling_log(p->sig, "participant %s: media plane refused the size of consumer %u: %s",
                      p->id, (unsigned)s->consumer_id, sq_strerror(rc));
}

static void close_consumer(struct participant *p, struct sub_slot *s)
{
    if (!s->consumer_id)
        return;
    p->sig->media->consumer_close(p->sig->media_arg, s->consumer_id);
    s->consumer_id = 0;
}

void subscribe_slot_set(struct participant *p, size_t i, uint32_t producer_id,
                        const char *publisher, enum track_source source)
{
    if (i >= p->sub.n_slots)
        return;
    struct sub_slot *s = &p->sub.slots[i];
    if (s->producer_id == producer_id)
        return;
    s->producer_id = producer_id;
    snprintf(s->publisher, sizeof(s->publisher), "%s", producer_id && publisher ? publisher : "");
    s->source = (uint8_t)source;
    p->sub.slots_unsent = true;
    const struct media_ops *m = p->sig->media;
    if (!s->consumer_id || !m->consumer_set_producer)
        return;
    int rc = m->consumer_set_producer(p->sig->media_arg, s->consumer_id, producer_id);
    if (rc < 0)
        signaling_log(p->sig, "participant %s: media plane refused producer %u for slot %zu: %s",
                      p->id, (unsigned)producer_id, i, sq_strerror(rc));
}

/* ---- slots and offers -------------------------------------------------- */

void subscribe_set_used(struct participant *p, size_t n_speakers)
{
    struct subscribe_side *sub = &p->sub;
    if (n_speakers > SLOTS_MAX_SPEAKERS)
        n_speakers = SLOTS_MAX_SPEAKERS;
    size_t want = SUB_FIRST_SPEAKER + n_speakers;
    if (want == sub->n_used)
        return;
    while (sub->n_slots < want) {
        struct sub_slot *s = participant_slot_add(p);
        if (!s) {
            signaling_log(p->sig, "participant %s: out of memory for subscribe slots", p->id);
            want = sub->n_slots;
            break;
        }
        s->ssrc = participant_new_ssrc(p);
        if (slot_kind(sub->n_slots - 1) == SDP_KIND_VIDEO)
            s->rtx_ssrc = participant_new_ssrc(p);
    }
    for (size_t i = want; i < sub->n_used; i++)
        subscribe_slot_set(p, i, 0, NULL, TRACK_SOURCE_CAMERA);
    if (sub->n_offered == 0 && sub->n_slots > want)
        sub->n_slots = want;     /* never offered: m-lines may still go */
    sub->n_used = want;
    sub->dirty = true;
}

static void slot_outgoing(const struct participant *p, size_t i, struct sdp_outgoing *out)
{
    const struct sub_slot *s = &p->sub.slots[i];
    memset(out, 0, sizeof(*out));
    snprintf(out->mid, sizeof(out->mid), "%zu", i);
    out->kind = slot_kind(i);
    out->active = i < p->sub.n_used;
    out->ssrc = out->active ? s->ssrc : 0;
    out->rtx_ssrc = out->active && out->kind == SDP_KIND_VIDEO ? s->rtx_ssrc : 0;
    /* Each slot its own stream: what it shows changes, so no lip sync
     * group would hold. */
    snprintf(out->cname, sizeof(out->cname), "sabaq-%zu", i);
    snprintf(out->stream_id, sizeof(out->stream_id), "slot-%zu", i);
    snprintf(out->track_id, sizeof(out->track_id), "%s-%zu", slot_role(i), i);
}

/* Sabaq's offer as text (malloc'd), or NULL. */
static char *write_offer(struct participant *p, uint64_t version)
{
    struct subscribe_side *sub = &p->sub;
    struct sdp_local local;
    signaling_sdp_local(p->sig, sub->ufrag, sub->pwd, &local);
    struct sdp_outgoing *outs = calloc(sub->n_slots, sizeof(*outs));
    struct sdp_session *offer = calloc(1, sizeof(*offer));
    char *text = malloc(SDP_MAX_TEXT);
    int rc = -SQ_ENOMEM;
    if (outs && offer && text) {
        for (size_t i = 0; i < sub->n_slots; i++)
            slot_outgoing(p, i, &outs[i]);
        rc = sdp_offer_subscribe(&local, outs, sub->n_slots, sub->session_id, version, offer);
        if (rc == 0)
            rc = sdp_write(offer, text, SDP_MAX_TEXT);
    }
    free(outs);
    free(offer);
    if (rc < 0) {
        signaling_log(p->sig, "participant %s: cannot write a subscribe offer: %s", p->id,
                      sq_strerror(rc));
        free(text);
        return NULL;
    }
    char *shrunk = realloc(text, (size_t)rc + 1);
    return shrunk ? shrunk : text;
}

/* {mid, kind, role, participant, source, active}: what slot i shows now. */
static json_t *slot_json(const struct participant *p, size_t i)
{
    const struct sub_slot *s = &p->sub.slots[i];
    bool has = s->producer_id != 0;
    json_t *t = json_object();
    char mid[24];
    snprintf(mid, sizeof(mid), "%zu", i);
    json_object_set_new(t, "mid", json_string(mid));
    json_object_set_new(t, "kind", json_string(message_kind_name(slot_kind(i))));
    json_object_set_new(t, "role", json_string(slot_role(i)));
    json_object_set_new(t, "participant", has ? json_string(s->publisher) : json_null());
    json_object_set_new(t, "source",
                        has ? json_string(track_source_name((enum track_source)s->source))
                            : json_null());
    json_object_set_new(t, "active", json_boolean(has));
    return t;
}

static json_t *slots_list(const struct participant *p)
{
    json_t *list = json_array();
    for (size_t i = 0; i < p->sub.n_slots; i++)
        json_array_append_new(list, slot_json(p, i));
    return list;
}

static json_t *offer_message(const struct participant *p, const char *sdp)
{
    json_t *m = message_new("subscribe_offer", NULL);
    json_object_set_new(m, "sdp", json_string(sdp));
    json_object_set_new(m, "version", json_integer((json_int_t)p->sub.version));
    json_object_set_new(m, "tracks", slots_list(p));
    return m;
}

static bool has_media(const struct participant *p)
{
    for (size_t i = 0; i < p->sub.n_slots; i++)
        if (p->sub.slots[i].producer_id)
            return true;
    return false;
}

/* New credentials for the offer about to go out (subscribe_restart). The
 * transport takes them first: the client may check with them as soon as it
 * has the offer. Refused, the offer keeps the old ones, the client's restart
 * fails and it rejoins. */
static void restart_ice(struct participant *p)
{
    struct subscribe_side *sub = &p->sub;
    struct signaling *s = p->sig;
    char ufrag[sizeof(sub->ufrag)], pwd[sizeof(sub->pwd)];
    sub->ice_restart = false;
    if (!sub->transport_id)
        return;                  /* closed meanwhile: a new connection is offered anyway */
    participant_random_token(ufrag, PARTICIPANT_UFRAG_LEN);
    participant_random_token(pwd, PARTICIPANT_PWD_LEN);
    int rc = s->media->transport_restart_ice(s->media_arg, sub->transport_id, ufrag, pwd);
    if (rc < 0) {
        signaling_log(s, "participant %s: media plane refused the subscribe ICE restart: %s",
                      p->id, sq_strerror(rc));
        return;
    }
    memcpy(sub->ufrag, ufrag, sizeof(ufrag));
    memcpy(sub->pwd, pwd, sizeof(pwd));
    signaling_log(s, "participant %s: subscribe ICE restart", p->id);
}

void subscribe_flush(struct participant *p)
{
    struct subscribe_side *sub = &p->sub;
    if (p->state != PARTICIPANT_JOINED)
        return;
    /* The first offer waits for something to receive: a lesson nobody
     * publishes in needs no connection yet. */
    bool is_first = sub->n_offered == 0;
    if (sub->dirty && !sub->awaiting_answer && sub->n_slots && (!is_first || has_media(p))) {
        if (sub->ice_restart)
            restart_ice(p);
        char *text = write_offer(p, sub->version + 1);
        if (!text)
            return;
        free(sub->offer_sdp);
        sub->offer_sdp = text;
        sub->version++;
        sub->awaiting_answer = true;
        sub->dirty = false;
        sub->n_offered = sub->n_slots;
        sub->slots_unsent = false;   /* the offer's `tracks` say it */
        participant_send(p, offer_message(p, text));
        return;
    }
    /* Before the first offer there is nothing the client could map. */
    if (!sub->slots_unsent || is_first)
        return;
    sub->slots_unsent = false;
    json_t *m = message_new("slots", NULL);
    json_object_set_new(m, "slots", slots_list(p));
    participant_send(p, m);
}

/* ---- the answer -------------------------------------------------------- */

static int ensure_transport(struct participant *p, const struct sdp_session *answer, json_t *req)
{
    struct signaling *s = p->sig;
    if (p->sub.transport_id)
        return 0;
    const char *alg = "", *fp = "";
    for (uint8_t i = 0; i < answer->n_media && !fp[0]; i++)
        if (answer->media[i].port)
            fp = sdp_media_fingerprint(answer, &answer->media[i], &alg);
    if (!fp[0]) {
        participant_send_error(p, MESSAGE_ERR_BAD_SDP, "subscribe_answer", req,
                               "answer accepts no m-line with a fingerprint");
        return -1;
    }
    uint32_t id = ++s->next_transport;
    int rc = s->media->transport_create(s->media_arg, id, p->sub.ufrag, p->sub.pwd, alg, fp);
    if (rc < 0) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "subscribe_answer", req,
                               "the media plane refused the transport: %s", sq_strerror(rc));
        return -1;
    }
    p->sub.transport_id = id;
    return 0;
}

static bool answer_receives(const struct sdp_session *answer, size_t i)
{
    if (i >= answer->n_media || answer->media[i].port == 0)
        return false;
    enum sdp_direction d = answer->media[i].direction;
    return d == SDP_RECVONLY || d == SDP_SENDRECV;
}

/* The client accepted the outstanding offer: a consumer for each slot in use
 * that it receives (idle when nothing feeds it yet), none for the rest. */
static void apply_answer(struct participant *p, const struct sdp_session *answer)
{
    struct signaling *s = p->sig;
    for (size_t i = 0; i < p->sub.n_offered && i < p->sub.n_slots; i++) {
        struct sub_slot *slot = &p->sub.slots[i];
        if (i >= p->sub.n_used || !answer_receives(answer, i)) {
            close_consumer(p, slot);
            continue;
        }
        if (slot->consumer_id)
            continue;
        struct sdp_outgoing out;
        slot_outgoing(p, i, &out);
        uint32_t id = ++s->next_consumer;
        int rc = s->media->consumer_create(s->media_arg, id, p->sub.transport_id,
                                           slot->producer_id, &out);
        if (rc < 0) {
            signaling_log(s, "participant %s: media plane refused the consumer of slot %zu: %s",
                          p->id, i, sq_strerror(rc));
            continue;
        }
        slot->consumer_id = id;
        give_size(p, i);   /* a video_size or receive_mode that came before */
    }
}

/* Parses and checks the answer against the outstanding offer; 0 or -1 after
 * replying an error. */
static int check_answer(struct participant *p, const char *sdp, struct sdp_session *offer,
                        struct sdp_session *answer, json_t *req)
{
    const char *why = NULL;
    int rc = sdp_parse(offer, p->sub.offer_sdp, strlen(p->sub.offer_sdp), &why);
    if (rc < 0) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "subscribe_answer", req,
                               "cannot read back Sabaq's own offer: %s", why ? why : sq_strerror(rc));
        return -1;
    }
    rc = sdp_parse(answer, sdp, strlen(sdp), &why);
    if (rc == 0)
        rc = sdp_check_subscribe_answer(offer, answer, &why);
    if (rc < 0) {
        participant_send_error(p, MESSAGE_ERR_BAD_SDP, "subscribe_answer", req,
                               "cannot accept the answer: %s", why ? why : sq_strerror(rc));
        return -1;
    }
    return 0;
}

void subscribe_handle_answer(struct participant *p, json_t *msg, json_t *req)
{
    const char *sdp = message_string(msg, "sdp");
    json_t *version = json_object_get(msg, "version");
    if (!sdp || !json_is_integer(version)) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "subscribe_answer", req,
                               "\"sdp\" must be a string and \"version\" an integer");
        return;
    }
    json_int_t v = json_integer_value(version);
    if (!p->sub.awaiting_answer || v != (json_int_t)p->sub.version) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "subscribe_answer", req,
                               "no subscribe_offer with version %lld is waiting for an answer",
                               (long long)v);
        return;
    }
    if (strlen(sdp) > SDP_MAX_TEXT) {
        participant_send_error(p, MESSAGE_ERR_BAD_SDP, "subscribe_answer", req,
                               "the answer is larger than 256 KiB");
        return;
    }
    struct sdp_session *offer = calloc(1, sizeof(*offer));
    struct sdp_session *answer = calloc(1, sizeof(*answer));
    if (!offer || !answer) {
        participant_send_error(p, MESSAGE_ERR_INTERNAL, "subscribe_answer", req, "out of memory");
    } else if (check_answer(p, sdp, offer, answer, req) == 0 &&
               ensure_transport(p, answer, req) == 0) {
        apply_answer(p, answer);
        p->sub.awaiting_answer = false;
        free(p->sub.offer_sdp);
        p->sub.offer_sdp = NULL;
        subscribe_flush(p);
    }
    free(answer);
    free(offer);
}

/* ---- what the client asks for ------------------------------------------ */

/* An integer field of 0..VIDEO_SIZE_MAX, or -1. */
static int size_field(const json_t *msg, const char *key)
{
    json_t *v = json_object_get(msg, key);
    if (!json_is_integer(v))
        return -1;
    json_int_t n = json_integer_value(v);
    return n >= 0 && n <= VIDEO_SIZE_MAX ? (int)n : -1;
}

void subscribe_handle_video_size(struct participant *p, json_t *msg, json_t *req)
{
    const char *mid = message_string(msg, "mid");
    int w = size_field(msg, "width"), h = size_field(msg, "height");
    if (!mid || w < 0 || h < 0) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "video_size", req,
                               "\"mid\" must be a string, \"width\" and \"height\" "
                               "integers 0..%d", VIDEO_SIZE_MAX);
        return;
    }
    /* Offered m-lines only (answered or not: a size may come first). */
    size_t index = p->sub.n_slots;
    for (size_t i = 0; i < p->sub.n_offered && index == p->sub.n_slots; i++) {
        char m[24];
        snprintf(m, sizeof(m), "%zu", i);
        if (strcmp(m, mid) == 0 && slot_kind(i) == SDP_KIND_VIDEO)
            index = i;
    }
    if (index == p->sub.n_slots) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "video_size", req,
                               "no video m-line with mid \"%.32s\" on the subscribe connection",
                               mid);
        return;
    }
    /* Tiles report only changes, but a repeat must not reach the media plane. */
    struct sub_slot *s = &p->sub.slots[index];
    if (s->sized && s->width == w && s->height == h)
        return;
    s->sized = true;
    s->width = (uint16_t)w;
    s->height = (uint16_t)h;
    give_size(p, index);
}

void subscribe_handle_receive_mode(struct participant *p, json_t *msg, json_t *req)
{
    static const char *const names[] = {"auto", "low", "audio_only"};
    const char *mode = message_string(msg, "mode");
    int m = -1;
    for (int i = 0; mode && i < 3; i++)
        if (strcmp(mode, names[i]) == 0)
            m = i;
    if (m < 0) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "receive_mode", req,
                               "\"mode\" must be \"auto\", \"low\" or \"audio_only\"");
        return;
    }
    enum receive_mode was = p->sub.receive_mode;
    p->sub.receive_mode = (enum receive_mode)m;
    json_t *ok = message_new("receive_mode_ok", req);
    json_object_set_new(ok, "mode", json_string(names[m]));
    participant_send(p, ok);
    if (was == (enum receive_mode)m)
        return;
    signaling_log(p->sig, "participant %s receives %s", p->id, names[m]);
    /* Sizes: low caps them, leaving low lifts the cap (to the tile's size,
     * or no limit when none was reported). */
    const struct media_ops *media = p->sig->media;
    for (size_t i = SLOTS_AUDIO; i < p->sub.n_slots; i++) {
        struct sub_slot *s = &p->sub.slots[i];
        if (was == RECEIVE_LOW && !s->sized && s->consumer_id && media->consumer_set_preferred_size)
            media->consumer_set_preferred_size(p->sig->media_arg, s->consumer_id, VIDEO_SIZE_MAX,
                                               VIDEO_SIZE_MAX);
        else
            give_size(p, i);
    }
    /* audio_only detaches the video slots, leaving it gives them back. */
    subscribe_lesson_changed(p->lesson);
    subscribe_lesson_flush(p->lesson);
}

/* `subscribe_restart`: the client's connection lost its path (a network
 * change, a long drop). The next offer brings new ICE credentials; the
 * consumers, SSRCs and DTLS stay, so media resumes where it was. */
void subscribe_handle_restart(struct participant *p, json_t *msg, json_t *req)
{
    (void)msg;
    if (!p->sub.transport_id) {
        participant_send_error(p, MESSAGE_ERR_NOT_FOUND, "subscribe_restart", req,
                               "there is no subscribe connection to restart");
        return;
    }
    p->sub.ice_restart = true;
    p->sub.dirty = true;
    participant_send(p, message_new("subscribe_restart_ok", req));
    subscribe_flush(p);
}

/* ---- the end of a connection ------------------------------------------- */

void subscribe_release(struct participant *p)
{
    struct signaling *s = p->sig;
    for (size_t i = 0; i < p->sub.n_slots; i++)
        close_consumer(p, &p->sub.slots[i]);
    if (p->sub.transport_id)
        s->media->transport_close(s->media_arg, p->sub.transport_id);
    p->sub.transport_id = 0;
}

void subscribe_transport_closed(struct participant *p)
{
    subscribe_release(p);
    subscribe_reset(p);
    subscribe_on_join(p);
}
