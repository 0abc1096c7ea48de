/* Where each object of the media plane lives, as the control thread knows
 * it (sfu.c): the worker of every transport (chosen at creation: the one
 * with the fewest transports, round robin among equals), the producers and
 * consumers on it, and how many consumers each worker has of each producer
 * (a worker other than the producer's needs a mirror of it while that count
 * is above zero; rtc/mesh.h). Control thread only: plain fields. */
#ifndef SABAQ_SFU_PLACE_H
#define SABAQ_SFU_PLACE_H

#include <stdbool.h>
#include <stdint.h>

#include "sabaq/sdp.h"
#include "rtc/idmap.h"
#include "rtc/list.h"
#include "rtc/mesh.h"

struct place_transport {
    uint32_t id;
    unsigned worker;
    char ufrag[33];              /* "" for pre-connected transports */
    struct list producers;       /* struct place_producer.link */
    struct list consumers;       /* struct place_consumer.link */
};

struct place_producer {
    uint32_t id;
    unsigned worker;             /* its transport's */
    struct place_transport *transport; /* borrowed: frees its producers first */
    struct list link;
    struct sdp_track track;      /* what a mirror is made from */
    uint32_t consumers_on[MESH_MAX_WORKERS]; /* > 0 on another worker: a mirror there */
};

struct place_consumer {
    uint32_t id;
    struct place_transport *transport; /* borrowed */
    struct list link;
    uint32_t producer_id;        /* 0 = idle; may name a producer already closed */
};

struct sfu_place {
    unsigned n_workers;
    uint32_t transports_on[MESH_MAX_WORKERS];
    unsigned next;               /* round robin among the least loaded */
    struct idmap transports, producers, consumers; /* owned entries */
};

int sfu_place_init(struct sfu_place *p, unsigned n_workers);
void sfu_place_destroy(struct sfu_place *p);

/* The worker for a new transport. */
unsigned sfu_place_choose(struct sfu_place *p);

/* New entries: NULL (-SQ_EEXIST or no memory) when they cannot be made. */
struct place_transport *sfu_place_add_transport(struct sfu_place *p, uint32_t id, unsigned worker,
                                                const char *ufrag);
struct place_producer *sfu_place_add_producer(struct sfu_place *p, uint32_t id,
                                              struct place_transport *t,
                                              const struct sdp_track *track);
struct place_consumer *sfu_place_add_consumer(struct sfu_place *p, uint32_t id,
                                              struct place_transport *t, uint32_t producer_id);

static inline struct place_transport *sfu_place_transport(struct sfu_place *p, uint32_t id)
{
    return idmap_get(&p->transports, id);
}
static inline struct place_producer *sfu_place_producer(struct sfu_place *p, uint32_t id)
{
    return id ? idmap_get(&p->producers, id) : NULL;
}
static inline struct place_consumer *sfu_place_consumer(struct sfu_place *p, uint32_t id)
{
    return idmap_get(&p->consumers, id);
}

/* A transport (other than `except`) with this ufrag: a scan, made per
 * transport created or closed, never per packet. */
struct place_transport *sfu_place_find_ufrag(struct sfu_place *p, const char *ufrag,
                                             const struct place_transport *except);

/* Forget an entry (a transport only once its producers and consumers are
 * gone). */
void sfu_place_remove_transport(struct sfu_place *p, struct place_transport *t);
void sfu_place_remove_producer(struct sfu_place *p, struct place_producer *pr);
void sfu_place_remove_consumer(struct sfu_place *p, struct place_consumer *c);

#endif
