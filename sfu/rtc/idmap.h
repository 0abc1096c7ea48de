/* uint32 id -> object pointer, for the ids the control plane chooses
 * (transports, producers, consumers). Open addressing with linear probing and
 * backward-shift deletion; it grows on insert, which is a command, never a
 * packet. */
#ifndef SABAQ_RTC_IDMAP_H
#define SABAQ_RTC_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap_entry {
    uint32_t id;
    void *value;                 /* borrowed; NULL marks a free slot */
};

struct idmap {
    struct idmap_entry *slots;   /* owned */
    size_t mask;                 /* capacity - 1 (a power of two) */
    size_t n;
};

int idmap_init(struct idmap *m);
void idmap_destroy(struct idmap *m);
void *idmap_get(const struct idmap *m, uint32_t id);
/* 0, -SQ_EEXIST, -SQ_EINVAL (NULL value) or -SQ_ENOMEM. */
int idmap_put(struct idmap *m, uint32_t id, void *value);
/* The removed value, NULL when absent. */
void *idmap_remove(struct idmap *m, uint32_t id);

#endif
