/* RFC 9110 section 14.1.2 byte ranges (see http_range.h):
 *   Range = "bytes" "=" range-spec *( OWS "," OWS range-spec )
 *   range-spec = first-pos "-" [ last-pos ]  /  "-" suffix-length
 * Only one range-spec is honoured; several are ignored as a whole. */
#include "http_range.h"

#include <stdbool.h>
#include <stdio.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

/* Reads 1*DIGIT at *i; false when none or when it does not fit in 63 bits
 * (an absurd position is malformed, not a huge file). */
static bool number(const char *s, size_t len, size_t *i, uint64_t *out)
{
    uint64_t v = 0;
    size_t start = *i;
    while (*i < len && is_digit(s[*i])) {
        if (v > (UINT64_C(1) << 62) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[*i] - '0');
        (*i)++;
    }
    *out = v;
    return *i > start;
}

enum http_range_result http_range_parse(const char *header, size_t len, uint64_t size,
                                        struct http_range *out)
{
    static const char unit[] = "bytes=";
    size_t i = 0;
    if (!header || len == 0 || len > HTTP_RANGE_MAX_HEADER || len < sizeof(unit) - 1)
        return HTTP_RANGE_WHOLE;
    for (; i < sizeof(unit) - 1; i++) {
        char c = header[i];
        if (c >= 'A' && c <= 'Z')   /* the range unit is case-insensitive */
            c = (char)(c - 'A' + 'a');
        if (c != unit[i])
            return HTTP_RANGE_WHOLE;
    }
    while (i < len && is_ows(header[i]))
        i++;
    uint64_t first = 0, last = 0;
    bool suffix = i < len && header[i] == '-', has_last = false;
    if (suffix)
        i++;
    if (!number(header, len, &i, &first))
        return HTTP_RANGE_WHOLE;
    if (!suffix) {
        if (i >= len || header[i] != '-')
            return HTTP_RANGE_WHOLE;
        i++;
        if (i < len && is_digit(header[i])) {
            if (!number(header, len, &i, &last))
                return HTTP_RANGE_WHOLE;
            has_last = true;
        }
    }
    while (i < len && is_ows(header[i]))
        i++;
    if (i != len)   /* a second range, or garbage: ignore the header */
        return HTTP_RANGE_WHOLE;
    if (suffix) {
        /* "-N": the last N bytes; "-0" and an empty file cannot be satisfied. */
        if (first == 0 || size == 0)
            return HTTP_RANGE_UNSATISFIABLE;
        out->first = first >= size ? 0 : size - first;
        out->last = size - 1;
        return HTTP_RANGE_PARTIAL;
    }
    if (has_last && last < first)   /* invalid: RFC 9110 says ignore it */
        return HTTP_RANGE_WHOLE;
    if (first >= size)
        return HTTP_RANGE_UNSATISFIABLE;
    out->first = first;
    out->last = has_last && last < size ? last : size - 1;
    return HTTP_RANGE_PARTIAL;
}

size_t http_range_content_range(enum http_range_result r, const struct http_range *range,
                                uint64_t size, char *out, size_t cap)
{
    int n;
    if (r == HTTP_RANGE_PARTIAL)
        n = snprintf(out, cap, "bytes %llu-%llu/%llu", (unsigned long long)range->first,
                     (unsigned long long)range->last, (unsigned long long)size);
    else if (r == HTTP_RANGE_UNSATISFIABLE)
        n = snprintf(out, cap, "bytes */%llu", (unsigned long long)size);
    else
        n = snprintf(out, cap, "bytes 0-%llu/%llu",
                     (unsigned long long)(size ? size - 1 : 0), (unsigned long long)size);
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}
