/* bench/load: a lesson to join, made the way a school makes one
 * (docs/protocol.md and README): `sabaq staff add --role teacher` prints a
 * personal sign-in link; GET /signin?t= gives the session cookie; POST
 * /api/lessons (no lobby, students may publish, room for everyone) returns the
 * teacher, assistant and student links, whose t= tokens go into `join`. */
#include "load_lesson.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RESP_MAX (64 * 1024)

/* The value of t= in a link ("http://host/?t=TOKEN"), into out. */
static int token_of(const char *link, char *out, size_t cap)
{
    const char *t = link ? strstr(link, "t=") : NULL;
    if (!t || (t[-1] != '?' && t[-1] != '&'))
        return -1;
    size_t n = strcspn(t + 2, "&# \r\n\t");
    if (n == 0 || n >= cap)
        return -1;
    memcpy(out, t + 2, n);
    out[n] = '\0';
    return 0;
}

static int staff_add(const char *bin, const char *data_dir, char *token, size_t cap,
                     char *err, size_t ecap)
{
    char cmd[1024], line[2048];
    snprintf(cmd, sizeof(cmd), "timeout 30 '%s' staff add --name 'Load bench' --role teacher "
                               "--data-dir '%s' 2>&1", bin, data_dir);
    FILE *f = popen(cmd, "r");
    int rc = -1;
    if (!f) {
        snprintf(err, ecap, "cannot run %s staff add", bin);
        return -1;
    }
    for (int i = 0; i < 100 && fgets(line, sizeof(line), f); i++) {
        const char *signin = strstr(line, "/signin?");
        if (rc != 0 && signin && token_of(signin, token, cap) == 0)
            rc = 0;
    }
    int status = pclose(f);
    if (rc != 0 || status != 0)
        snprintf(err, ecap, "`%s staff add` printed no sign-in link (exit %d)", bin, status);
    return rc != 0 || status != 0 ? -1 : 0;
}

/* "Set-Cookie: sabaq_session=VALUE; ..." from the sign-in response. */
static int session_cookie(const char *resp, char *out, size_t cap)
{
    for (const char *p = resp; (p = strchr(p, '\n')); p++) {
        if (strncasecmp(p + 1, "set-cookie:", 11) != 0)
            continue;
        const char *v = p + 12 + strspn(p + 12, " ");
        size_t n = strcspn(v, ";\r\n");
        if (strncmp(v, "sabaq_session=", 14) != 0 || n <= 14 || n >= cap)
            continue;
        memcpy(out, v, n);
        out[n] = '\0';
        return 0;
    }
    return -1;
}

static int create(const struct load_server *srv, const char *cookie, unsigned max,
                  struct bot_config *cfg, char *resp, char *err, size_t ecap)
{
    char headers[1200], body[256];
    snprintf(headers, sizeof(headers), "Cookie: %s\r\nContent-Type: application/json\r\n",
             cookie);
    snprintf(body, sizeof(body), "{\"title\":\"Load bench %u\",\"duration_min\":120,"
             "\"max_participants\":%u,\"lobby\":false,\"students_publish\":true,"
             "\"students_video\":false,\"single_use\":false}", max, max);
    int status = load_http(srv, "POST", "/api/lessons", headers, body, resp, RESP_MAX);
    json_error_t e;
    json_t *o = status == 201 ? json_loads(load_http_body(resp), 0, &e) : NULL;
    json_t *links = json_object_get(o, "links");
    const char *id = json_string_value(json_object_get(json_object_get(o, "lesson"), "id"));
    int rc = id && token_of(json_string_value(json_object_get(links, "teacher")),
                            cfg->token_teacher, sizeof(cfg->token_teacher)) == 0 &&
                     token_of(json_string_value(json_object_get(links, "student")),
                              cfg->token_student, sizeof(cfg->token_student)) == 0
                 ? 0
                 : -1;
    if (rc == 0)
        snprintf(cfg->lesson, sizeof(cfg->lesson), "%s", id);
    else
        snprintf(err, ecap, "POST /api/lessons answered %d: %.200s", status,
                 load_http_body(resp));
    json_decref(o);
    return rc;
}

int load_lesson_create(const struct load_server *srv, const char *bin, const char *data_dir,
                       unsigned max_participants, struct bot_config *cfg, char *err,
                       size_t ecap)
{
    char token[1100], path[1200], cookie[1100];
    char *resp = malloc(RESP_MAX);
    int rc = -1;
    if (!resp)
        return -1;
    if (staff_add(bin, data_dir, token, sizeof(token), err, ecap) != 0)
        goto out;
    snprintf(path, sizeof(path), "/signin?t=%s", token);
    int status = load_http(srv, "GET", path, NULL, NULL, resp, RESP_MAX);
    if (session_cookie(resp, cookie, sizeof(cookie)) != 0) {
        snprintf(err, ecap, "GET /signin answered %d without a session cookie", status);
        goto out;
    }
    rc = create(srv, cookie, max_participants, cfg, resp, err, ecap);
out:
    free(resp);
    return rc;
}
