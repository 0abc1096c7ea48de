/* The HTTP API (http_api.c, http_lessons.c) without sockets: sign-in and the
 * session cookie, who may create and see lessons, every field checked, the
 * roster upload and revocation. */
#include "test.h"

#include <stdlib.h>

#include "classroom_fixture.h"
#include "signaling/http_api.h"
#include "signaling/schema.h"
#include "signaling/staff.h"

struct api {
    struct fixture f;
    char cookie[1600];      /* the teacher's */
    char asst_cookie[1600];
};

static struct http_response call(struct api *a, const char *method, const char *path,
                                 const char *query, const char *cookie, const char *body)
{
    struct http_request rq = {method, path, query ? query : "", cookie ? cookie : "", "",
                              "school.kz:8443", body, body ? strlen(body) : 0, true};
    struct http_response rs;
    http_api_handle(a->f.h.sig, &rq, &rs);
    return rs;
}

/* "sabaq_session=..." of a fresh staff member of this role. */
static bool sign_in(struct api *a, const char *role, char *out, size_t cap)
{
    struct staff m;
    char err[128];
    if (staff_add(a->f.st, role[0] == 't' ? "Aigerim" : "Asel", role, FIXTURE_T0, &m, err,
                  sizeof(err)) < 0)
        return false;
    char *t = staff_signin_token(a->f.h.sig->secret, m.id, FIXTURE_T0);
    char q[1200];
    snprintf(q, sizeof(q), "t=%s", t);
    free(t);
    struct http_response rs = call(a, "GET", "/signin", q, NULL, NULL);
    bool ok = rs.status == 302 && strcmp(rs.location, "/") == 0 &&
              strstr(rs.set_cookie, "HttpOnly") && strstr(rs.set_cookie, "SameSite=Lax") &&
              strstr(rs.set_cookie, "Secure") && strstr(rs.set_cookie, "Path=/");
    snprintf(out, cap, "%.*s", (int)strcspn(rs.set_cookie, ";"), rs.set_cookie);
    http_response_free(&rs);
    return ok;
}

static bool api_init(struct api *a)
{
    return fixture_init(&a->f) && schema_init(a->f.st) == 0 &&
           sign_in(a, "teacher", a->cookie, sizeof(a->cookie)) &&
           sign_in(a, "assistant", a->asst_cookie, sizeof(a->asst_cookie));
}

static json_t *body_json(const struct http_response *rs)
{
    return json_loadb(rs->body, rs->body_len, 0, NULL);
}

/* status, and the `error` code in code (or "") */
static int status_of(struct api *a, const char *method, const char *path, const char *cookie,
                     const char *body, char *code)
{
    struct http_response rs = call(a, method, path, NULL, cookie, body);
    json_t *o = body_json(&rs);
    snprintf(code, 32, "%s", js(o, "error") ? js(o, "error") : "");
    json_decref(o);
    http_response_free(&rs);
    return rs.status;
}

TEST(signin_link_refused_when_bad_and_anonymous_visitors_get_401)
{
    struct api a;
    ASSERT(api_init(&a));
    struct http_response rs = call(&a, "GET", "/signin", "t=forged.AAAA", NULL, NULL);
    ASSERT_EQ(403, rs.status);
    ASSERT_STR_EQ("", rs.set_cookie);
    http_response_free(&rs);
    char code[32];
    ASSERT_EQ(401, status_of(&a, "GET", "/api/me", NULL, NULL, code));
    ASSERT_STR_EQ("not_signed_in", code);
    ASSERT_EQ(401, status_of(&a, "POST", "/api/lessons", "sabaq_session=abc.def",
                             "{\"title\":\"x\"}", code));
    ASSERT_EQ(401, status_of(&a, "POST", "/api/lessons", NULL, "{\"title\":\"x\"}", code));
    rs = call(&a, "GET", "/api/me", NULL, a.cookie, NULL);
    json_t *me = body_json(&rs);
    ASSERT_EQ(200, rs.status);
    ASSERT_STR_EQ("teacher", js(me, "role"));
    json_decref(me);
    http_response_free(&rs);
    fixture_free(&a.f);
}

