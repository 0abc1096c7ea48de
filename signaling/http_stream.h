/* Sends a recordings_reply (http_recordings.h) through libwebsockets: the
 * headers at once, then the body or the file's range in chunks, one per
 * LWS_CALLBACK_HTTP_WRITEABLE, so a large recording never sits in memory and
 * a slow viewer holds only one chunk. */
#ifndef SIGNALING_HTTP_STREAM_H
#define SIGNALING_HTTP_STREAM_H

#include "http_recordings.h"

struct lws;
struct http_stream;

#define HTTP_STREAM_CHUNK (64u * 1024)

/* Takes over *reply (zeroed, fd -1 after) and writes the headers. 0 with
 * *out set (NULL when there is no body: the response is complete), or -1
 * (close the connection; nothing is kept). */
int http_stream_start(struct lws *wsi, struct recordings_reply *reply, struct http_stream **out);
/* At HTTP_WRITEABLE: the next chunk. 0 to go on, 1 when all is sent (free
 * it; the connection may serve another request), -1 to close the connection. */
int http_stream_writeable(struct lws *wsi, struct http_stream *st);
void http_stream_free(struct http_stream *st);

#endif
