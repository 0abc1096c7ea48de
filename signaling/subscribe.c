/* The subscribe connection (docs/protocol.md, "subscribe_offer"): Sabaq is
 * the offerer (RFC 8829 JSEP), so there is no glare. One slot (m-line) per
 * track of the other members; m-lines are never removed, an ended track's
 * slot turns inactive and may carry a later track of the same kind once the
 * client has answered an offer that showed it inactive. Consumers are made
 * only for tracks the client has answered. */
#include "subscribe.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "lesson.h"

void subscribe_reset(struct participant *p)
{
    struct subscribe_side *sub = &p->sub;
    free(sub->offer_sdp);
    sub->offer_sdp = NULL;
    sub->n_slots = 0;
    sub->next_mid = 0;
    sub->transport_id = 0;
    sub->awaiting_answer = false;
    sub->dirty = false;
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
    /* `version` is kept: an answer to an offer of the old connection must
     * never match the new one's. */
}

/* An inactive slot of this kind that the client has seen inactive. */
static struct sub_slot *reusable_slot(struct participant *p, enum sdp_media_kind kind)
{
    for (size_t i = 0; i < p->sub.n_slots; i++) {
        struct sub_slot *s = &p->sub.slots[i];
        if (s->out.kind == kind && !s->producer_id && !s->offered_producer &&
            !s->answered_producer && !s->consumer_id)
            return s;
    }
    return NULL;
}

void subscribe_producer_added(struct participant *sub, const struct participant *pub,
                              const struct producer_ref *r)
{
    enum sdp_media_kind kind = r->track.kind;
    if (sub->state != PARTICIPANT_JOINED || (kind != SDP_KIND_AUDIO && kind != SDP_KIND_VIDEO))
        return;
    struct sub_slot *s = reusable_slot(sub, kind);
    if (!s) {
        if (sub->sub.n_slots >= SDP_MAX_MEDIA || !(s = participant_slot_add(sub))) {
            signaling_log(sub->sig, "participant %s: no room for a %s track of %s (%d m-lines)",
                          sub->id, message_kind_name(kind), pub->id, SDP_MAX_MEDIA);
            return;
        }
        snprintf(s->out.mid, sizeof(s->out.mid), "%u", (unsigned)sub->sub.next_mid++);
        s->out.kind = kind;
    }
    s->producer_id = r->id;
    s->sized = false;   /* a new track: the client reports its own tile's size */
    snprintf(s->publisher, sizeof(s->publisher), "%s", pub->id);
    s->out.active = true;
    s->out.ssrc = s->out.rtx_ssrc = 0;
    s->out.ssrc = participant_new_ssrc(sub);
    if (kind == SDP_KIND_VIDEO)
        s->out.rtx_ssrc = participant_new_ssrc(sub);
    snprintf(s->out.cname, sizeof(s->out.cname), "%s", pub->id);
    snprintf(s->out.stream_id, sizeof(s->out.stream_id), "%s", pub->id);
    snprintf(s->out.track_id, sizeof(s->out.track_id), "%s-%s", pub->id, r->track.mid);
    sub->sub.dirty = true;
}

