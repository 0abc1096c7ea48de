/* WHEP egress (draft-ietf-wish-whep): an HTTP POST of a viewer's SDP offer
 * makes one subscribe transport (the browsers' ICE-lite / DTLS-SRTP /
 * forwarding path, no other media code) with at most two consumers: video
 * fed by the lesson's stage (stage.h, followed through stage_listen) and
 * audio fed by the most recent speaker (whep_speaker.h), both moved between
 * producers with consumer_set_producer, so the viewer never renegotiates.
 * Each viewer holds a seat and keeps its lesson in memory (lesson.n_viewers)
 * until DELETE, its transport closing, the lesson ending or its link being
 * revoked. Nobody in the lesson sees it but the staff, as a count. */
#include "whep.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"
#include "sabaq/sdp.h"
#include "access.h"
#include "lesson.h"
#include "message.h"
#include "participant.h"
#include "signaling.h"
#include "stage.h"
#include "webrtc_http.h"
#include "whep_sdp.h"
#include "whep_speaker.h"

#define RECHECK_MS 5000   /* how often a viewer's token is checked again */

struct whep_viewer {
    struct whep *w;                    /* borrowed */
    struct whep_viewer *next;
    char id[WEBRTC_HTTP_SESSION_LEN + 1];
    struct lesson *l;                  /* borrowed: kept open by l->n_viewers */
    char token[WEBRTC_HTTP_TOKEN_MAX]; /* checked again: revoked, removed, ended */
    uint32_t transport_id;
    uint32_t video_consumer, audio_consumer;  /* 0: that kind was not offered */
    uint32_t video_source, audio_source;      /* producers feeding them, 0: idle */
    struct whep_speaker speaker;
    uint64_t checked_ms;
    uint64_t created_ms;
    bool is_connected;                 /* SFU_EVENT_TRANSPORT_CONNECTED came */
};

struct whep {
    struct signaling *sig;             /* borrowed */
    struct whep_viewer *viewers;       /* owned */
};

/* ---- what the viewer receives --------------------------------------------- */

static void feed(struct whep_viewer *v, uint32_t consumer, uint32_t *source, uint32_t producer,
                 const char *what)
{
    struct signaling *s = v->w->sig;
    if (!consumer || *source == producer)
        return;
    int rc = s->media->consumer_set_producer(s->media_arg, consumer, producer);
    if (rc < 0) {
        signaling_log(s, "whep: viewer %s: media plane refused the %s source %u: %s", v->id,
                      what, (unsigned)producer, sq_strerror(rc));
        return;
    }
    *source = producer;
    signaling_log(s, "whep: viewer %s %s now from producer %u", v->id, what,
                  (unsigned)producer);
}

static void on_stage(void *ctx, struct lesson *l, uint32_t producer_id)
{
    struct whep *w = ctx;
    for (struct whep_viewer *v = w->viewers; v; v = v->next)
        if (v->l == l)
            feed(v, v->video_consumer, &v->video_source, producer_id, "video");
}

/* The audio producer `id` of a member, or NULL. */
static const struct producer_ref *audio_of(const struct lesson *l, uint32_t id)
{
    for (const struct participant *m = l->members; m && id; m = m->next_in_lesson)
        for (size_t i = 0; i < m->pub.n_producers; i++)
            if (m->pub.producers[i].id == id)
                return m->pub.producers[i].track.kind == SDP_KIND_AUDIO ? &m->pub.producers[i]
                                                                        : NULL;
    return NULL;
}

/* The teacher's microphone being sent (not paused), 0 when none. */
static uint32_t teacher_mic(const struct lesson *l)
{
    for (const struct participant *m = l->members; m; m = m->next_in_lesson)
        for (size_t i = 0; strcmp(m->role, "teacher") == 0 && i < m->pub.n_producers; i++) {
            const struct producer_ref *r = &m->pub.producers[i];
            if (r->track.kind == SDP_KIND_AUDIO && r->source == TRACK_SOURCE_MIC && !r->paused)
                return r->id;
        }
    return 0;
}

/* Forgets speakers that left or were paused, then hears the choice. */
static void follow_speaker(struct whep_viewer *v)
{
    struct whep_speaker *sp = &v->speaker;
    for (size_t i = 0; i < sp->n_speaking;) {
        const struct producer_ref *r = audio_of(v->l, sp->speaking[i].producer);
        if (!r || r->paused)
            whep_speaker_forget(sp, sp->speaking[i].producer);
        else
            i++;
    }
    const struct producer_ref *cur = audio_of(v->l, sp->current);
    if (sp->current && (!cur || cur->paused))
        whep_speaker_forget(sp, sp->current);
    uint32_t pick = whep_speaker_choose(sp, teacher_mic(v->l), v->w->sig->now_ms);
    feed(v, v->audio_consumer, &v->audio_source, pick, "audio");
}

