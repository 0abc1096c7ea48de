/* Writing CSV reports (RFC 4180: CRLF rows, a cell with a comma, quote or
 * line break is quoted with its quotes doubled) that are safe to open in a
 * spreadsheet: a text cell starting with = + - @ TAB or CR gets a leading
 * apostrophe so it is not run as a formula (OWASP "CSV injection"). The
 * document starts with a UTF-8 byte order mark so Excel reads Cyrillic. */
#ifndef SIGNALING_CSV_H
#define SIGNALING_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct csv {
    char *buf;          /* owned until csv_finish */
    size_t len, cap;
    bool failed;        /* out of memory: csv_finish returns NULL */
    bool in_row;        /* a cell was written in the current row */
};

void csv_init(struct csv *c);
/* A text cell (NULL is an empty cell). */
void csv_text(struct csv *c, const char *text);
void csv_int(struct csv *c, long long v);
/* A time as ISO 8601 with the given offset east of UTC in minutes, e.g.
 * "2025-09-01T09:00:00+05:00"; 0 ms is an empty cell. */
void csv_time(struct csv *c, uint64_t ms, int tz_offset_min);
void csv_end_row(struct csv *c);
/* The document (malloc'd, NUL-terminated, *len without the NUL), or NULL when
 * memory ran out. The struct is reset either way. */
char *csv_finish(struct csv *c, size_t *len);

/* Formats ms as ISO 8601 (as csv_time) into out. */
void csv_format_time(char *out, size_t cap, uint64_t ms, int tz_offset_min);

#endif
