/* WHEP (whep.c) without sockets: a POSTed player offer makes one transport
 * with a video consumer on the lesson's stage and an audio consumer on the
 * speaker, both switched without a new offer; the viewer is no participant
 * but takes a seat; DELETE, transport close and the lesson's end finish it;
 * every documented status. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "lesson_helpers.h"
#include "signaling/lesson.h"
#include "signaling/roster.h"
#include "signaling/stage.h"
#include "signaling/webrtc_http.h"
#include "signaling/whep.h"
#include "test_whep_offers.h"

struct setup {
    struct fixture f;
    struct whep *w;
    char path[96];
};

static bool setup_init(struct setup *s, bool lobby, uint32_t max)
{
    memset(s, 0, sizeof(*s));
    if (!fixture_init(&s->f) || !lh_lesson(&s->f, lobby, max, false, true))
        return false;
    s->f.h.sig->now_ms = FIXTURE_T0;
    s->w = whep_new(s->f.h.sig);
    snprintf(s->path, sizeof(s->path), "/whep/%s", s->f.def.id);
    return s->w != NULL;
}

static void setup_free(struct setup *s)
{
    whep_free(s->w);
    fixture_free(&s->f);
}

/* POST with a fresh token of `role`; the response (free its http). */
static struct whep_response post(struct setup *s, const char *role, const char *body)
{
    char *t = lh_token(&s->f, role, 0, NULL), auth[2100];
    snprintf(auth, sizeof(auth), "Bearer %s", t);
    free(t);
    struct http_request rq = {"POST", s->path, "", "", auth, "school.kz", body, strlen(body),
                              false};
    struct whep_response rs;
    whep_handle(s->w, &rq, "application/sdp", false, &rs);
    return rs;
}

static int status_of(struct setup *s, const char *method, const char *path, const char *auth,
                     const char *ctype, const char *body, bool too_large)
{
    struct http_request rq = {method, path, "", "", auth, "school.kz", body,
                              body ? strlen(body) : 0, false};
    struct whep_response rs;
    whep_handle(s->w, &rq, ctype, too_large, &rs);
    int status = rs.http.status;
    http_response_free(&rs.http);
    return status;
}

static void publish_as(struct fixture *f, struct fake_conn *c, const char *tag, uint32_t a,
                       uint32_t v, const char *video_source)
{
    char *sdp = harness_offer(tag, a, v);
    json_t *m = json_pack("{s:s, s:s}", "type", "publish", "sdp", sdp);
    if (video_source)
        json_object_set_new(m, "sources", json_pack("{s:s}", "1", video_source));
    char *text = json_dumps(m, 0);
    harness_send(&f->h, c, text);
    free(text);
    json_decref(m);
    free(sdp);
}

static uint32_t producer_of(struct fake_conn *c, enum sdp_media_kind kind)
{
    for (size_t i = 0; i < c->p->pub.n_producers; i++)
        if (c->p->pub.producers[i].track.kind == kind)
            return c->p->pub.producers[i].id;
    return 0;
}

/* The newest consumer_create of this kind, or NULL. */
static const struct fake_call *consumer_of(struct setup *s, enum sdp_media_kind kind)
{
    const struct fake_call *found = NULL, *c;
    for (size_t i = 0; (c = fake_find(&s->f.h.media, "consumer_create", i)); i++)
        if (c->out.kind == kind && c->out.has_own_numbers)
            found = c;
    return found;
}

/* The last source given to consumer `id` (consumer_source), or `none`. */
static uint32_t source_of(struct setup *s, uint32_t id, uint32_t none)
{
    const struct fake_call *c;
    uint32_t last = none;
    for (size_t i = 0; (c = fake_find(&s->f.h.media, "consumer_source", i)); i++)
        if (c->id == id)
            last = c->producer_id;
    return last;
}

