/* The control thread's map of the media plane (see sfu_place.h). */
#include "sfu_place.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"

int sfu_place_init(struct sfu_place *p, unsigned n_workers)
{
    memset(p, 0, sizeof(*p));
    if (n_workers == 0 || n_workers > MESH_MAX_WORKERS)
        return -SQ_EINVAL;
    p->n_workers = n_workers;
    if (idmap_init(&p->transports) < 0 || idmap_init(&p->producers) < 0 ||
        idmap_init(&p->consumers) < 0) {
        sfu_place_destroy(p);
        return -SQ_ENOMEM;
    }
    return 0;
}

static void free_values(struct idmap *m)
{
    if (!m->slots)
        return;
    for (size_t i = 0; i <= m->mask; i++)
        free(m->slots[i].value);
    idmap_destroy(m);
}

void sfu_place_destroy(struct sfu_place *p)
{
    free_values(&p->consumers);
    free_values(&p->producers);
    free_values(&p->transports);
}

unsigned sfu_place_choose(struct sfu_place *p)
{
    unsigned best = p->next % p->n_workers;
    for (unsigned k = 1; k < p->n_workers; k++) {
        unsigned w = (p->next + k) % p->n_workers;
        if (p->transports_on[w] < p->transports_on[best])
            best = w;
    }
    p->next = best + 1;
    return best;
}

struct place_transport *sfu_place_add_transport(struct sfu_place *p, uint32_t id, unsigned worker,
                                                const char *ufrag)
{
    struct place_transport *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->id = id;
    t->worker = worker;
    if (ufrag)
        strncpy(t->ufrag, ufrag, sizeof(t->ufrag) - 1);
    list_init(&t->producers);
    list_init(&t->consumers);
    if (idmap_put(&p->transports, id, t) < 0) {
        free(t);
        return NULL;
    }
    p->transports_on[worker]++;
    return t;
}

struct place_producer *sfu_place_add_producer(struct sfu_place *p, uint32_t id,
                                              struct place_transport *t,
                                              const struct sdp_track *track)
{
    struct place_producer *pr = calloc(1, sizeof(*pr));
    if (!pr)
        return NULL;
    pr->id = id;
    pr->worker = t->worker;
    pr->transport = t;
    pr->track = *track;
    if (idmap_put(&p->producers, id, pr) < 0) {
        free(pr);
        return NULL;
    }
    list_add_tail(&t->producers, &pr->link);
    return pr;
}

struct place_consumer *sfu_place_add_consumer(struct sfu_place *p, uint32_t id,
                                              struct place_transport *t, uint32_t producer_id)
{
    struct place_consumer *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->id = id;
    c->transport = t;
    c->producer_id = producer_id;
    if (idmap_put(&p->consumers, id, c) < 0) {
        free(c);
        return NULL;
    }
    list_add_tail(&t->consumers, &c->link);
    return c;
}

void sfu_place_remove_transport(struct sfu_place *p, struct place_transport *t)
{
    idmap_remove(&p->transports, t->id);
    p->transports_on[t->worker]--;
    free(t);
}

void sfu_place_remove_producer(struct sfu_place *p, struct place_producer *pr)
{
    idmap_remove(&p->producers, pr->id);
    list_remove(&pr->link);
    free(pr);
}

void sfu_place_remove_consumer(struct sfu_place *p, struct place_consumer *c)
{
    idmap_remove(&p->consumers, c->id);
    list_remove(&c->link);
    free(c);
}

struct place_transport *sfu_place_find_ufrag(struct sfu_place *p, const char *ufrag,
                                             const struct place_transport *except)
{
    for (size_t i = 0; ufrag && *ufrag && i <= p->transports.mask; i++) {
        struct place_transport *t = p->transports.slots[i].value;
        if (t && t != except && strcmp(t->ufrag, ufrag) == 0)
            return t;
    }
    return NULL;
}
