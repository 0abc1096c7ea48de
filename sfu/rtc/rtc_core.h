/* The media plane's logic for one worker, sans-IO: datagrams in with a `now`,
 * datagrams out through a tx_batch, deadlines out, events out. The worker
 * (sfu/io/) owns the socket and the clock and calls these on its own thread;
 * tests and bench/ drive it directly in simulated time.
 * Commands mirror include/sabaq/sfu.h but run synchronously on the worker. */
#ifndef SABAQ_RTC_CORE_H
#define SABAQ_RTC_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sabaq/dtls.h"
#include "sabaq/sdp.h"
#include "sabaq/sfu.h"
#include "rtc/datagram.h"
#include "rtc/mesh.h"

struct rtc_core;
struct record_tap;

struct rtc_core_config {
    struct dtls_cert *cert;          /* borrowed: outlives the core */
    struct tx_batch *tx;             /* borrowed: every datagram goes out through it */
    uint32_t consent_timeout_ms;     /* 30000 */
    void (*emit)(void *arg, const struct sfu_event *ev); /* events for the control plane */
    void *emit_arg;
    /* Added: unix wall clock = now_us + this, for the NTP time of sender
     * reports (the core never reads a clock). The worker sets it to
     * sq_wallclock_us() - sq_now_us(); 0 in simulations. */
    int64_t wallclock_offset_us;
    /* The other media workers (rtc/mesh.h); NULL for a lone core. */
    const struct mesh_ops *mesh;
    void *mesh_arg;
    unsigned worker_index;           /* this core's worker, < MESH_MAX_WORKERS */
    /* Recording: where recorded producers' packets are copied (sfu/record/
     * record_tap.h); borrowed, NULL = no recorder. */
    struct record_tap *record_tap;
};

struct rtc_core *rtc_core_new(const struct rtc_core_config *cfg);
void rtc_core_free(struct rtc_core *c);

/* One received datagram from `from`. Never fails: bad input is counted. */
void rtc_core_receive(struct rtc_core *c, uint8_t *buf, size_t len,
                      const struct sockaddr_storage *from, socklen_t from_len, uint64_t now_us);

/* Earliest deadline of any timer (DTLS retransmit, RTCP reports, TWCC feedback,
 * consent), SQ_NEVER when none; rtc_core_handle_timeouts fires all that are due. */
uint64_t rtc_core_next_deadline_us(const struct rtc_core *c);
void rtc_core_handle_timeouts(struct rtc_core *c, uint64_t now_us);

int rtc_core_transport_create(struct rtc_core *c, uint32_t transport_id, const char *local_ufrag,
                              const char *local_pwd, const char *remote_fp_alg,
                              const char *remote_fp, uint64_t now_us);
int rtc_core_transport_close(struct rtc_core *c, uint32_t transport_id);
/* ICE restart with new local credentials (transport_restart_ice). */
int rtc_core_transport_restart_ice(struct rtc_core *c, uint32_t transport_id, const char *local_ufrag,
                                   const char *local_pwd, uint64_t now_us);
int rtc_core_producer_create(struct rtc_core *c, uint32_t producer_id, uint32_t transport_id,
                             const struct sdp_track *track, uint64_t now_us);
int rtc_core_producer_close(struct rtc_core *c, uint32_t producer_id);
int rtc_core_producer_set_paused(struct rtc_core *c, uint32_t producer_id, bool paused);
int rtc_core_producer_request_keyframe(struct rtc_core *c, uint32_t producer_id, uint64_t now_us);
/* producer_id 0: an idle consumer, fed later by rtc_core_consumer_set_producer. */
int rtc_core_consumer_create(struct rtc_core *c, uint32_t consumer_id, uint32_t transport_id,
                             uint32_t producer_id, const struct sdp_outgoing *out, uint64_t now_us);
int rtc_core_consumer_close(struct rtc_core *c, uint32_t consumer_id);
/* A recording starts (true) or stops (false) taking a producer's packets
 * (sfu/record/record_tap.h). 0 or -SQ_ENOTFOUND. */
int rtc_core_producer_set_recorded(struct rtc_core *c, uint32_t producer_id, bool on,
                                   uint64_t now_us);
/* Replaces the config's record_tap (tests, and a worker attached later). */
void rtc_core_set_record_tap(struct rtc_core *c, struct record_tap *tap);
/* sfu_consumer_set_producer's twin (producer 0 = idle): 0, -SQ_ENOTFOUND,
 * -SQ_EINVAL (another kind). */
