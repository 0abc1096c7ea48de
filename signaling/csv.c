/* CSV reports (see csv.h; RFC 4180). */
#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void put(struct csv *c, const char *s, size_t n)
{
    if (c->failed)
        return;
    if (c->len + n + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 4096;
        while (cap < c->len + n + 1)
            cap *= 2;
        char *b = realloc(c->buf, cap);
        if (!b) {
            c->failed = true;
            return;
        }
        c->buf = b;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, s, n);
    c->len += n;
    c->buf[c->len] = '\0';
}

void csv_init(struct csv *c)
{
    memset(c, 0, sizeof(*c));
    put(c, "\xEF\xBB\xBF", 3);
}

static void separator(struct csv *c)
{
    if (c->in_row)
        put(c, ",", 1);
    c->in_row = true;
}

void csv_text(struct csv *c, const char *text)
{
    separator(c);
    if (!text || !*text)
        return;
    bool formula = strchr("=+-@\t\r", text[0]) != NULL;
    bool quote = formula || strpbrk(text, ",\"\r\n") != NULL || text[0] == ' ';
    if (quote)
        put(c, "\"", 1);
    if (formula)
        put(c, "'", 1);
    for (const char *p = text; *p;) {
        const char *q = strchr(p, '"');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        put(c, p, n);
        if (!q)
            break;
        put(c, "\"\"", 2);
        p = q + 1;
    }
    if (quote)
        put(c, "\"", 1);
}

void csv_int(struct csv *c, long long v)
{
    char num[32];
    int n = snprintf(num, sizeof(num), "%lld", v);
    separator(c);
    put(c, num, (size_t)n);
}

void csv_format_time(char *out, size_t cap, uint64_t ms, int tz_offset_min)
{
    time_t t = (time_t)(ms / 1000) + (time_t)tz_offset_min * 60;
    struct tm tm;
    gmtime_r(&t, &tm);
    char date[32];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    if (tz_offset_min == 0) {
        snprintf(out, cap, "%sZ", date);
        return;
    }
    int a = tz_offset_min < 0 ? -tz_offset_min : tz_offset_min;
    snprintf(out, cap, "%s%c%02d:%02d", date, tz_offset_min < 0 ? '-' : '+', a / 60, a % 60);
}

void csv_time(struct csv *c, uint64_t ms, int tz_offset_min)
{
    if (!ms) {
        separator(c);
        return;
    }
    char s[48];
    csv_format_time(s, sizeof(s), ms, tz_offset_min);
    separator(c);
    put(c, s, strlen(s));
}

void csv_end_row(struct csv *c)
{
    put(c, "\r\n", 2);
    c->in_row = false;
}

char *csv_finish(struct csv *c, size_t *len)
{
    char *b = c->failed ? NULL : c->buf;
    if (!b)
        free(c->buf);
    if (len)
        *len = b ? c->len : 0;
    memset(c, 0, sizeof(*c));
    return b;
}
