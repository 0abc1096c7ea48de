/* uint32 id -> pointer hash table (see idmap.h). */
#include "rtc/idmap.h"

#include <stdlib.h>

#include "sabaq/error.h"

#define INITIAL_CAP 16

static size_t slot_of(const struct idmap *m, uint32_t id)
{
    /* Fibonacci hashing spreads sequential ids over the table. */
    return (size_t)((id * 2654435769u) >> 7) & m->mask;
}

int idmap_init(struct idmap *m)
{
    m->slots = calloc(INITIAL_CAP, sizeof(*m->slots));
    m->mask = INITIAL_CAP - 1;
    m->n = 0;
    return m->slots ? 0 : -SQ_ENOMEM;
}

void idmap_destroy(struct idmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->n = 0;
}

void *idmap_get(const struct idmap *m, uint32_t id)
{
    for (size_t i = slot_of(m, id);; i = (i + 1) & m->mask) {
        const struct idmap_entry *e = &m->slots[i];
        if (!e->value)
            return NULL;
        if (e->id == id)
            return e->value;
    }
}

static void insert(struct idmap *m, uint32_t id, void *value)
{
    size_t i = slot_of(m, id);
    while (m->slots[i].value)
        i = (i + 1) & m->mask;
    m->slots[i].id = id;
    m->slots[i].value = value;
    m->n++;
}

static int grow(struct idmap *m)
{
    size_t old_cap = m->mask + 1;
    struct idmap_entry *old = m->slots;
    struct idmap_entry *slots = calloc(old_cap * 2, sizeof(*slots));
    if (!slots)
        return -SQ_ENOMEM;
    m->slots = slots;
    m->mask = old_cap * 2 - 1;
    m->n = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].value)
            insert(m, old[i].id, old[i].value);
    free(old);
    return 0;
}

int idmap_put(struct idmap *m, uint32_t id, void *value)
{
    if (!value)
        return -SQ_EINVAL;
    if (idmap_get(m, id))
        return -SQ_EEXIST;
    /* Keep the load under 1/2 so probes stay short. */
    if ((m->n + 1) * 2 > m->mask + 1) {
        int rc = grow(m);
        if (rc < 0)
            return rc;
    }
    insert(m, id, value);
    return 0;
}

void *idmap_remove(struct idmap *m, uint32_t id)
{
    size_t i = slot_of(m, id);
    while (m->slots[i].value && m->slots[i].id != id)
        i = (i + 1) & m->mask;
    void *value = m->slots[i].value;
    if (!value)
        return NULL;
    /* Backward-shift deletion: move later members of the probe run into the
     * hole when their home slot does not lie between the hole and them. */
    size_t hole = i;
    for (size_t j = (i + 1) & m->mask; m->slots[j].value; j = (j + 1) & m->mask) {
        size_t home = slot_of(m, m->slots[j].id);
        if (((j - home) & m->mask) >= ((j - hole) & m->mask)) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].value = NULL;
    m->n--;
    return value;
}
