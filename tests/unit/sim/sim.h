/* A simulated network on a virtual clock: one rtc_core, its datagrams caught
 * by a capturing tx_batch, and in-memory peers. Nothing touches a socket or
 * the real clock. */
#ifndef SABAQ_TEST_SIM_H
#define SABAQ_TEST_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sabaq/dtls.h"
#include "sabaq/sfu.h"
#include "rtc/datagram.h"
#include "rtc/rtc_core.h"
#include "peer.h"

#define SIM_MAX_PEERS 8
#define SIM_MAX_EVENTS 64
#define SIM_TX_SLOTS 16

struct sim_pending {
    struct sockaddr_storage to;
    socklen_t to_len;
    size_t len;
    uint8_t data[DATAGRAM_MAX];
};

struct sim {
    uint64_t now_us;
    struct dtls_cert *cert;      /* owned: the SFU's */
    struct rtc_core *core;       /* owned */
    struct tx_batch tx;
    struct datagram slots[SIM_TX_SLOTS];
    struct sim_pending *pending; /* owned: captured from the core, not delivered */
    size_t n_pending, cap_pending;
    size_t n_unroutable;         /* sent to an address no peer has */
    size_t n_sent;               /* every datagram the core sent */
    struct sim_peer *peers[SIM_MAX_PEERS]; /* borrowed */
    size_t n_peers;
    struct sfu_event events[SIM_MAX_EVENTS];
    size_t n_events;
};

/* 0 or -1. The clock starts at 1 s. */
int sim_init(struct sim *s, uint32_t consent_timeout_ms);
void sim_destroy(struct sim *s);
void sim_add_peer(struct sim *s, struct sim_peer *p);

/* Moves datagrams both ways until nothing is in flight. */
void sim_deliver(struct sim *s);
/* Advances the clock in 1 ms steps, firing timers and delivering. */
void sim_run_ms(struct sim *s, uint64_t ms);

/* How many events of this type (and id, unless id is 0) were emitted; the
 * last one's detail in *detail when non-NULL. */
size_t sim_count_events(const struct sim *s, enum sfu_event_type type, uint32_t id,
                        const char **detail);

/* sockaddr helpers: an IPv4 address, or the same as a v4-mapped IPv6 one
 * (what a dual-stack socket reports). */
socklen_t sim_addr_v4(struct sockaddr_storage *ss, const char *ip, uint16_t port);
socklen_t sim_addr_v4_mapped(struct sockaddr_storage *ss, const char *ip, uint16_t port);

#endif