/* ---- viewers --------------------------------------------------------------- */

static size_t lesson_viewers(const struct whep *w, const struct lesson *l)
{
    size_t n = 0;
    for (const struct whep_viewer *v = w->viewers; v; v = v->next)
        n += v->l == l;
    return n;
}

/* Staff see how many players watch: {"type":"whep_viewers","count":N}. */
static void tell_staff(struct whep *w, struct lesson *l)
{
    json_t *m = message_new("whep_viewers", NULL);
    json_object_set_new(m, "count", json_integer((json_int_t)lesson_viewers(w, l)));
    lesson_send_staff(l, m);
    json_decref(m);
}

static void close_media(struct signaling *s, struct whep_viewer *v)
{
    if (v->video_consumer)
        s->media->consumer_close(s->media_arg, v->video_consumer);
    if (v->audio_consumer)
        s->media->consumer_close(s->media_arg, v->audio_consumer);
    if (v->transport_id)
        s->media->transport_close(s->media_arg, v->transport_id);
    v->video_consumer = v->audio_consumer = v->transport_id = 0;
}

static void end_viewer(struct whep *w, struct whep_viewer *v, const char *why)
{
    for (struct whep_viewer **pp = &w->viewers; *pp; pp = &(*pp)->next)
        if (*pp == v) {
            *pp = v->next;
            break;
        }
    signaling_log(w->sig, "whep: viewer %s of lesson %s ended (%s)", v->id, v->l->id, why);
    close_media(w->sig, v);
    struct lesson *l = v->l;
    l->n_viewers--;
    free(v);
    if (!lesson_viewers(w, l))
        stage_unlisten(l, on_stage, w);
    tell_staff(w, l);
    lesson_maybe_free(l);
}

struct whep *whep_new(struct signaling *s)
{
    struct whep *w = calloc(1, sizeof(*w));
    if (w)
        w->sig = s;
    return w;
}

void whep_free(struct whep *w)
{
    if (!w)
        return;
    while (w->viewers)
        end_viewer(w, w->viewers, "server stopping");
    free(w);
}

size_t whep_viewers(const struct whep *w)
{
    size_t n = 0;
    for (const struct whep_viewer *v = w->viewers; v; v = v->next)
        n++;
    return n;
}

bool whep_wants(const char *path)
{
    return webrtc_http_wants(path, "whep");
}

/* Why this viewer may no longer watch, or NULL. */
static const char *still_allowed(struct whep *w, struct whep_viewer *v)
{
    struct signaling *s = w->sig;
    if (v->l->def.ended_ms)
        return "the lesson ended";
    if (webrtc_http_never_connected(v->is_connected, v->created_ms, s->now_ms))
        return "its player never connected";
    if (s->now_ms - v->checked_ms < RECHECK_MS || !s->store)
        return NULL;
    v->checked_ms = s->now_ms;
    struct access_grant g;
    enum auth_result r = access_check(s->store, s->secret, v->token, (int64_t)s->now_ms, &g);
    if (r == AUTH_INTERNAL)
        return NULL;   /* the store hiccuped: not the viewer's fault */
    if (r != AUTH_OK)
        return auth_result_text(r);
    return g.removed ? "its link's holder was removed" : NULL;
}

void whep_tick(struct whep *w)
{
    if (!w)
        return;
    for (struct whep_viewer *v = w->viewers, *next; v; v = next) {
        next = v->next;
        const char *why = still_allowed(w, v);
        if (why) {
            end_viewer(w, v, why);
            continue;
        }
        /* Listeners are bounded (STAGE_MAX_LISTENERS): polling keeps a
         * viewer right even if its lesson had no room for ours. */
        feed(v, v->video_consumer, &v->video_source, stage_producer(v->l), "video");
        follow_speaker(v);
    }
}

void whep_media_event(struct whep *w, const struct sfu_event *ev)
{
    if (!w)
        return;
    if (ev->type == SFU_EVENT_TRANSPORT_CLOSED || ev->type == SFU_EVENT_TRANSPORT_CONNECTED) {
        for (struct whep_viewer *v = w->viewers; v; v = v->next) {
            if (v->transport_id != ev->id)
                continue;
            char detail[sizeof(ev->detail) + 1];
            snprintf(detail, sizeof(detail), "%.*s", (int)sizeof(ev->detail), ev->detail);
            if (ev->type == SFU_EVENT_TRANSPORT_CLOSED)
                end_viewer(w, v, detail[0] ? detail : "its media connection closed");
            else {
                v->is_connected = true;
                signaling_log(w->sig, "whep: viewer %s connected (%s)", v->id, detail);
            }
            return;
        }
        return;
    }
    if (ev->type != SFU_EVENT_SPEAKING_CHANGED)
        return;
    for (struct whep_viewer *v = w->viewers; v; v = v->next) {
        if (!v->audio_consumer || !audio_of(v->l, ev->id))
            continue;
        whep_speaker_event(&v->speaker, ev->id, ev->value != 0, w->sig->now_ms);
        follow_speaker(v);
    }
}

