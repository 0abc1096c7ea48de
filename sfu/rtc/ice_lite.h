/* ICE-lite (RFC 8445 sec. 2.5) for one transport: answer the peer's
 * connectivity checks, remember the addresses they came from as valid paths,
 * follow USE-CANDIDATE for the path to send on, and watch consent freshness
 * (RFC 7675): no valid check for the consent timeout and the peer is gone.
 * Sans-IO: the response is written into the caller's buffer. */
#ifndef SABAQ_RTC_ICE_LITE_H
#define SABAQ_RTC_ICE_LITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sabaq/stun.h"

#define ICE_MAX_PATHS 4
#define ICE_UFRAG_MAX 256
#define ICE_PWD_MAX 256

struct ice_path {
    struct sockaddr_storage addr; /* as the socket gave it (maybe v4-mapped) */
    socklen_t addr_len;
    uint64_t last_seen_us;
    bool is_valid;
};

struct ice_lite {
    char ufrag[ICE_UFRAG_MAX + 1];
    char pwd[ICE_PWD_MAX + 1];
    size_t ufrag_len, pwd_len;
    struct ice_path paths[ICE_MAX_PATHS];
    int nominated;               /* path index, -1 before USE-CANDIDATE */
    int latest;                  /* most recently validated path, -1 before any */
    uint64_t consent_timeout_us; /* 0: consent is not checked */
    uint64_t last_consent_us;
};

struct ice_lite_result {
    int path;                    /* the request's path, -1 when not accepted */
    bool is_new_path;            /* that slot now holds a new address */
    bool is_nomination;          /* the request carried USE-CANDIDATE */
    size_t response_len;         /* bytes written to out; 0 = send nothing */
};

/* 0 or -SQ_EINVAL (empty or too long credentials). Consent runs from now. */
int ice_lite_init(struct ice_lite *ice, const char *ufrag, const char *pwd,
                  uint32_t consent_timeout_ms, uint64_t now_us);

/* ICE restart (RFC 8445 sec. 9): checks must now carry the new credentials
 * (old ones get -SQ_ENOTFOUND). The paths and the nomination stay, so media
 * goes on where it went until a new path is nominated; consent runs afresh
 * from now, since the peer has just asked for the restart over signaling.
 * 0 or -SQ_EINVAL (empty or too long; nothing changes then). */
int ice_lite_restart(struct ice_lite *ice, const char *ufrag, const char *pwd, uint64_t now_us);

/* A transport that skips ICE: one nominated path, consent never expires. */
void ice_lite_init_fixed(struct ice_lite *ice, const struct sockaddr_storage *addr,
                         socklen_t addr_len);

/* Handles a parsed Binding request from `from`. 0: accepted, a success
 * response is in out. -SQ_ENOTFOUND: USERNAME is not for our ufrag (send
 * nothing). -SQ_EAUTH: missing or wrong MESSAGE-INTEGRITY, a 400/401 error
 * response is in out. -SQ_EINVAL: not a Binding request or bad address.
 * `cap` of 80 bytes is always enough. */
int ice_lite_handle(struct ice_lite *ice, const struct stun_message *m,
                    const struct sockaddr_storage *from, socklen_t from_len, uint64_t now_us,
                    uint8_t *out, size_t cap, struct ice_lite_result *res);

/* Where to send: the nominated path, else the latest valid one, else NULL. */
const struct ice_path *ice_lite_send_path(const struct ice_lite *ice);

/* When consent runs out if no valid check arrives; SQ_NEVER when unchecked. */
uint64_t ice_lite_consent_deadline_us(const struct ice_lite *ice);

#endif
