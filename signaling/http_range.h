/* The HTTP Range request header for one representation of known size
 * (RFC 9110, section 14: "bytes" ranges). Sabaq serves one range per
 * response: a single satisfiable range gets 206, a header that names only
 * unsatisfiable ranges gets 416, and anything else (absent, malformed, another
 * unit, several ranges) is ignored and the whole file is sent with 200, which
 * RFC 9110 14.2 allows. Pure: no I/O, no allocation, input treated as hostile. */
#ifndef SIGNALING_HTTP_RANGE_H
#define SIGNALING_HTTP_RANGE_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_RANGE_MAX_HEADER 256   /* a longer header is ignored (whole file) */

enum http_range_result {
    HTTP_RANGE_WHOLE,            /* 200 with the whole file */
    HTTP_RANGE_PARTIAL,          /* 206 with [first, last] */
    HTTP_RANGE_UNSATISFIABLE,    /* 416, Content-Range "bytes *" "/size" */
};

struct http_range {
    uint64_t first, last;        /* inclusive; valid for HTTP_RANGE_PARTIAL */
};

/* header: the value of Range (len bytes, need not be NUL-terminated; NULL or
 * 0 when absent); size: the file's length now. */
enum http_range_result http_range_parse(const char *header, size_t len, uint64_t size,
                                        struct http_range *out);

/* The Content-Range value, "bytes first-last/size" (206) or an asterisk
 * then "/size" (416), into out; the length
 * written, or 0 when cap is too small. */
size_t http_range_content_range(enum http_range_result r, const struct http_range *range,
                                uint64_t size, char *out, size_t cap);

#endif