TEST(whep_viewer_watches_the_stage_and_hears_the_teacher)
{
    struct setup s;
    ASSERT(setup_init(&s, false, 50));
    struct fake_conn *t = lh_joined(&s.f, "teacher", "T");
    ASSERT(t);
    publish_as(&s.f, t, "t", 11, 12, NULL);
    uint32_t cam = producer_of(t, SDP_KIND_VIDEO), mic = producer_of(t, SDP_KIND_AUDIO);
    ASSERT(cam && mic);
    fixture_drain(t);
    size_t transports = fake_count(&s.f.h.media, "transport_create");

    struct whep_response rs = post(&s, "student", AIORTC_WHEP_OFFER);
    ASSERT_EQ(201, rs.http.status);
    ASSERT_STR_EQ("application/sdp", rs.http.content_type);
    ASSERT(rs.http.body_len > 0 && strncmp(rs.http.body, "v=0", 3) == 0);
    ASSERT(strstr(rs.http.body, "a=sendonly"));
    ASSERT(strncmp(rs.http.location, s.path, strlen(s.path)) == 0);
    ASSERT(strlen(rs.http.location) == strlen(s.path) + 33);
    ASSERT_EQ(transports + 1, fake_count(&s.f.h.media, "transport_create"));
    const struct fake_call *v = consumer_of(&s, SDP_KIND_VIDEO);
    const struct fake_call *a = consumer_of(&s, SDP_KIND_AUDIO);
    ASSERT(v && a);
    ASSERT_EQ(cam, v->producer_id);
    ASSERT_EQ(mic, a->producer_id);
    ASSERT_EQ(97, v->out.pt_map[0].own);    /* the player's numbers, not Sabaq's */
    ASSERT_EQ(96, a->out.pt_map[0].own);
    ASSERT_EQ(1u, whep_viewers(s.w));

    /* A display, not a person: the teacher only learns the count. */
    ASSERT(!lh_has(t, "participant_joined"));
    json_t *m = harness_next_of(t, "whep_viewers");
    ASSERT(m);
    ASSERT_EQ(1, json_integer_value(json_object_get(m, "count")));
    json_decref(m);
    ASSERT_EQ(1u, t->p->lesson->n_members);

    char loc[256];
    snprintf(loc, sizeof(loc), "%s", rs.http.location);
    http_response_free(&rs.http);
    size_t closes = fake_count(&s.f.h.media, "consumer_close");
    ASSERT_EQ(200, status_of(&s, "DELETE", loc, "", "", NULL, false));
    ASSERT_EQ(0u, whep_viewers(s.w));
    ASSERT_EQ(closes + 2, fake_count(&s.f.h.media, "consumer_close"));
    ASSERT_EQ(404, status_of(&s, "DELETE", loc, "", "", NULL, false));
    setup_free(&s);
}

