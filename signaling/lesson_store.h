/* Lesson definitions in the store: what a teacher created through
 * POST /api/lessons (title, language, time, limits, options) and whether the
 * lesson has ended. Rows are committed before the API answers. */
#ifndef SIGNALING_LESSON_STORE_H
#define SIGNALING_LESSON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

#define LESSON_ID_LEN 12            /* random [A-Za-z0-9] */
#define LESSON_DEFAULT_MINUTES 45
#define LESSON_MAX_MINUTES 120
#define LESSON_DEFAULT_MAX_PARTICIPANTS 500
#define LESSON_MAX_PARTICIPANTS 500
#define LESSON_DEFAULT_LAST_N 4     /* speaker videos each participant receives */
#define LESSON_MAX_LAST_N 16

struct lesson_def {
    char id[65];
    char title[257];                /* 1-120 characters of UTF-8 */
    char language[3];               /* "kk", "ru", "en" */
    int64_t start_ms;               /* ms since the Unix epoch */
    uint32_t duration_min;          /* 1-120 */
    uint32_t max_participants;      /* 2-500, staff included */
    bool lobby;                     /* students wait to be admitted */
    bool students_publish;          /* students may publish without the floor */
    bool students_video;            /* a student with the floor may send camera/screen too */
    bool single_use;                /* the student link works once; roster links likewise */
    uint8_t last_n;                 /* 0-16 speaker videos per participant (last-N) */
    bool auto_record;               /* recording starts by itself (recording.h) */
    int64_t owner;                  /* staff id of the teacher who made it */
    int64_t created_ms;
    int64_t ended_ms;               /* 0 while not ended */
};

/* Creates the table. 0 or -SQ_EIO. */
int lesson_store_init(struct store *st);
/* Fills d with the defaults (45 min, 500 people, "ru", starting now_ms, camera
 * with the floor allowed, the rest off). */
void lesson_store_defaults(struct lesson_def *d, int64_t now_ms);
/* Inserts d (d->id is filled with a fresh random id). 0 or -SQ_EIO. */
int lesson_store_create(struct store *st, struct lesson_def *d);
/* 0, -SQ_ENOTFOUND or -SQ_EIO. */
int lesson_store_get(struct store *st, const char *id, struct lesson_def *out);
/* Marks the lesson ended at now_ms (kept if already ended). 0 or -SQ_EIO. */
int lesson_store_end(struct store *st, const char *id, int64_t now_ms);
/* The lessons of one teacher, newest first: calls fn for each (at most max). */
int lesson_store_list(struct store *st, int64_t owner, size_t max,
                      void (*fn)(const struct lesson_def *d, void *arg), void *arg);

/* The time after which the lesson's links stop working: start + duration + 12 h. */
int64_t lesson_store_links_expire_ms(const struct lesson_def *d);

#endif