/* ---- POST: a new viewer ----------------------------------------------------- */

static uint32_t random_u32(void)
{
    uint32_t x = 0;
    while (x == 0)
        if (RAND_bytes((unsigned char *)&x, sizeof(x)) != 1)
            abort();
    return x;
}

/* The answer's text (malloc'd) and the viewer's outgoing tracks; NULL with rs
 * set when the offer cannot be answered. */
static char *answer(struct whep *w, const struct sdp_session *offer, const char *ufrag,
                    const char *pwd, const char *lesson, struct sdp_outgoing *audio,
                    struct sdp_outgoing *video, struct http_response *rs)
{
    struct sdp_local local;
    signaling_sdp_local(w->sig, ufrag, pwd, &local);
    uint32_t a = random_u32(), v = random_u32(), x = random_u32();
    while (v == a)
        v = random_u32();
    while (x == a || x == v)
        x = random_u32();
    struct whep_sdp_params prm = {
        .local = &local,
        .session_id = ((uint64_t)random_u32() << 31) ^ random_u32(),
        .audio_ssrc = a, .video_ssrc = v, .video_rtx_ssrc = x,
        .stream_id = lesson,
    };
    struct sdp_session *ans = calloc(1, sizeof(*ans));
    char *text = malloc(SDP_MAX_TEXT);
    const char *why = NULL;
    int rc = ans && text ? whep_sdp_answer(offer, &prm, ans, audio, video, &why) : -SQ_ENOMEM;
    if (rc == 0)
        rc = sdp_write(ans, text, SDP_MAX_TEXT);
    free(ans);
    if (rc < 0) {
        free(text);
        if (why)
            webrtc_http_reply(rs, 400, "cannot answer this offer: %s", why);
        else
            webrtc_http_reply(rs, 500, "cannot write the answer: %s", sq_strerror(rc));
        return NULL;
    }
    char *shrunk = realloc(text, (size_t)rc + 1);
    return shrunk ? shrunk : text;
}

/* The transport and consumers; 0, or -1 with rs set (nothing left open). */
static int open_media(struct whep *w, struct whep_viewer *v, const struct sdp_session *offer,
                      const char *ufrag, const char *pwd, const struct sdp_outgoing *audio,
                      const struct sdp_outgoing *video, struct http_response *rs)
{
    struct signaling *s = w->sig;
    const char *alg = "", *fp = "";
    for (uint8_t i = 0; i < offer->n_media && !fp[0]; i++)
        fp = sdp_media_fingerprint(offer, &offer->media[i], &alg);
    uint32_t tid = ++s->next_transport;
    int rc = s->media->transport_create(s->media_arg, tid, ufrag, pwd, alg, fp);
    if (rc < 0) {
        webrtc_http_reply(rs, rc == -SQ_EINVAL ? 400 : 500, "the media plane refused: %s",
                          sq_strerror(rc));
        return -1;
    }
    v->transport_id = tid;
    if (video->active) {
        uint32_t src = stage_producer(v->l), cid = ++s->next_consumer;
        rc = s->media->consumer_create(s->media_arg, cid, tid, src, video);
        if (rc == 0) {
            v->video_consumer = cid;
            v->video_source = src;
        }
    }
    if (rc == 0 && audio->active) {
        uint32_t src = whep_speaker_choose(&v->speaker, teacher_mic(v->l), s->now_ms);
        uint32_t cid = ++s->next_consumer;
        rc = s->media->consumer_create(s->media_arg, cid, tid, src, audio);
        if (rc == 0) {
            v->audio_consumer = cid;
            v->audio_source = src;
        }
    }
    if (rc < 0) {
        close_media(s, v);
        webrtc_http_reply(rs, 500, "the media plane refused a stream: %s", sq_strerror(rc));
        return -1;
    }
    return 0;
}

/* The lesson's rules for a display, as join.c has them for a person: a
 * student link does not pass a lock, a lobby (nobody admits a display) or a
 * full lesson. 0, or -1 with rs set. */
