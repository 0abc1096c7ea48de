/* ICE-lite responder and consent freshness: RFC 8445 sec. 2.5 / 7.3 (a lite
 * agent is always controlled, answers checks and never sends any), RFC 8489
 * sec. 9.1.3 (400 without integrity, 401 with a wrong one), RFC 7675 (consent
 * lapses after 30 s without a valid check). */
#include "rtc/ice_lite.h"

#include <netinet/in.h>
#include <string.h>

#include "sabaq/clock.h"
#include "sabaq/error.h"
#include "rtc/demux.h"

int ice_lite_init(struct ice_lite *ice, const char *ufrag, const char *pwd,
                  uint32_t consent_timeout_ms, uint64_t now_us)
{
    size_t ul = ufrag ? strlen(ufrag) : 0, pl = pwd ? strlen(pwd) : 0;
    memset(ice, 0, sizeof(*ice));
    if (ul == 0 || ul > ICE_UFRAG_MAX || pl == 0 || pl > ICE_PWD_MAX || strchr(ufrag, ':'))
        return -SQ_EINVAL;
    memcpy(ice->ufrag, ufrag, ul);
    memcpy(ice->pwd, pwd, pl);
    ice->ufrag_len = ul;
    ice->pwd_len = pl;
    ice->nominated = ice->latest = -1;
    ice->consent_timeout_us = (uint64_t)consent_timeout_ms * 1000;
    ice->last_consent_us = now_us;
    return 0;
}

int ice_lite_restart(struct ice_lite *ice, const char *ufrag, const char *pwd, uint64_t now_us)
{
    struct ice_lite fresh;
    int rc = ice_lite_init(&fresh, ufrag, pwd, 0, now_us);
    if (rc < 0)
        return rc;
    memcpy(ice->ufrag, fresh.ufrag, sizeof(ice->ufrag));
    memcpy(ice->pwd, fresh.pwd, sizeof(ice->pwd));
    ice->ufrag_len = fresh.ufrag_len;
    ice->pwd_len = fresh.pwd_len;
    ice->last_consent_us = now_us;
    return 0;
}

void ice_lite_init_fixed(struct ice_lite *ice, const struct sockaddr_storage *addr,
                         socklen_t addr_len)
{
    memset(ice, 0, sizeof(*ice));
    ice->paths[0].addr = *addr;
    ice->paths[0].addr_len = addr_len;
    ice->paths[0].is_valid = true;
    ice->nominated = ice->latest = 0;
}

/* XOR-MAPPED-ADDRESS reports what the peer's packet came from; a dual-stack
 * socket reports IPv4 peers as ::ffff:a.b.c.d, which the peer knows as
 * a.b.c.d, so unmap it. */
static void mapped_address(struct sockaddr_storage *out, const struct sockaddr_storage *from)
{
    *out = *from;
    if (from->ss_family != AF_INET6)
        return;
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)from;
    if (!IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
        return;
    struct sockaddr_in in = {0};
    in.sin_family = AF_INET;
    in.sin_port = in6->sin6_port;
    memcpy(&in.sin_addr, in6->sin6_addr.s6_addr + 12, 4);
    memset(out, 0, sizeof(*out));
    memcpy(out, &in, sizeof(in));
}

/* The slot for `from`: its existing path, a free slot, or the least recently
 * seen path that is not nominated. */
static int path_for(struct ice_lite *ice, const uint8_t key[DEMUX_KEY_LEN], bool *is_new)
{
    int victim = -1;
    for (int i = 0; i < ICE_MAX_PATHS; i++) {
        struct ice_path *p = &ice->paths[i];
        uint8_t k[DEMUX_KEY_LEN];
        if (p->is_valid && demux_addr_key(k, &p->addr, p->addr_len) == 0 &&
            memcmp(k, key, DEMUX_KEY_LEN) == 0) {
            *is_new = false;
            return i;
        }
        if (!p->is_valid) {
            if (victim < 0 || ice->paths[victim].is_valid)
                victim = i;
        } else if (i != ice->nominated && (victim < 0 || (ice->paths[victim].is_valid &&
                                                          p->last_seen_us < ice->paths[victim].last_seen_us))) {
            victim = i;
        }
    }
    *is_new = true;
    return victim;
}

static int reject(const struct stun_message *m, uint16_t code, const char *reason, uint8_t *out,
                  size_t cap, struct ice_lite_result *res)
{
    int n = stun_binding_error_write(out, cap, m->txid, code, reason);
    res->response_len = n > 0 ? (size_t)n : 0;
    return -SQ_EAUTH;
}

int ice_lite_handle(struct ice_lite *ice, const struct stun_message *m,
                    const struct sockaddr_storage *from, socklen_t from_len, uint64_t now_us,
                    uint8_t *out, size_t cap, struct ice_lite_result *res)
{
    const uint8_t *local, *remote;
    size_t local_len, remote_len;
    uint8_t key[DEMUX_KEY_LEN];

    memset(res, 0, sizeof(*res));
    res->path = -1;
    if (m->type != STUN_BINDING_REQUEST || demux_addr_key(key, from, from_len) < 0)
        return -SQ_EINVAL;
    if (!m->username || stun_username_split(m, &local, &local_len, &remote, &remote_len) < 0 ||
        local_len != ice->ufrag_len || memcmp(local, ice->ufrag, local_len) != 0)
        return -SQ_ENOTFOUND;
    int rc = stun_message_check_integrity(m, (const uint8_t *)ice->pwd, ice->pwd_len);
    if (rc == -SQ_ENOTFOUND)
        return reject(m, 400, "Bad Request", out, cap, res);
    if (rc < 0)
        return reject(m, 401, "Unauthorized", out, cap, res);

    struct sockaddr_storage mapped;
    mapped_address(&mapped, from);
    int n = stun_binding_success_write(out, cap, m->txid, (const struct sockaddr *)&mapped,
                                       (const uint8_t *)ice->pwd, ice->pwd_len);
    if (n < 0)
        return n;

    bool is_new;
    int i = path_for(ice, key, &is_new);
    struct ice_path *p = &ice->paths[i];
    if (is_new) {
        memset(&p->addr, 0, sizeof(p->addr));
        memcpy(&p->addr, from, from_len < sizeof(p->addr) ? from_len : sizeof(p->addr));
        p->addr_len = from_len;
        p->is_valid = true;
    }
    p->last_seen_us = now_us;
    ice->latest = i;
    if (m->use_candidate)
        ice->nominated = i;
    ice->last_consent_us = now_us;

    res->path = i;
    res->is_new_path = is_new;
    res->is_nomination = m->use_candidate;
    res->response_len = (size_t)n;
    return 0;
}

const struct ice_path *ice_lite_send_path(const struct ice_lite *ice)
{
    if (ice->nominated >= 0)
        return &ice->paths[ice->nominated];
    if (ice->latest >= 0)
        return &ice->paths[ice->latest];
    return NULL;
}

uint64_t ice_lite_consent_deadline_us(const struct ice_lite *ice)
{
    if (!ice->consent_timeout_us)
        return SQ_NEVER;
    return ice->last_consent_us + ice->consent_timeout_us;
}
