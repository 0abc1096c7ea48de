/* WHIP (whip.c, RFC 9725) without sockets: a POSTed offer makes a publisher
 * the lesson sees like a browser (same join and publish paths), and every
 * documented status: 401, 403, 404, 400, 413, 415, 405 with Allow, OPTIONS,
 * DELETE ending the session. */
#include "test.h"

#include <stdlib.h>
#include <string.h>

#include "lesson_helpers.h"
#include "signaling/whip.h"

static struct whip_response call(struct whip *w, const char *method, const char *path,
                                 const char *query, const char *auth, const char *ctype,
                                 const char *body)
{
    struct http_request rq = {method, path, query, "", auth, "school.kz", body,
                              body ? strlen(body) : 0, false};
    struct whip_response rs;
    whip_handle(w, &rq, ctype, false, &rs);
    return rs;
}

static int status_of(struct whip *w, const char *method, const char *path, const char *auth,
                     const char *ctype, const char *body)
{
    struct whip_response rs = call(w, method, path, "", auth, ctype, body);
    int status = rs.http.status;
    http_response_free(&rs.http);
    return status;
}

struct setup {
    struct fixture f;
    struct whip *w;
    char path[96], bearer[2100];
    char *offer;
};

static bool setup_init(struct setup *s, bool students_publish)
{
    if (!fixture_init(&s->f) || !lh_lesson(&s->f, false, 500, students_publish, false))
        return false;
    s->f.h.sig->now_ms = FIXTURE_T0;
    s->w = whip_new(s->f.h.sig);
    snprintf(s->path, sizeof(s->path), "/whip/%s", s->f.def.id);
    char *t = lh_token(&s->f, "teacher", 0, NULL);
    snprintf(s->bearer, sizeof(s->bearer), "Bearer %s", t);
    free(t);
    s->offer = harness_offer("whip", 1111, 2222);
    return s->w && s->offer;
}

static void setup_free(struct setup *s)
{
    whip_free(s->w);
    free(s->offer);
    fixture_free(&s->f);
}

TEST(whip_post_publishes_into_the_lesson_and_delete_ends_it)
{
    struct setup s;
    ASSERT(setup_init(&s, false));
    struct fake_conn *student = fixture_join(&s.f, "student", "Dana");
    ASSERT(student);
    struct whip_response rs = call(s.w, "POST", s.path, "name=OBS", s.bearer,
                                   "application/sdp; charset=utf-8", s.offer);
    ASSERT_EQ(201, rs.http.status);
    ASSERT(strcmp(rs.http.content_type, "application/sdp") == 0);
    ASSERT(rs.http.body_len > 0 && strncmp(rs.http.body, "v=0", 3) == 0);
    ASSERT(strncmp(rs.http.location, s.path, strlen(s.path)) == 0);
    ASSERT(strlen(rs.http.location) == strlen(s.path) + 33);
    ASSERT_EQ(1u, fake_count(&s.f.h.media, "transport_create"));
    ASSERT_EQ(2u, fake_count(&s.f.h.media, "producer_create"));
    ASSERT_EQ(1u, whip_sessions(s.w));
    char loc[256];
    snprintf(loc, sizeof(loc), "%s", rs.http.location);
    http_response_free(&rs.http);
    ASSERT(strstr(harness_log(&s.f.h), "whip: session"));

    ASSERT_EQ(404, status_of(s.w, "DELETE", "/whip/other/0123", "", "", NULL));
    ASSERT_EQ(200, status_of(s.w, "DELETE", loc, "", "", NULL));
    ASSERT_EQ(0u, whip_sessions(s.w));
    ASSERT(lh_has(student, "participant_left"));
    ASSERT_EQ(2u, fake_count(&s.f.h.media, "producer_close"));
    ASSERT_EQ(404, status_of(s.w, "DELETE", loc, "", "", NULL));
    setup_free(&s);
}