static int admit(const struct access_grant *g, const struct lesson *l,
                 struct http_response *rs)
{
    bool staff = strcmp(g->role, "student") != 0;
    if (g->removed) {
        webrtc_http_reply(rs, 403, "this link's holder was removed from the lesson");
        return -1;
    }
    if (g->single_use) {
        webrtc_http_reply(rs, 403, "a single-use link belongs to one person: use the student "
                                   "link or a staff link in a WHEP player");
        return -1;
    }
    if (!staff && l->locked) {
        webrtc_http_reply(rs, 403, "the teacher has locked this lesson: nobody new may join");
        return -1;
    }
    if (!staff && l->def.lobby) {
        webrtc_http_reply(rs, 403, "the lesson has a lobby and nobody can admit a player: use "
                                   "a teacher or assistant link");
        return -1;
    }
    if (!staff && lesson_seats_taken(l) >= l->def.max_participants) {
        webrtc_http_reply(rs, 503, "the lesson is full (%u seats)",
                          (unsigned)l->def.max_participants);
        return -1;
    }
    return 0;
}

static void start_viewer(struct whep *w, struct whep_viewer *v, const struct sdp_session *offer,
                         struct http_response *rs)
{
    char ufrag[PARTICIPANT_UFRAG_LEN + 1], pwd[PARTICIPANT_PWD_LEN + 1];
    participant_random_token(ufrag, PARTICIPANT_UFRAG_LEN);
    participant_random_token(pwd, PARTICIPANT_PWD_LEN);
    struct sdp_outgoing audio, video;
    char *text = answer(w, offer, ufrag, pwd, v->l->id, &audio, &video, rs);
    if (!text || open_media(w, v, offer, ufrag, pwd, &audio, &video, rs) < 0) {
        free(text);
        return;
    }
    rs->status = 201;
    snprintf(rs->content_type, sizeof(rs->content_type), "application/sdp");
    rs->body = text;
    rs->body_len = strlen(text);
    snprintf(rs->location, sizeof(rs->location), "/whep/%s/%s", v->l->id, v->id);
    v->checked_ms = v->created_ms = w->sig->now_ms;
    v->next = w->viewers;
    w->viewers = v;
    v->l->n_viewers++;
    if (stage_listen(v->l, on_stage, w) < 0)
        signaling_log(w->sig, "whep: lesson %s has no room for another stage listener: "
                              "viewers follow the stage once a second", v->l->id);
    signaling_log(w->sig, "whep: viewer %s watches lesson %s (video %s, audio %s)", v->id,
                  v->l->id, video.active ? "yes" : "no", audio.active ? "yes" : "no");
    tell_staff(w, v->l);
}

static void post_session(void *owner, const struct http_request *rq, const char *lesson_id,
                         const char *token, struct http_response *rs)
{
    struct whep *w = owner;
    struct signaling *s = w->sig;
    struct access_grant g;
    if (webrtc_http_check_token(s, token, lesson_id, &g, rs) < 0)
        return;
    struct sdp_session *offer = webrtc_http_parse_offer(rq->body, rq->body_len, rs);
    if (!offer)
        return;
    struct lesson *l = lesson_find(s, g.def.id);
    if (!l && !(l = lesson_open(s, &g.def)))
        webrtc_http_reply(rs, 500, "out of memory");
    struct whep_viewer *v = NULL;
    if (l && admit(&g, l, rs) == 0) {
        if (!(v = calloc(1, sizeof(*v))))
            webrtc_http_reply(rs, 500, "out of memory");
    }
    if (v) {
        v->w = w;
        v->l = l;
        webrtc_http_session_id(v->id);
        snprintf(v->token, sizeof(v->token), "%s", token);
        start_viewer(w, v, offer, rs);
        if (rs->status != 201)
            free(v);
    }
    free(offer);
    if (l)
        lesson_maybe_free(l);   /* refused: do not keep a lesson nobody is in */
}

static void delete_session(void *owner, const char *lesson, const char *session,
                           struct http_response *rs)
{
    struct whep *w = owner;
    for (struct whep_viewer *v = w->viewers; v; v = v->next)
        if (strcmp(v->id, session) == 0 && strcmp(v->l->id, lesson) == 0) {
            end_viewer(w, v, "DELETE");
            webrtc_http_reply(rs, 200, "session ended");
            return;
        }
    webrtc_http_reply(rs, 404, "no such WHEP session");
}

static const struct webrtc_http_endpoint endpoint = {
    .prefix = "whep", .allow = WHEP_ALLOW, .max_body = WHEP_MAX_BODY,
    .no_token = "send a lesson link's token as Authorization: Bearer <token>",
    .post = post_session, .delete = delete_session,
};

void whep_handle(struct whep *w, const struct http_request *rq, const char *content_type,
                 bool too_large, struct whep_response *rs)
{
    webrtc_http_handle(&endpoint, w, rq, content_type, too_large, &rs->http, &rs->allow);
}
