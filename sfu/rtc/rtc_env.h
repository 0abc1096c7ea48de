/* What every object of one rtc_core shares: the outgoing batch, the demux
 * tables, the counters, the event sink and the settings. One per worker, only
 * touched by that worker's thread, so plain fields and no locks. */
#ifndef SABAQ_RTC_ENV_H
#define SABAQ_RTC_ENV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sabaq/dtls.h"
#include "sabaq/rtcp.h"
#include "sabaq/sfu.h"
#include "rtc/datagram.h"
#include "rtc/demux.h"

/* Counters that sfu_stats has no field for (yet). */
struct rtc_counters {
    uint64_t rtcp_sr_received;   /* publishers' SRs used for the NTP mapping */
    uint64_t rtcp_rr_received;
    uint64_t rtcp_other;         /* SDES, BYE, APP, XR, unknown feedback */
    uint64_t remb_received, twcc_received, fir_received, pli_received;
    uint64_t rtx_received;       /* publishers' RTX packets, unwrapped */
    uint64_t rtx_duplicate;      /* ... of which the original was already here */
    uint64_t nack_miss;          /* NACKed packets no longer in the cache */
    uint64_t drop_paused, drop_waiting_keyframe, drop_too_large;
    uint64_t drop_hidden;        /* video the subscriber does not show (0x0) */
    uint64_t drop_no_layer;      /* simulcast: no layer fits the subscriber's bandwidth */
    uint64_t layer_switches;     /* simulcast consumers moving between layers */
    uint64_t stun_error_sent;    /* 400/401 answers */
    uint64_t rr_sent, sr_sent, twcc_sent, remb_sent;
};

struct record_tap;

struct rtc_env {
    struct tx_batch *tx;         /* borrowed: the core's config */
    struct dtls_cert *cert;      /* borrowed */
    struct demux demux;
    struct sfu_stats stats;      /* transports/producers/consumers filled when read */
    struct rtc_counters more;
    uint32_t consent_timeout_ms;
    int64_t wallclock_offset_us; /* unix time = now_us + this */
    void (*emit)(void *arg, const struct sfu_event *ev);
    void *emit_arg;              /* borrowed */
    struct rtcp_twcc *twcc_scratch; /* owned by the core: too big for a stack frame */
    struct record_tap *record_tap; /* borrowed: the recorder's ring (sfu/record), or NULL */
    uint64_t now_us;             /* the loop turn's time, set by each rtc_core entry point
                                  * (libuv's uv_now): the send time bwe.c records */
};

/* Commits the tx slot taken with tx_batch_next() and counts it. */
static inline void rtc_env_commit(struct rtc_env *e, size_t len, const struct sockaddr_storage *to,
                                  socklen_t to_len)
{
    tx_batch_commit(e->tx, len, to, to_len);
    e->stats.tx_packets++;
    e->stats.tx_bytes += len;
}

void rtc_env_emit(struct rtc_env *e, enum sfu_event_type type, uint32_t id, const char *detail);

/* NTP 32.32 time of `now_us` on the wall clock, for sender reports. */
uint64_t rtc_env_ntp(const struct rtc_env *e, uint64_t now_us);

#endif