TEST(whep_viewer_follows_a_screen_share_and_the_speaker_without_a_new_offer)
{
    struct setup s;
    ASSERT(setup_init(&s, false, 50));
    struct fake_conn *t = lh_joined(&s.f, "teacher", "T");
    struct fake_conn *as = lh_joined(&s.f, "assistant", "A");
    ASSERT(t && as);
    publish_as(&s.f, t, "t", 11, 12, NULL);
    struct whep_response rs = post(&s, "student", AIORTC_WHEP_OFFER);
    ASSERT_EQ(201, rs.http.status);
    http_response_free(&rs.http);
    uint32_t vc = consumer_of(&s, SDP_KIND_VIDEO)->id, ac = consumer_of(&s, SDP_KIND_AUDIO)->id;

    /* The assistant shares a screen: the stage, and so the viewer's video. */
    publish_as(&s.f, as, "a", 21, 22, "screen");
    size_t transports = fake_count(&s.f.h.media, "transport_create");
    size_t consumers = fake_count(&s.f.h.media, "consumer_create");
    uint32_t screen = producer_of(as, SDP_KIND_VIDEO);
    ASSERT_EQ(screen, stage_producer(as->p->lesson));
    ASSERT_EQ(screen, source_of(&s, vc, 0));

    /* The assistant speaks: the viewer hears the assistant. */
    uint32_t amic = producer_of(as, SDP_KIND_AUDIO);
    struct sfu_event ev = {SFU_EVENT_SPEAKING_CHANGED, amic, 1, ""};
    whep_media_event(s.w, &ev);
    ASSERT_EQ(amic, source_of(&s, ac, 0));
    /* It stops; after the quiet time the teacher's mic comes back. */
    s.f.h.sig->now_ms += 1000;
    ev.value = 0;
    whep_media_event(s.w, &ev);
    whep_tick(s.w);
    ASSERT_EQ(amic, source_of(&s, ac, 0));
    s.f.h.sig->now_ms += 6000;
    whep_tick(s.w);
    ASSERT_EQ(producer_of(t, SDP_KIND_AUDIO), source_of(&s, ac, 0));

    /* The share ends (the assistant leaves): back to the teacher's camera. */
    harness_send(&s.f.h, as, "{\"type\":\"leave\"}");
    ASSERT_EQ(producer_of(t, SDP_KIND_VIDEO), source_of(&s, vc, 0));
    /* All of it without a new transport or consumer for the viewer. */
    ASSERT_EQ(transports, fake_count(&s.f.h.media, "transport_create"));
    ASSERT_EQ(consumers, fake_count(&s.f.h.media, "consumer_create"));
    setup_free(&s);
}

TEST(whep_viewer_is_idle_until_there_is_a_stage_and_keeps_the_lesson_open)
{
    struct setup s;
    ASSERT(setup_init(&s, false, 50));
    ASSERT(!lesson_find(s.f.h.sig, s.f.def.id));
    struct whep_response rs = post(&s, "teacher", AIORTC_WHEP_OFFER);
    ASSERT_EQ(201, rs.http.status);
    const struct fake_call *v = consumer_of(&s, SDP_KIND_VIDEO);
    ASSERT(v);
    ASSERT_EQ(0u, v->producer_id);   /* an idle consumer: nothing to show yet */
    uint32_t vc = v->id;
    struct lesson *l = lesson_find(s.f.h.sig, s.f.def.id);
    ASSERT(l && l->n_viewers == 1 && l->n_members == 0);

    struct fake_conn *t = lh_joined(&s.f, "teacher", "T");
    publish_as(&s.f, t, "t", 11, 12, NULL);
    ASSERT_EQ(producer_of(t, SDP_KIND_VIDEO), source_of(&s, vc, 0));
    harness_send(&s.f.h, t, "{\"type\":\"leave\"}");
    ASSERT(lesson_find(s.f.h.sig, s.f.def.id) == l);   /* the viewer still watches */
    ASSERT_EQ(0u, source_of(&s, vc, 99));

    char loc[256];
    snprintf(loc, sizeof(loc), "%s", rs.http.location);
    http_response_free(&rs.http);
    ASSERT_EQ(200, status_of(&s, "DELETE", loc, "", "", NULL, false));
    ASSERT(!lesson_find(s.f.h.sig, s.f.def.id));   /* nobody left: freed */
    setup_free(&s);
}

