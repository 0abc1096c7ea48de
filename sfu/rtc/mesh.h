/* How one rtc_core reaches the other media workers (DESIGN "Threads"), still
 * sans-IO: the core calls these hooks, the worker (sfu/io/worker_mesh.c)
 * turns them into messages on single-producer single-consumer rings.
 *
 * - A producer lives on the worker of its transport (its owner). Each other
 *   worker that has consumers of it holds a *mirror*: a producer object fed
 *   with the owner's packets, already parsed and decrypted, handed over by
 *   reference. The mirror keeps its own NACK cache, layer sizes, bitrates
 *   and receive counters, so its consumers rewrite, encrypt and answer NACKs
 *   on their own worker. What only the owner can do goes back to it:
 *   keyframe requests (PLI/FIR go to the publisher) and the layers the
 *   mirror's consumers want (LAYERS_CHANGED is the owner's). Speaking and
 *   PRODUCER_ACTIVE events come from the owner only.
 * - All workers share the one UDP port (SO_REUSEPORT); the kernel picks a
 *   socket by a hash of the 4-tuple, not by the transport's worker. A STUN
 *   check whose ufrag belongs to another worker's transport is forwarded
 *   there (routes set by the control plane with each transport); when the
 *   owner finds it valid it *claims* the source address, and everything
 *   later from that address is forwarded too. A claim not refreshed (ICE
 *   consent checks, every few seconds) expires.
 *
 * Worker indexes are small (MESH_MAX_WORKERS); a set of them is a bitmask. */
#ifndef SABAQ_RTC_MESH_H
#define SABAQ_RTC_MESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sabaq/rtcp.h"
#include "rtc/demux.h"
#include "rtc/list.h"

#define MESH_MAX_WORKERS 32

struct mesh_ops {
    /* Owner: a producer's packet (decrypted, RTX unwrapped) for the mirrors
     * on `workers`. buf is only borrowed for the call. */
    void (*share_rtp)(void *arg, uint32_t producer_id, uint32_t workers, const uint8_t *buf,
                      size_t len, uint8_t layer);
    /* Owner: the publisher's sender report for one of the producer's SSRCs. */
    void (*share_sr)(void *arg, uint32_t producer_id, uint32_t workers,
                     const struct rtcp_sender_report *sr);
    /* Mirror: a consumer here needs a keyframe of `layer`. */
    void (*ask_keyframe)(void *arg, unsigned owner, uint32_t producer_id, uint8_t layer);
    /* Mirror: the simulcast layers consumers here want now (bit i = layer i). */
    void (*report_wanted)(void *arg, unsigned owner, uint32_t producer_id, uint8_t layers);
    /* A datagram for another worker's transport. */
    void (*forward)(void *arg, unsigned worker, const uint8_t *buf, size_t len,
                    const struct sockaddr_storage *from, socklen_t from_len);
    /* Owner: `from` is a validated path of a transport here; the worker
     * whose socket receives it should forward its datagrams. */
    void (*claim)(void *arg, unsigned worker, const struct sockaddr_storage *from,
                  socklen_t from_len);
};

/* A claimed address unrefreshed this long is forgotten (consent checks come
 * every ~5 s while a peer lives). */
#define MESH_ADDR_ROUTE_TTL_US 60000000ull

struct mesh {
    const struct mesh_ops *ops;  /* borrowed; NULL: a lone core (tests, bench) */
    void *arg;                   /* borrowed */
    unsigned self;               /* this core's worker index */
    struct demux routes;         /* ufrag / address -> struct mesh_*_route */
    struct list ufrag_routes;    /* struct mesh_ufrag_route.link */
    struct list addr_routes;     /* struct mesh_addr_route.link */
    uint64_t forwarded, claims, drop_loop;
};

struct mesh_ufrag_route {
    struct demux_ufrag_node node;
    struct list link;
    unsigned worker;
    char ufrag[33];
};

struct mesh_addr_route {
    struct demux_addr_node node;
    struct list link;
    unsigned worker;
    bool is_static;              /* set by the control plane: never expires */
    uint64_t refreshed_us;
};

int mesh_init(struct mesh *m, const struct mesh_ops *ops, void *arg, unsigned self, uint32_t seed);
void mesh_destroy(struct mesh *m);

static inline bool mesh_is_on(const struct mesh *m)
{
    return m->ops != NULL;
}

/* The control plane's routes: a transport on `worker` owns this ufrag.
 * 0, -SQ_EINVAL (too long), -SQ_ENOMEM; a second route replaces the first. */
int mesh_route_ufrag(struct mesh *m, const char *ufrag, unsigned worker);
void mesh_unroute_ufrag(struct mesh *m, const char *ufrag);
/* An address owned by `worker`: claimed (expires) or static (pre-connected
 * transports of tests and bench/). 0, -SQ_EINVAL, -SQ_ENOMEM. */
int mesh_route_addr(struct mesh *m, const struct sockaddr_storage *a, socklen_t len,
                    unsigned worker, bool is_static, uint64_t now_us);
/* The worker a ufrag / address belongs to, -1 when none. */
int mesh_find_ufrag(const struct mesh *m, const uint8_t *ufrag, size_t len);
int mesh_find_addr(const struct mesh *m, const struct sockaddr_storage *a, socklen_t len);
/* Forgets claims older than MESH_ADDR_ROUTE_TTL_US. */
void mesh_expire(struct mesh *m, uint64_t now_us);

#endif