int rtc_core_consumer_set_producer(struct rtc_core *c, uint32_t consumer_id, uint32_t producer_id,
                                   uint64_t now_us);
/* sfu_consumer_set_preferred_size's twin: 0, -SQ_ENOTFOUND, -SQ_EINVAL (audio). */
int rtc_core_consumer_set_preferred_size(struct rtc_core *c, uint32_t consumer_id, uint16_t width,
                                         uint16_t height, uint64_t now_us);
/* The downlink bandwidth of a subscribe transport that simulcast layer
 * selection shares out (bits/s, 0 = unknown: no limit); layers are chosen
 * again at once, so a drop takes effect at the next keyframe. Fed by the
 * bandwidth estimator, or by tests. 0 or -SQ_ENOTFOUND. */
int rtc_core_transport_set_estimate_bps(struct rtc_core *c, uint32_t transport_id,
                                        uint64_t bps, uint64_t now_us);

/* The downlink estimator of a subscribe transport (rtc/bwe.h: estimate,
 * wanted rate for probing), NULL before its first consumer. Worker only. */
struct bwe *rtc_core_transport_bwe(struct rtc_core *c, uint32_t transport_id);

/* Counters kept by this core (plain fields: only the worker writes them). */
void rtc_core_stats(const struct rtc_core *c, struct sfu_stats *out);
/* The counters sfu_stats has no field for (rtc_env.h). */
const struct rtc_counters *rtc_core_counters(const struct rtc_core *c);

/* For bench/ and tests: a transport that skips ICE and DTLS, already
 * connected to `remote` with these SRTP keys (local_* protect what we send). */
int rtc_core_transport_create_connected(struct rtc_core *c, uint32_t transport_id,
                                        const struct srtp_keys *keys,
                                        const struct sockaddr_storage *remote, socklen_t remote_len,
                                        uint64_t now_us);

/* ---- Cross-worker parts (rtc/mesh.h); all run on this core's worker ---- */

/* A datagram another worker received on its socket for a transport here. */
void rtc_core_receive_forwarded(struct rtc_core *c, uint8_t *buf, size_t len,
                                const struct sockaddr_storage *from, socklen_t from_len,
                                unsigned from_worker, uint64_t now_us);
/* A mirror of a producer owned by worker `owner`, for consumers here
 * (rtc_core_consumer_create finds it by producer_id); rtc_core_producer_close
 * closes it. 0, -SQ_EEXIST, -SQ_EINVAL, -SQ_ENOMEM. */
int rtc_core_mirror_create(struct rtc_core *c, uint32_t producer_id, unsigned owner,
                           const struct sdp_track *track, uint64_t now_us);
/* Owner: share (or stop sharing) a producer's packets with `worker`. */
int rtc_core_producer_share(struct rtc_core *c, uint32_t producer_id, unsigned worker, bool on);
/* Mirror: one packet from the owner (read only: other workers read it too). */
int rtc_core_mirror_receive(struct rtc_core *c, uint32_t producer_id, const uint8_t *buf,
                            size_t len, uint8_t layer, uint64_t now_us);
int rtc_core_mirror_sender_report(struct rtc_core *c, uint32_t producer_id,
                                  const struct rtcp_sender_report *sr, uint64_t now_us);
/* Owner: a mirror's consumers need a keyframe / want these layers. */
int rtc_core_remote_keyframe(struct rtc_core *c, uint32_t producer_id, uint8_t layer,
                             uint64_t now_us);
int rtc_core_remote_wanted(struct rtc_core *c, uint32_t producer_id, uint8_t layers,
                           uint64_t now_us);
/* True when producer_id is a producer of this core's own transports (not
 * a mirror, not unknown). */
bool rtc_core_owns_producer(const struct rtc_core *c, uint32_t producer_id);
/* Routes toward other workers' transports (see mesh.h). */
int rtc_core_route_ufrag(struct rtc_core *c, const char *ufrag, unsigned worker);
void rtc_core_unroute_ufrag(struct rtc_core *c, const char *ufrag);
/* is_static: set by the control plane, never expires (else a claim). */
int rtc_core_route_addr(struct rtc_core *c, const struct sockaddr_storage *a, socklen_t len,
                        unsigned worker, bool is_static, uint64_t now_us);
const struct mesh *rtc_core_mesh(const struct rtc_core *c);

#endif