TEST(whep_viewer_ends_with_the_lesson_and_with_its_transport)
{
    struct setup s;
    ASSERT(setup_init(&s, false, 50));
    struct fake_conn *t = lh_joined(&s.f, "teacher", "T");
    struct whep_response rs = post(&s, "student", AIORTC_WHEP_OFFER);
    ASSERT_EQ(201, rs.http.status);
    http_response_free(&rs.http);
    rs = post(&s, "student", AIORTC_WHEP_OFFER);
    ASSERT_EQ(201, rs.http.status);
    http_response_free(&rs.http);
    ASSERT_EQ(2u, whep_viewers(s.w));

    const struct fake_call *last = NULL, *c;
    for (size_t i = 0; (c = fake_find(&s.f.h.media, "transport_create", i)); i++)
        last = c;
    struct sfu_event ev = {SFU_EVENT_TRANSPORT_CLOSED, last->id, 0, "consent lost"};
    whep_media_event(s.w, &ev);
    ASSERT_EQ(1u, whep_viewers(s.w));
    ASSERT(strstr(harness_log(&s.f.h), "consent lost"));

    /* The first one's player connects; one that never does leaves after 30 s. */
    const struct fake_call *first = fake_find(&s.f.h.media, "transport_create", 0);
    const struct fake_call *c2;
    for (size_t i = 0; (c2 = fake_find(&s.f.h.media, "transport_create", i)); i++)
        if (c2 != last)
            first = c2;
    struct sfu_event up = {SFU_EVENT_TRANSPORT_CONNECTED, first->id, 0, "SRTP_AES128_CM_SHA1_80"};
    whep_media_event(s.w, &up);
    rs = post(&s, "student", AIORTC_WHEP_OFFER);
    ASSERT_EQ(201, rs.http.status);
    http_response_free(&rs.http);
    ASSERT_EQ(2u, whep_viewers(s.w));
    s.f.h.sig->now_ms += 29000;
    whep_tick(s.w);
    ASSERT_EQ(2u, whep_viewers(s.w));
    s.f.h.sig->now_ms += 1000;
    whep_tick(s.w);
    ASSERT_EQ(1u, whep_viewers(s.w));   /* the connected one stays */
    ASSERT(strstr(harness_log(&s.f.h), "never connected"));

    fixture_send(&s.f, t, "{\"type\":\"lesson_end\"}");
    whep_tick(s.w);
    ASSERT_EQ(0u, whep_viewers(s.w));
    ASSERT(!lesson_find(s.f.h.sig, s.f.def.id));
    setup_free(&s);
}

TEST(whep_viewer_on_a_roster_link_ends_when_the_link_is_revoked)
{
    struct setup s;
    ASSERT(setup_init(&s, false, 50));
    struct roster_row row = {.name = "Class 5A TV"};
    int64_t entry;
    ASSERT_EQ(0, roster_add(s.f.st, s.f.def.id, &row, 1, FIXTURE_T0, &entry));
    char *t = lh_token(&s.f, "student", entry, NULL), auth[2100];
    snprintf(auth, sizeof(auth), "Bearer %s", t);
    free(t);
    struct http_request rq = {"POST", s.path, "", "", auth, "", AIORTC_WHEP_OFFER,
                              strlen(AIORTC_WHEP_OFFER), false};
    struct whep_response rs;
    whep_handle(s.w, &rq, "application/sdp", false, &rs);
    ASSERT_EQ(201, rs.http.status);
    http_response_free(&rs.http);
    size_t closes = fake_count(&s.f.h.media, "transport_close");
    s.f.h.sig->now_ms += 1000;
    ASSERT_EQ(0, roster_revoke(s.f.st, s.f.def.id, entry, (int64_t)s.f.h.sig->now_ms));
    whep_tick(s.w);
    ASSERT_EQ(1u, whep_viewers(s.w));   /* checked again every 5 s, not every second */
    s.f.h.sig->now_ms += 5000;
    whep_tick(s.w);
    ASSERT_EQ(0u, whep_viewers(s.w));
    ASSERT_EQ(closes + 1, fake_count(&s.f.h.media, "transport_close"));
    /* And the revoked link is refused from now on. */
    whep_handle(s.w, &rq, "application/sdp", false, &rs);
    ASSERT_EQ(403, rs.http.status);
    http_response_free(&rs.http);
    setup_free(&s);
}

