/* The routes of one core toward the other workers' transports (see mesh.h).
 * Nodes are allocated per route, which is a command or a validated new path,
 * never a packet; lookups use the demux tables' hashes. */
#include "rtc/mesh.h"

#include <stdlib.h>
#include <string.h>

#include "sabaq/error.h"

int mesh_init(struct mesh *m, const struct mesh_ops *ops, void *arg, unsigned self, uint32_t seed)
{
    memset(m, 0, sizeof(*m));
    m->ops = ops;
    m->arg = arg;
    m->self = self;
    list_init(&m->ufrag_routes);
    list_init(&m->addr_routes);
    return demux_init(&m->routes, seed);
}

static void free_addr_route(struct mesh *m, struct mesh_addr_route *r)
{
    demux_remove_addr(&m->routes, &r->node);
    list_remove(&r->link);
    free(r);
}

static void free_ufrag_route(struct mesh *m, struct mesh_ufrag_route *r)
{
    demux_remove_ufrag(&m->routes, &r->node);
    list_remove(&r->link);
    free(r);
}

void mesh_destroy(struct mesh *m)
{
    struct list *pos, *tmp;
    if (!m->routes.addr)
        return;
    list_for_each_safe(pos, tmp, &m->addr_routes)
        free_addr_route(m, list_entry(pos, struct mesh_addr_route, link));
    list_for_each_safe(pos, tmp, &m->ufrag_routes)
        free_ufrag_route(m, list_entry(pos, struct mesh_ufrag_route, link));
    demux_destroy(&m->routes);
}

int mesh_route_ufrag(struct mesh *m, const char *ufrag, unsigned worker)
{
    size_t len = strlen(ufrag);
    if (len == 0 || len >= sizeof(((struct mesh_ufrag_route *)0)->ufrag))
        return -SQ_EINVAL;
    struct mesh_ufrag_route *r = demux_find_ufrag(&m->routes, (const uint8_t *)ufrag, len);
    if (r) {
        r->worker = worker;
        return 0;
    }
    r = calloc(1, sizeof(*r));
    if (!r)
        return -SQ_ENOMEM;
    memcpy(r->ufrag, ufrag, len + 1);
    r->worker = worker;
    int rc = demux_add_ufrag(&m->routes, &r->node, r->ufrag, r);
    if (rc < 0) {
        free(r);
        return rc;
    }
    list_add_tail(&m->ufrag_routes, &r->link);
    return 0;
}

void mesh_unroute_ufrag(struct mesh *m, const char *ufrag)
{
    struct mesh_ufrag_route *r =
        demux_find_ufrag(&m->routes, (const uint8_t *)ufrag, strlen(ufrag));
    if (r)
        free_ufrag_route(m, r);
}

int mesh_route_addr(struct mesh *m, const struct sockaddr_storage *a, socklen_t len,
                    unsigned worker, bool is_static, uint64_t now_us)
{
    uint8_t key[DEMUX_KEY_LEN];
    if (demux_addr_key(key, a, len) < 0)
        return -SQ_EINVAL;
    struct mesh_addr_route *r = demux_find_addr(&m->routes, a, len);
    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r)
            return -SQ_ENOMEM;
        if (demux_add_addr(&m->routes, &r->node, a, len, r) < 0) {
            free(r);
            return -SQ_EINVAL;
        }
    } else {
        list_remove(&r->link);
    }
    r->worker = worker;
    r->is_static = r->is_static || is_static;
    r->refreshed_us = now_us;
    /* Kept in refresh order: expiry looks at the oldest only. */
    list_add_tail(&m->addr_routes, &r->link);
    return 0;
}

int mesh_find_ufrag(const struct mesh *m, const uint8_t *ufrag, size_t len)
{
    const struct mesh_ufrag_route *r = demux_find_ufrag(&m->routes, ufrag, len);
    return r ? (int)r->worker : -1;
}

int mesh_find_addr(const struct mesh *m, const struct sockaddr_storage *a, socklen_t len)
{
    const struct mesh_addr_route *r = demux_find_addr(&m->routes, a, len);
    return r ? (int)r->worker : -1;
}

void mesh_expire(struct mesh *m, uint64_t now_us)
{
    struct list *pos, *tmp;
    list_for_each_safe(pos, tmp, &m->addr_routes) {
        struct mesh_addr_route *r = list_entry(pos, struct mesh_addr_route, link);
        if (now_us - r->refreshed_us < MESH_ADDR_ROUTE_TTL_US)
            return;
        if (!r->is_static)
            free_addr_route(m, r);
    }
}
