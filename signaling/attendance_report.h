/* Attendance records in memory and what is made of them: loading a lesson's
 * records from the store, the panel rows for staff (JSON) and the CSV report.
 * Shared by attendance.c (the live copy) and the HTTP export. */
#ifndef SIGNALING_ATTENDANCE_REPORT_H
#define SIGNALING_ATTENDANCE_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attendance.h"

struct store;

struct attendance_interval {
    uint64_t join_ms;
    uint64_t leave_ms;   /* 0 while open */
};

/* One identity of a lesson. */
struct attendee {
    char identity[ATTENDANCE_IDENTITY_LEN];
    char key[24];                  /* stable in the lesson: "r12", "s3", "a7" */
    char name[257];
    char role[16];
    char participant[16];          /* the current participant id, "" when away */
    unsigned present;              /* 1 while an interval is open */
    struct attendance_interval *intervals;   /* owned, in join order */
    size_t n_intervals, cap_intervals;
    uint64_t speaking_ms;
    uint64_t speaking_since_ms;    /* 0 unless speaking now */
    long long chat, polls, hands;
};

struct attendance_state {
    struct attendee *people;       /* owned array, in first-join order */
    size_t n, cap;
    uint64_t touched_ms;           /* last seen_ms written */
};

/* Fills a (zeroed) from the store: people, intervals (an open one ends at its
 * seen_ms), chat and poll counts. 0 or -SQ_E... (a may hold a part: free it). */
int attendance_load(struct store *st, const char *lesson_id, struct attendance_state *a);
void attendance_state_free(struct attendance_state *a);

/* The index of identity's record, appended (zeroed, keyed) when create; -1
 * when absent or out of memory. */
long attendance_person_find(struct attendance_state *a, const char *identity, bool create);
/* 0 or -SQ_ENOMEM. */
int attendance_interval_add(struct attendee *e, uint64_t join_ms, uint64_t leave_ms);
/* Milliseconds present: the union of the intervals, open ones up to now_ms. */
uint64_t attendance_present_ms(const struct attendee *e, uint64_t now_ms);

/* One row of the panel (docs/protocol.md, "Attendance"). */
json_t *attendance_row_json(const struct attendee *e, uint64_t now_ms);
/* `attendance` {lesson, rows}: a's people and the roster entries who never came. */
json_t *attendance_panel_json(struct store *st, const char *lesson_id,
                              const struct attendance_state *a, json_t *req, uint64_t now_ms);
/* The CSV report of a (see attendance_csv). */
char *attendance_report_csv(struct store *st, const char *lesson_id,
                            const struct attendance_state *a, uint64_t now_ms,
                            int tz_offset_min, size_t *len);

#endif
