/* A lesson's class list: the CSV a teacher uploads (POST
 * /api/lessons/<id>/roster) and its rows in the store, one personal link per
 * student (access.h makes the token, {"e": entry id}). An entry can be
 * revoked (whether it was used or removed is access.c's links table).
 * Attendance reports against these rows (who never came included): see
 * roster_list(); a participant who joined with a personal link has
 * participant.link "r<entry id>". */
#ifndef SIGNALING_ROSTER_H
#define SIGNALING_ROSTER_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define ROSTER_MAX_BYTES (256 * 1024)
#define ROSTER_MAX_ROWS 500
#define ROSTER_NAME_CHARS 64
#define ROSTER_CLASS_CHARS 32
#define ROSTER_SCHOOL_CHARS 120

struct roster_row {
    char name[ROSTER_NAME_CHARS * 4 + 1];
    char klass[ROSTER_CLASS_CHARS * 4 + 1];     /* "" when absent */
    char school[ROSTER_SCHOOL_CHARS * 4 + 1];   /* "" when absent */
};

struct roster_entry {
    int64_t id;
    char lesson[65];
    struct roster_row row;
    int64_t created_ms, revoked_ms;   /* revoked_ms 0: not revoked */
};

/* Parses an uploaded class list (RFC 4180 with either ',' or ';' between
 * fields, CRLF or LF, an optional UTF-8 BOM and an optional header row,
 * blank lines skipped): columns name, class (optional), school (optional).
 * Returns the number of rows (at least 1) with *rows malloc'd, or -1 with a
 * sentence naming the line in err (an empty list is an error too). Never
 * reads past len; any byte is safe. */
int roster_parse(const char *csv, size_t len, struct roster_row **rows, char *err, size_t cap);

/* Creates the table. 0 or -SQ_EIO. */
int roster_init(struct store *st);
/* Stores n rows for lesson in one transaction; ids[i] gets each row's id
 * (ids may be NULL). 0 or -SQ_EIO (nothing stored). */
int roster_add(struct store *st, const char *lesson, const struct roster_row *rows, size_t n,
               int64_t now_ms, int64_t *ids);
/* 0, -SQ_ENOTFOUND or -SQ_EIO. */
int roster_get(struct store *st, int64_t id, struct roster_entry *out);
/* The lesson's entries in upload order; the count or -SQ_EIO. */
int roster_list(struct store *st, const char *lesson,
                void (*fn)(const struct roster_entry *e, void *arg), void *arg);
/* 0, -SQ_ENOTFOUND (not in this lesson), -SQ_ESTATE (already revoked) or -SQ_EIO. */
int roster_revoke(struct store *st, const char *lesson, int64_t id, int64_t now_ms);

#endif
