/* Which transport a datagram belongs to (DESIGN: one UDP port for every
 * peer). A STUN Binding request is matched by the ufrag in USERNAME; once ICE
 * has validated a source address, the address maps to the transport. Both
 * tables are chained hashes whose nodes live inside the owner (the
 * transport), so lookups and links never allocate; only the bucket arrays
 * grow, on a link, which happens per new path, never per packet. */
#ifndef SABAQ_RTC_DEMUX_H
#define SABAQ_RTC_DEMUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* IPv4 addresses are keyed in their v4-mapped IPv6 form, so a dual-stack
 * socket's ::ffff:a.b.c.d and a plain a.b.c.d are the same peer. */
#define DEMUX_KEY_LEN 18         /* 16-byte address + 2-byte port */

struct demux_addr_node {
    struct demux_addr_node *next; /* bucket chain (the demux's while linked) */
    uint8_t key[DEMUX_KEY_LEN];
    uint32_t hash;
    bool is_linked;
    void *owner;                 /* borrowed: whoever embeds the node */
};

struct demux_ufrag_node {
    struct demux_ufrag_node *next;
    const char *ufrag;           /* borrowed from the owner */
    size_t len;
    uint32_t hash;
    bool is_linked;
    void *owner;
};

struct demux {
    struct demux_addr_node **addr;   /* owned bucket array */
    size_t addr_mask, n_addr;
    struct demux_ufrag_node **ufrag; /* owned bucket array */
    size_t ufrag_mask, n_ufrag;
    uint32_t seed;
};

int demux_init(struct demux *d, uint32_t seed);
void demux_destroy(struct demux *d);

/* 0, or -SQ_EINVAL for anything but AF_INET / AF_INET6 of the right length. */
int demux_addr_key(uint8_t key[DEMUX_KEY_LEN], const struct sockaddr_storage *a, socklen_t len);

/* Links `n` for address `a`. An address belongs to one owner: a node already
 * linked for it (another transport's old path) is unlinked first.
 * 0 or -SQ_EINVAL. */
int demux_add_addr(struct demux *d, struct demux_addr_node *n, const struct sockaddr_storage *a,
                   socklen_t len, void *owner);
void demux_remove_addr(struct demux *d, struct demux_addr_node *n);
void *demux_find_addr(const struct demux *d, const struct sockaddr_storage *a, socklen_t len);

/* `ufrag` must stay valid while linked. 0 or -SQ_EEXIST. */
int demux_add_ufrag(struct demux *d, struct demux_ufrag_node *n, const char *ufrag, void *owner);
void demux_remove_ufrag(struct demux *d, struct demux_ufrag_node *n);
void *demux_find_ufrag(const struct demux *d, const uint8_t *ufrag, size_t len);

#endif
