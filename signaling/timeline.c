/* The recording's timeline.jsonl (see timeline.h). Written on the control
 * thread: one short write() per event, no stdio buffer to lose in a crash;
 * fdatasync only when the recording stops (events are rare: chat, hands). */
#include "timeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sabaq/error.h"

struct timeline {
    int fd;                      /* owned */
    uint64_t t0_ms;
};

struct timeline *timeline_open(const char *dir, uint64_t t0_ms)
{
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/%s", dir, TIMELINE_FILE) >= (int)sizeof(path))
        return NULL;
    struct timeline *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (t->fd < 0) {
        free(t);
        return NULL;
    }
    t->t0_ms = t0_ms;
    return t;
}

void timeline_close(struct timeline *t)
{
    if (!t)
        return;
    fdatasync(t->fd);
    close(t->fd);
    free(t);
}

/* Copies the listed fields of msg that exist into a new {type: type} object. */
static json_t *pick(const json_t *msg, const char *type, const char *const *keys)
{
    json_t *e = json_pack("{s:s}", "type", type);
    for (; e && *keys; keys++) {
        json_t *v = json_object_get(msg, *keys);
        if (v)
            json_object_set_new(e, *keys, json_deep_copy(v));
    }
    return e;
}

json_t *timeline_event_of(const json_t *msg)
{
    static const char *const chat[] = {"id", "from", "name", "role", "text", NULL};
    static const char *const id[] = {"id", NULL};
    static const char *const poll[] = {"id", "question", "kind", "options", "state",
                                       "published", NULL};
    static const char *const results[] = {"poll", "counts", "total", "texts", NULL};
    static const char *const hand[] = {"participant", "raised", NULL};
    static const char *const who[] = {"id", "name", "role", NULL};
    static const char *const stage[] = {"participant", "mid", "source", NULL};
    const char *type = json_string_value(json_object_get(msg, "type"));
    if (!type)
        return NULL;
    if (strcmp(type, "chat") == 0) {
        const char *to = json_string_value(json_object_get(msg, "to"));
        return to && strcmp(to, "all") == 0 ? pick(msg, "chat", chat) : NULL;
    }
    if (strcmp(type, "chat_deleted") == 0)
        return pick(msg, type, id);
    if (strcmp(type, "poll") == 0)
        return pick(msg, type, poll);
    if (strcmp(type, "poll_results") == 0)
        return pick(msg, type, results);
    if (strcmp(type, "hand") == 0)
        return pick(msg, type, hand);
    if (strcmp(type, "participant_joined") == 0) {
        json_t *p = json_object_get(msg, "participant");
        return json_is_object(p) ? pick(p, "join", who) : NULL;
    }
    if (strcmp(type, "participant_left") == 0)
        return pick(msg, "leave", id);
    if (strcmp(type, "participant_away") == 0)
        return pick(msg, "away", id);
    if (strcmp(type, "stage") == 0)
        return pick(msg, type, stage);
    return NULL;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -SQ_EIO;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int timeline_append(struct timeline *t, uint64_t now_ms, const json_t *event)
{
    if (!t || !json_is_object(event))
        return -SQ_EINVAL;
    json_t *line = json_object();
    json_int_t at = now_ms > t->t0_ms ? (json_int_t)(now_ms - t->t0_ms) : 0;
    json_object_set_new(line, "t", json_integer(at));
    json_object_update(line, (json_t *)event);
    /* Compact JSON escapes newlines inside strings: one event, one line. */
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(line);
    if (!text)
        return -SQ_ENOMEM;
    size_t n = strlen(text);
    char *buf = malloc(n + 1);
    int rc = -SQ_ENOMEM;
    if (buf) {
        memcpy(buf, text, n);
        buf[n] = '\n';
        rc = write_all(t->fd, buf, n + 1);
        free(buf);
    }
    free(text);
    return rc;
}

/* Reads at most max bytes of the file into a malloc'd buffer. */
static int slurp(const char *path, size_t max, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -SQ_ENOTFOUND : -SQ_EIO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -SQ_EIO;
    }
    size_t cap = (size_t)st.st_size < max ? (size_t)st.st_size : max;
    char *buf = malloc(cap + 1);
    size_t got = 0;
    while (buf && got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!buf)
        return -SQ_ENOMEM;
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}

int timeline_read_array(const char *path, char **out, size_t *len)
{
    char *in = NULL;
    size_t in_len = 0;
    int rc = slurp(path, TIMELINE_MAX_BYTES, &in, &in_len);
    if (rc < 0)
        return rc;
    /* The array is never longer than the lines plus "[", "]" and the NUL. */
    char *arr = malloc(in_len + 3);
    if (!arr) {
        free(in);
        return -SQ_ENOMEM;
    }
    size_t n = 0;
    arr[n++] = '[';
    for (size_t i = 0; i < in_len;) {
        size_t end = i;
        while (end < in_len && in[end] != '\n')
            end++;
        json_t *o = end > i ? json_loadb(in + i, end - i, 0, NULL)
                            : NULL;
        if (json_is_object(o)) {
            if (n > 1)
                arr[n++] = ',';
            memcpy(arr + n, in + i, end - i);
            n += end - i;
        }
        json_decref(o);
        i = end + 1;
    }
    arr[n++] = ']';
    arr[n] = '\0';
    free(in);
    *out = arr;
    *len = n;
    return 0;
}
