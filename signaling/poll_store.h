/* Polls in memory and in the store (tables poll and poll_vote): the model
 * poll.c works on, loading a lesson's polls, writing each change, and the
 * CSV export. A lesson's polls are loaded once, at first use. */
#ifndef SIGNALING_POLL_STORE_H
#define SIGNALING_POLL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attendance.h"
#include "poll.h"
#include "rate_limit.h"

enum poll_kind { POLL_SINGLE, POLL_MULTIPLE, POLL_YESNO, POLL_OPEN };

struct poll_vote {
    char voter[ATTENDANCE_IDENTITY_LEN];   /* attendance_identity() */
    char name[257];                        /* "" in an anonymous poll */
    uint16_t choices;                      /* bit i: option i chosen */
    char *text;                            /* owned: the open answer, else NULL */
    uint64_t at_ms;
};

struct poll {
    long long id;
    char *question;                        /* owned */
    enum poll_kind kind;
    char *options[POLL_MAX_OPTIONS];       /* owned */
    size_t n_options;
    bool anonymous, closed, published;
    struct poll_vote *votes;               /* owned array */
    size_t n_votes, cap_votes;
};

struct poll_rate {
    char voter[ATTENDANCE_IDENTITY_LEN];
    struct rate_limit rate;
};

struct poll_state {
    struct poll *polls;                    /* owned array, in creation order */
    size_t n, cap;
    struct poll_rate *rates;               /* owned array: answer rate per voter */
    size_t n_rates, cap_rates;
};

const char *poll_kind_name(enum poll_kind k);
/* 0, or -1 for an unknown name. */
int poll_kind_parse(const char *name, enum poll_kind *out);

/* Fills ps (zeroed) with the lesson's polls and votes. 0 or -SQ_E... */
int poll_store_load(struct store *st, const char *lesson_id, struct poll_state *ps);
void poll_state_free(struct poll_state *ps);
/* Frees what one poll owns. */
void poll_free(struct poll *p);

/* Stores a new poll (p->id is set) and moves it into ps (p is zeroed).
 * 0 or -SQ_E... (nothing stored, p still owns its strings). */
int poll_store_create(struct store *st, const char *lesson_id, struct poll_state *ps,
                      struct poll *p, uint64_t now_ms);
/* Stores v as the voter's answer (replacing an older one), then copies it into
 * p. *first says whether it is the voter's first answer. 0 or -SQ_E... */
int poll_store_vote(struct store *st, const char *lesson_id, struct poll *p,
                    const struct poll_vote *v, bool *first);
/* Stores p->closed and p->published. 0 or -SQ_EIO. */
int poll_store_state(struct store *st, const struct poll *p, uint64_t now_ms);

struct poll *poll_find(struct poll_state *ps, long long id);
struct poll_vote *poll_vote_find(struct poll *p, const char *voter);
/* The voter's rate limit (made if new), or NULL when out of memory. */
struct rate_limit *poll_rate_of(struct poll_state *ps, const char *voter);

#endif