TEST(whip_refuses_with_the_documented_statuses)
{
    struct setup s;
    ASSERT(setup_init(&s, false));
    const char *sdp = "application/sdp";
    ASSERT_EQ(415, status_of(s.w, "POST", s.path, s.bearer, "application/json", s.offer));
    ASSERT_EQ(415, status_of(s.w, "POST", s.path, s.bearer, "", s.offer));
    ASSERT_EQ(401, status_of(s.w, "POST", s.path, "", sdp, s.offer));
    ASSERT_EQ(401, status_of(s.w, "POST", s.path, "Basic abc", sdp, s.offer));
    ASSERT_EQ(403, status_of(s.w, "POST", s.path, "Bearer forged.token", sdp, s.offer));
    ASSERT_EQ(404, status_of(s.w, "POST", "/whip/nosuchlesson", s.bearer, sdp, s.offer));
    ASSERT_EQ(404, status_of(s.w, "POST", "/whip", s.bearer, sdp, s.offer));
    ASSERT_EQ(404, status_of(s.w, "POST", "/whip/bad%20id", s.bearer, sdp, s.offer));
    struct whip_response rs = call(s.w, "POST", s.path, "", s.bearer, sdp, "v=0\r\nnonsense");
    ASSERT_EQ(400, rs.http.status);
    ASSERT(strncmp(rs.http.content_type, "text/plain", 10) == 0 && rs.http.body_len > 10);
    http_response_free(&rs.http);

    char *student = lh_token(&s.f, "student", 0, NULL), auth[2100];
    snprintf(auth, sizeof(auth), "Bearer %s", student);
    free(student);
    ASSERT_EQ(403, status_of(s.w, "POST", s.path, auth, sdp, s.offer));

    rs = call(s.w, "PATCH", s.path, "", s.bearer, "application/trickle-ice-sdpfrag", "a=x");
    ASSERT_EQ(405, rs.http.status);
    ASSERT(rs.allow && strcmp(rs.allow, "POST, DELETE, OPTIONS") == 0);
    http_response_free(&rs.http);
    rs = call(s.w, "OPTIONS", s.path, "", "", "", NULL);
    ASSERT_EQ(204, rs.http.status);
    http_response_free(&rs.http);

    struct http_request rq = {"POST", s.path, "", "", s.bearer, "", "", 0, false};
    whip_handle(s.w, &rq, sdp, true, &rs);
    ASSERT_EQ(413, rs.http.status);
    http_response_free(&rs.http);
    size_t big_len = WHIP_MAX_BODY + 1;
    char *big = malloc(big_len + 1);
    ASSERT(big);
    memset(big, 'a', big_len);
    big[big_len] = '\0';
    ASSERT_EQ(413, status_of(s.w, "POST", s.path, s.bearer, sdp, big));
    free(big);

    ASSERT_EQ(0u, whip_sessions(s.w));
    ASSERT_EQ(0u, fake_count(&s.f.h.media, "transport_create"));
    setup_free(&s);
}

TEST(whip_student_publishes_when_the_lesson_lets_students)
{
    struct setup s;
    ASSERT(setup_init(&s, true));
    char *student = lh_token(&s.f, "student", 0, NULL), auth[2100];
    snprintf(auth, sizeof(auth), "Bearer %s", student);
    free(student);
    ASSERT_EQ(201, status_of(s.w, "POST", s.path, auth, "application/sdp", s.offer));
    ASSERT_EQ(1u, whip_sessions(s.w));
    setup_free(&s);   /* whip_free ends the open session */
}

TEST(whip_session_ends_when_its_media_connection_closes)
{
    struct setup s;
    ASSERT(setup_init(&s, false));
    struct fake_conn *student = fixture_join(&s.f, "student", "Dana");
    ASSERT(student);
    ASSERT_EQ(201, status_of(s.w, "POST", s.path, s.bearer, "application/sdp", s.offer));
    const struct fake_call *t = fake_find(&s.f.h.media, "transport_create", 0);
    ASSERT(t);
    struct sfu_event closed = {.type = SFU_EVENT_TRANSPORT_CLOSED, .id = t->id,
                               .detail = "consent lost"};
    signaling_media_event(s.f.h.sig, &closed);
    ASSERT_EQ(1u, whip_sessions(s.w));   /* ended at the tick, not inside the event */
    ASSERT(!lh_has(student, "participant_left"));
    whip_tick(s.w);
    ASSERT_EQ(0u, whip_sessions(s.w));
    ASSERT(lh_has(student, "participant_left"));
    setup_free(&s);
}

TEST(whip_session_that_never_connects_ends_after_30_s)
{
    struct setup s;
    ASSERT(setup_init(&s, false));
    struct fake_conn *student = fixture_join(&s.f, "student", "Dana");
    ASSERT_EQ(201, status_of(s.w, "POST", s.path, s.bearer, "application/sdp", s.offer));
    ASSERT_EQ(201, status_of(s.w, "POST", s.path, s.bearer, "application/sdp", s.offer));
    const struct fake_call *t = fake_find(&s.f.h.media, "transport_create", 0);
    struct sfu_event up = {.type = SFU_EVENT_TRANSPORT_CONNECTED, .id = t->id};
    whip_media_event(s.w, &up);   /* the first one's publisher connects */
    s.f.h.sig->now_ms += 29000;
    whip_tick(s.w);
    ASSERT_EQ(2u, whip_sessions(s.w));
    s.f.h.sig->now_ms += 1000;
    whip_tick(s.w);
    ASSERT_EQ(1u, whip_sessions(s.w));
    ASSERT(lh_has(student, "participant_left"));
    ASSERT(strstr(harness_log(&s.f.h), "never connected"));
    setup_free(&s);
}

TEST(whip_refuses_an_offer_that_is_not_utf8)
{
    struct setup s;
    ASSERT(setup_init(&s, false));
    char *bad = strdup(s.offer);
    ASSERT(bad);
    char *at = strstr(bad, "s=");
    ASSERT(at);
    at[2] = (char)0xff;
    ASSERT_EQ(400, status_of(s.w, "POST", s.path, s.bearer, "application/sdp", bad));
    free(bad);
    ASSERT_EQ(0u, whip_sessions(s.w));
    setup_free(&s);
}