TEST(only_teachers_create_lessons_and_every_field_is_checked)
{
    struct api a;
    ASSERT(api_init(&a));
    char code[32];
    ASSERT_EQ(403, status_of(&a, "POST", "/api/lessons", a.asst_cookie, "{\"title\":\"x\"}",
                             code));
    static const char *const bad[] = {
        "", "[1]", "{}", "{\"title\":\"\"}", "{\"title\":5}", "{\"title\":\"a\\u0001b\"}",
        "{\"title\":\"x\",\"language\":\"de\"}", "{\"title\":\"x\",\"duration_min\":121}",
        "{\"title\":\"x\",\"duration_min\":0}", "{\"title\":\"x\",\"duration_min\":4.5}",
        "{\"title\":\"x\",\"max_participants\":501}", "{\"title\":\"x\",\"lobby\":\"yes\"}",
        "{\"title\":\"x\",\"start\":\"tomorrow\"}", "{\"title\":\"x\",\"start\":\"2025-02-30T10:00\"}",
        "{\"title\":\"x\",\"colour\":\"red\"}", "{\"title\":\"x\",\"title\":\"y\"}",
        "{\"title\":\"x\",\"last_n\":17}", "{\"title\":\"x\",\"last_n\":-1}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int st = status_of(&a, "POST", "/api/lessons", a.cookie, bad[i], code);
        if (st != 400) {
            test_fail(__FILE__, __LINE__, "case %zu (%s): HTTP %d", i, bad[i], st);
            return;
        }
    }
    struct http_response rs = call(&a, "POST", "/api/lessons", NULL, a.cookie,
                                   "{\"title\":\"Алгебра\",\"language\":\"ru\",\"start\":"
                                   "\"2025-09-01T14:00:00+05:00\",\"lobby\":true}");
    ASSERT_EQ(201, rs.status);
    json_t *o = body_json(&rs);
    json_t *l = json_object_get(o, "lesson");
    ASSERT_EQ(1756717200000LL, ji(l, "start_ms"));
    ASSERT_EQ(45, ji(l, "duration_min"));
    ASSERT_EQ(500, ji(l, "max_participants"));
    ASSERT_EQ(4, ji(l, "last_n"));
    ASSERT(json_is_true(json_object_get(l, "lobby")));
    ASSERT(strncmp(js(json_object_get(o, "links"), "student"), "https://school.kz:8443/?t=",
                   26) == 0);
    json_decref(o);
    http_response_free(&rs);
    rs = call(&a, "GET", "/api/lessons", NULL, a.cookie, NULL);
    o = body_json(&rs);
    ASSERT_EQ(2, json_array_size(json_object_get(o, "lessons")));   /* the fixture's too */
    json_decref(o);
    http_response_free(&rs);
    fixture_free(&a.f);
}

TEST(roster_upload_gives_personal_links_and_refuses_bad_csv)
{
    struct api a;
    ASSERT(api_init(&a));
    struct http_response rs = call(&a, "POST", "/api/lessons", NULL, a.cookie,
                                   "{\"title\":\"Physics\"}");
    json_t *o = body_json(&rs);
    char id[65], path[128], code[32];
    snprintf(id, sizeof(id), "%s", js(json_object_get(o, "lesson"), "id"));
    json_decref(o);
    http_response_free(&rs);
    snprintf(path, sizeof(path), "/api/lessons/%s/roster", id);
    ASSERT_EQ(400, status_of(&a, "POST", path, a.cookie, "Ali\n\"Bo", code));
    ASSERT_STR_EQ("bad_csv", code);
    ASSERT_EQ(403, status_of(&a, "POST", path, a.asst_cookie, "Ali\n", code));
    rs = call(&a, "POST", path, NULL, a.cookie, "name,class\nAli,7A\nДана,7Б\n");
    ASSERT_EQ(200, rs.status);
    o = body_json(&rs);
    json_t *roster = json_object_get(o, "roster");
    ASSERT_EQ(2, json_array_size(roster));
    ASSERT_STR_EQ("Дана", js(json_array_get(roster, 1), "name"));
    ASSERT(strstr(js(json_array_get(roster, 0), "link"), "/?t="));
    long long entry = ji(json_array_get(roster, 0), "entry");
    json_decref(o);
    http_response_free(&rs);
    snprintf(path, sizeof(path), "/api/lessons/%s/roster/%lld/revoke", id, entry);
    ASSERT_EQ(200, status_of(&a, "POST", path, a.cookie, NULL, code));
    snprintf(path, sizeof(path), "/api/lessons/%s/roster/999/revoke", id);
    ASSERT_EQ(404, status_of(&a, "POST", path, a.cookie, NULL, code));
    snprintf(path, sizeof(path), "/api/lessons/%s", id);
    rs = call(&a, "GET", path, NULL, a.cookie, NULL);
    o = body_json(&rs);
    ASSERT(json_is_true(json_object_get(json_array_get(json_object_get(o, "roster"), 0),
                                        "revoked")));
    json_decref(o);
    http_response_free(&rs);
    ASSERT_EQ(404, status_of(&a, "GET", "/api/lessons/NoSuch", a.cookie, NULL, code));
    ASSERT_EQ(404, status_of(&a, "GET", "/api/nothing", a.cookie, NULL, code));
    fixture_free(&a.f);
}

TEST(iso_times_and_cookies_are_parsed_strictly)
{
    int64_t ms;
    ASSERT(http_api_parse_time("2025-09-01T09:00:00Z", &ms) && ms == 1756717200000LL);
    ASSERT(http_api_parse_time("2025-09-01T09:00", &ms) && ms == 1756717200000LL);
    ASSERT(http_api_parse_time("2025-09-01T14:00:00.250+05:00", &ms) && ms == 1756717200250LL);
    ASSERT(http_api_parse_time("2025-09-01T05:30-0330", &ms) && ms == 1756717200000LL);
    const char *bad[] = {"", "2025-09-01", "2025-13-01T00:00", "2025-09-01T24:00",
                         "1999-01-01T00:00", "2025-09-01T09:00+5", "2025-09-01T09:00:00Zjunk",
                         "2025-09-01T09:00:00.", NULL};
    for (int i = 0; bad[i]; i++)
        ASSERT(!http_api_parse_time(bad[i], &ms));
    char v[64];
    ASSERT(http_api_cookie("a=1; sabaq_session=xyz; b=2", "sabaq_session", v, sizeof(v)));
    ASSERT_STR_EQ("xyz", v);
    ASSERT(!http_api_cookie("xsabaq_session=1", "sabaq_session", v, sizeof(v)));
    ASSERT(!http_api_cookie("", "sabaq_session", v, sizeof(v)));
}