static void give_size(struct participant *p, const struct sub_slot *s)
{
    const struct media_ops *m = p->sig->media;
    if (!s->consumer_id || !s->sized || !m->consumer_set_preferred_size)
        return;
    int rc = m->consumer_set_preferred_size(p->sig->media_arg, s->consumer_id, s->width,
                                            s->height);
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

void subscribe_producer_removed(struct participant *sub, uint32_t producer_id)
{
    for (size_t i = 0; i < sub->sub.n_slots; i++) {
        struct sub_slot *s = &sub->sub.slots[i];
        if (s->producer_id != producer_id)
            continue;
        /* The media plane drops consumers of a closed producer itself; the
         * explicit close keeps both sides' bookkeeping identical. */
        close_consumer(sub, s);
        s->producer_id = 0;
        s->out.active = false;
        s->out.ssrc = s->out.rtx_ssrc = 0;
        sub->sub.dirty = true;
    }
}

void subscribe_on_join(struct participant *p)
{
    if (!p->lesson)
        return;
    for (struct participant *m = p->lesson->members; m; m = m->next_in_lesson)
        if (m != p)
            for (size_t i = 0; i < m->pub.n_producers; i++)
                subscribe_producer_added(p, m, &m->pub.producers[i]);
    subscribe_flush(p);
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
            outs[i] = sub->slots[i].out;
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

static json_t *offer_message(const struct participant *p, const char *sdp)
{
    json_t *m = message_new("subscribe_offer", NULL);
    json_object_set_new(m, "sdp", json_string(sdp));
    json_object_set_new(m, "version", json_integer((json_int_t)p->sub.version));
    json_t *list = json_array();
    for (size_t i = 0; i < p->sub.n_slots; i++) {
        const struct sub_slot *s = &p->sub.slots[i];
        json_t *t = json_object();
        json_object_set_new(t, "mid", json_string(s->out.mid));
        json_object_set_new(t, "kind", json_string(message_kind_name(s->out.kind)));
        json_object_set_new(t, "participant", json_string(s->publisher));
        json_object_set_new(t, "active", json_boolean(s->out.active));
        json_array_append_new(list, t);
    }
    json_object_set_new(m, "tracks", list);
    return m;
}

void subscribe_flush(struct participant *p)
{
    struct subscribe_side *sub = &p->sub;
    if (p->state != PARTICIPANT_JOINED || !sub->dirty || sub->awaiting_answer)
        return;
    if (sub->n_slots == 0) {
        sub->dirty = false;
        return;
    }
    char *text = write_offer(p, sub->version + 1);
    if (!text)
        return;
    free(sub->offer_sdp);
    sub->offer_sdp = text;
    sub->version++;
    sub->awaiting_answer = true;
    sub->dirty = false;
    for (size_t i = 0; i < sub->n_slots; i++)
        sub->slots[i].offered_producer = sub->slots[i].producer_id;
    participant_send(p, offer_message(p, text));
}

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

/* The client accepted the outstanding offer: consumers for its active slots. */
static void apply_answer(struct participant *p, const struct sdp_session *answer)
{
    struct signaling *s = p->sig;
    for (size_t i = 0; i < p->sub.n_slots; i++) {
        struct sub_slot *slot = &p->sub.slots[i];
        slot->answered_producer = slot->offered_producer;
        if (!slot->producer_id || slot->offered_producer != slot->producer_id) {
            close_consumer(p, slot);
            continue;
        }
        if (slot->consumer_id || !answer_receives(answer, i))
            continue;
        uint32_t id = ++s->next_consumer;
        int rc = s->media->consumer_create(s->media_arg, id, p->sub.transport_id,
                                           slot->producer_id, &slot->out);
        if (rc < 0)
            signaling_log(s, "participant %s: media plane refused consumer of producer %u: %s",
                          p->id, (unsigned)slot->producer_id, sq_strerror(rc));
        else
            slot->consumer_id = id;
        give_size(p, slot);   /* a video_size that came before the answer */
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

/* An integer field of 0..VIDEO_SIZE_MAX, or -1. */
#define VIDEO_SIZE_MAX 7680
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
    struct sub_slot *s = NULL;
    for (size_t i = 0; i < p->sub.n_slots && !s; i++)
        if (strcmp(p->sub.slots[i].out.mid, mid) == 0)
            s = &p->sub.slots[i];
    if (!s || s->out.kind != SDP_KIND_VIDEO) {
        participant_send_error(p, MESSAGE_ERR_BAD_MESSAGE, "video_size", req,
                               "no video m-line with mid \"%.32s\" on the subscribe connection",
                               mid);
        return;
    }
    /* Tiles report only changes, but a repeat must not reach the media plane. */
    if (s->sized && s->width == w && s->height == h)
        return;
    s->sized = true;
    s->width = (uint16_t)w;
    s->height = (uint16_t)h;
    give_size(p, s);
}

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
