/* See http_stream.h. */
#include "http_stream.h"

#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct http_stream {
    struct recordings_reply r;     /* owned: its body or fd */
    uint64_t sent;                 /* bytes of the body or range written */
    uint64_t total;                /* body_len, or the range's length */
    unsigned char *buf;            /* owned: LWS_PRE + HTTP_STREAM_CHUNK */
};

void http_stream_free(struct http_stream *st)
{
    if (!st)
        return;
    http_recordings_reply_free(&st->r);
    free(st->buf);
    free(st);
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                      unsigned char *end)
{
    if (!value || !value[0])
        return 0;
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

int http_stream_start(struct lws *wsi, struct recordings_reply *reply, struct http_stream **out)
{
    struct http_stream *st = calloc(1, sizeof(*st));
    if (st)
        st->buf = malloc(LWS_PRE + HTTP_STREAM_CHUNK);
    if (!st || !st->buf) {
        free(st);
        http_recordings_reply_free(reply);
        return -1;
    }
    st->r = *reply;
    memset(reply, 0, sizeof(*reply));
    reply->fd = -1;
    st->total = st->r.fd >= 0 ? st->r.length : st->r.body_len;
    unsigned char hdr[LWS_PRE + 4096], *start = hdr + LWS_PRE, *p = start,
                                        *end = hdr + sizeof(hdr) - 1;
    if (lws_add_http_common_headers(wsi, (unsigned)st->r.status,
                                    st->r.content_type[0] ? st->r.content_type : NULL,
                                    (lws_filepos_t)st->total, &p, end) ||
        add_header(wsi, "accept-ranges:", st->r.accept_ranges ? "bytes" : "", &p, end) ||
        add_header(wsi, "content-range:", st->r.content_range, &p, end) ||
        add_header(wsi, "cache-control:", st->r.no_store ? "no-store" : "no-cache", &p, end) ||
        add_header(wsi, "content-disposition:", st->r.disposition, &p, end) ||
        add_header(wsi, "location:", st->r.location, &p, end) ||
        add_header(wsi, "allow:", st->r.allow, &p, end) ||
        add_header(wsi, "x-content-type-options:", "nosniff", &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end)) {
        http_stream_free(st);
        return -1;
    }
    if (st->total == 0) {
        /* No body (204, 416): done now. Waiting for WRITEABLE to write zero
         * bytes left a keep-alive connection's next request unanswered. */
        http_stream_free(st);
        *out = NULL;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    *out = st;
    lws_callback_on_writable(wsi);
    return 0;
}

/* Up to one chunk of what is left into st->buf + LWS_PRE: its length, or -1. */
static ssize_t next_chunk(struct http_stream *st)
{
    uint64_t left = st->total - st->sent;
    size_t want = left < HTTP_STREAM_CHUNK ? (size_t)left : HTTP_STREAM_CHUNK;
    unsigned char *dst = st->buf + LWS_PRE;
    if (st->r.fd < 0) {
        memcpy(dst, st->r.body + st->sent, want);
        return (ssize_t)want;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread(st->r.fd, dst + got, want - got, (off_t)(st->r.offset + st->sent + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;   /* the file shrank under us: cut the response */
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int http_stream_writeable(struct lws *wsi, struct http_stream *st)
{
    ssize_t n = next_chunk(st);
    if (n < 0)
        return -1;
    bool last = st->sent + (uint64_t)n >= st->total;
    int w = lws_write(wsi, st->buf + LWS_PRE, (size_t)n,
                      last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
    if (w < 0 || w < n)
        return -1;
    st->sent += (uint64_t)n;
    if (last)
        return lws_http_transaction_completed(wsi) ? -1 : 1;
    lws_callback_on_writable(wsi);
    return 0;
}