TEST(whep_viewer_takes_a_seat_and_follows_the_lessons_rules)
{
    struct setup s;
    ASSERT(setup_init(&s, false, 2));
    ASSERT(lh_joined(&s.f, "teacher", "T"));
    struct whep_response rs = post(&s, "student", AIORTC_WHEP_OFFER);
    ASSERT_EQ(201, rs.http.status);   /* seat 2 of 2 */
    http_response_free(&rs.http);
    rs = post(&s, "student", AIORTC_WHEP_OFFER);
    ASSERT_EQ(503, rs.http.status);
    http_response_free(&rs.http);
    /* The seats the viewer takes keep a student out too. */
    ASSERT(!lh_joined(&s.f, "student", "S"));
    rs = post(&s, "teacher", AIORTC_WHEP_OFFER);   /* staff pass, as in join */
    ASSERT_EQ(201, rs.http.status);
    http_response_free(&rs.http);
    setup_free(&s);

    ASSERT(setup_init(&s, true, 50));   /* a lobby: nobody would admit a player */
    rs = post(&s, "student", AIORTC_WHEP_OFFER);
    ASSERT_EQ(403, rs.http.status);
    ASSERT(strstr(rs.http.body, "lobby"));
    http_response_free(&rs.http);
    ASSERT(!lesson_find(s.f.h.sig, s.f.def.id));   /* a refusal keeps no lesson open */
    rs = post(&s, "assistant", AIORTC_WHEP_OFFER);
    ASSERT_EQ(201, rs.http.status);
    http_response_free(&rs.http);
    setup_free(&s);
}

TEST(whep_refuses_with_the_documented_statuses)
{
    struct setup s;
    ASSERT(setup_init(&s, false, 50));
    char *t = lh_token(&s.f, "student", 0, NULL), auth[2100];
    snprintf(auth, sizeof(auth), "Bearer %s", t);
    free(t);
    const char *sdp = "application/sdp", *o = AIORTC_WHEP_OFFER;
    ASSERT_EQ(415, status_of(&s, "POST", s.path, auth, "application/json", o, false));
    ASSERT_EQ(401, status_of(&s, "POST", s.path, "", sdp, o, false));
    ASSERT_EQ(401, status_of(&s, "POST", s.path, "Basic abc", sdp, o, false));
    ASSERT_EQ(403, status_of(&s, "POST", s.path, "Bearer forged.token", sdp, o, false));
    ASSERT_EQ(404, status_of(&s, "POST", "/whep/nosuchlesson", auth, sdp, o, false));
    ASSERT_EQ(404, status_of(&s, "POST", "/whep", auth, sdp, o, false));
    ASSERT_EQ(404, status_of(&s, "POST", "/whep/bad%20id", auth, sdp, o, false));
    ASSERT_EQ(413, status_of(&s, "POST", s.path, auth, sdp, o, true));
    char *big = malloc(WHEP_MAX_BODY + 2);
    memset(big, 'a', WHEP_MAX_BODY + 1);
    big[WHEP_MAX_BODY + 1] = '\0';
    ASSERT_EQ(413, status_of(&s, "POST", s.path, auth, sdp, big, false));
    free(big);
    ASSERT_EQ(400, status_of(&s, "POST", s.path, auth, sdp, "v=0\r\nnonsense", false));
    char *sendonly = test_whep_variant("a=recvonly", "a=sendonly");
    struct http_request rq = {"POST", s.path, "", "", auth, "", sendonly, strlen(sendonly), false};
    struct whep_response rs;
    whep_handle(s.w, &rq, sdp, false, &rs);
    ASSERT_EQ(400, rs.http.status);
    ASSERT(strncmp(rs.http.content_type, "text/plain", 10) == 0);
    ASSERT(strstr(rs.http.body, "nothing to send"));
    http_response_free(&rs.http);
    free(sendonly);
    ASSERT_EQ(0u, whep_viewers(s.w));
    ASSERT_EQ(0u, fake_count(&s.f.h.media, "transport_create"));   /* refusals leave no trace */

    rq = (struct http_request){"PATCH", s.path, "", "", auth, "", "a=x", 3, false};
    whep_handle(s.w, &rq, "application/trickle-ice-sdpfrag", false, &rs);
    ASSERT_EQ(405, rs.http.status);
    ASSERT(rs.allow && strcmp(rs.allow, "POST, DELETE, OPTIONS") == 0);
    http_response_free(&rs.http);
    ASSERT_EQ(204, status_of(&s, "OPTIONS", s.path, "", "", NULL, false));
    ASSERT_EQ(404, status_of(&s, "DELETE", "/whep/x/0123", "", "", NULL, false));
    ASSERT(whep_wants("/whep") && whep_wants("/whep/abc") && !whep_wants("/whepx") &&
           !whep_wants("/whip/abc"));
    setup_free(&s);
}

TEST(webrtc_http_helpers_take_paths_tokens_and_types_apart)
{
    char lesson[65], session[33], token[64];
    ASSERT(webrtc_http_split_path("/whep/abc123", "whep", lesson, sizeof(lesson), session,
                                  sizeof(session)));
    ASSERT_STR_EQ("abc123", lesson);
    ASSERT_STR_EQ("", session);
    ASSERT(webrtc_http_split_path("/whip/abc123/0f0f", "whip", lesson, sizeof(lesson), session,
                                  sizeof(session)));
    ASSERT_STR_EQ("0f0f", session);
    ASSERT(!webrtc_http_split_path("/whep/abc123", "whip", lesson, sizeof(lesson), session,
                                   sizeof(session)));
    ASSERT(!webrtc_http_split_path("/whep//x", "whep", lesson, sizeof(lesson), session,
                                   sizeof(session)));
    ASSERT(!webrtc_http_split_path("/whep/a/b/c", "whep", lesson, sizeof(lesson), session,
                                   sizeof(session)));
    ASSERT(!webrtc_http_split_path("/whep/a/", "whep", lesson, sizeof(lesson), session,
                                   sizeof(session)));
    ASSERT(!webrtc_http_split_path("/whepabc", "whep", lesson, sizeof(lesson), session,
                                   sizeof(session)));
    char longer[200] = "/whep/";
    memset(longer + 6, 'a', 100);
    ASSERT(!webrtc_http_split_path(longer, "whep", lesson, sizeof(lesson), session,
                                   sizeof(session)));

    ASSERT(webrtc_http_bearer("Bearer abc.def", token, sizeof(token)));
    ASSERT_STR_EQ("abc.def", token);
    ASSERT(webrtc_http_bearer("bearer   xyz trailing", token, sizeof(token)));
    ASSERT_STR_EQ("xyz", token);
    ASSERT(!webrtc_http_bearer("Bearer ", token, sizeof(token)));
    ASSERT(!webrtc_http_bearer("Basic abc", token, sizeof(token)));
    char huge[100] = "Bearer ";
    memset(huge + 7, 'x', 80);
    ASSERT(!webrtc_http_bearer(huge, token, sizeof(token)));   /* longer than the buffer */

    ASSERT(webrtc_http_is_sdp("application/sdp"));
    ASSERT(webrtc_http_is_sdp("Application/SDP; charset=utf-8"));
    ASSERT(!webrtc_http_is_sdp("application/sdpx"));
    ASSERT(!webrtc_http_is_sdp(""));

    char a[WEBRTC_HTTP_SESSION_LEN + 1], b[WEBRTC_HTTP_SESSION_LEN + 1];
    webrtc_http_session_id(a);
    webrtc_http_session_id(b);
    ASSERT_EQ((size_t)WEBRTC_HTTP_SESSION_LEN, strlen(a));
    ASSERT(strspn(a, "0123456789abcdef") == WEBRTC_HTTP_SESSION_LEN);
    ASSERT(strcmp(a, b) != 0);
}
