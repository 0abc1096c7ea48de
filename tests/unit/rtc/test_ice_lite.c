/* ICE-lite: a Binding request made by stun_binding_request_write gets a
 * success response that verifies with our pwd and maps the source address
 * (v4-mapped unmapped); a wrong pwd gets a 401 and no path; consent expires
 * on a virtual clock and closes the transport with an event; an ICE restart
 * swaps the credentials and keeps the path until a new one is nominated. */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "sabaq/error.h"
#include "sabaq/stun.h"
#include "rtc/ice_lite.h"
#include "rtc/rtc_core.h"

#define UFRAG "srvU"
#define PWD "server-password-0123456789"

static socklen_t mapped_v6(struct sockaddr_storage *ss, const char *v4, uint16_t port)
{
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    char buf[64];
    memset(ss, 0, sizeof(*ss));
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    snprintf(buf, sizeof buf, "::ffff:%s", v4);
    inet_pton(AF_INET6, buf, &in6->sin6_addr);
    return sizeof(*in6);
}

static socklen_t plain_v4(struct sockaddr_storage *ss, const char *v4, uint16_t port)
{
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof(*ss));
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    inet_pton(AF_INET, v4, &in->sin_addr);
    return sizeof(*in);
}

static size_t request(uint8_t *buf, size_t cap, const char *username, const char *key,
                      bool use_candidate)
{
    static uint8_t txid[STUN_TXID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    txid[0]++;
    int n = stun_binding_request_write(buf, cap, txid, username, 0x6e0001ff, 42, use_candidate,
                                       (const uint8_t *)key, strlen(key));
    return n > 0 ? (size_t)n : 0;
}

TEST(ice_lite_answers_valid_check_with_mapped_address)
{
    struct ice_lite ice;
    struct ice_lite_result res;
    struct stun_message req, resp;
    struct sockaddr_storage from;
    uint8_t buf[256], out[128];
    ASSERT_EQ(0, ice_lite_init(&ice, UFRAG, PWD, 30000, 0));
    socklen_t fl = mapped_v6(&from, "192.0.2.33", 51000);
    size_t n = request(buf, sizeof buf, UFRAG ":peer", PWD, true);
    ASSERT_EQ(0, stun_message_parse(&req, buf, n));
    ASSERT_EQ(0, ice_lite_handle(&ice, &req, &from, fl, 1000, out, sizeof out, &res));
    ASSERT(res.response_len > 0);
    ASSERT_EQ(0, res.path);
    ASSERT(res.is_new_path);
    ASSERT(res.is_nomination);

    ASSERT_EQ(0, stun_message_parse(&resp, out, res.response_len));
    ASSERT_EQ(STUN_BINDING_SUCCESS, resp.type);
    ASSERT_MEM_EQ(req.txid, resp.txid, STUN_TXID_LEN);
    ASSERT_EQ(0, stun_message_check_integrity(&resp, (const uint8_t *)PWD, strlen(PWD)));
    ASSERT_EQ(-SQ_EAUTH, stun_message_check_integrity(&resp, (const uint8_t *)"x", 1));
    ASSERT(resp.has_xor_mapped_address);
    /* The dual-stack socket's ::ffff:192.0.2.33 is 192.0.2.33 to the peer. */
    ASSERT_EQ(AF_INET, resp.xor_mapped_address.ss_family);
    const struct sockaddr_in *m = (const struct sockaddr_in *)&resp.xor_mapped_address;
    ASSERT_EQ(51000, ntohs(m->sin_port));
    struct in_addr want;
    inet_pton(AF_INET, "192.0.2.33", &want);
    ASSERT_EQ(want.s_addr, m->sin_addr.s_addr);

    /* Send back exactly as the socket reported the peer. */
    const struct ice_path *path = ice_lite_send_path(&ice);
    ASSERT(path);
    ASSERT_EQ(AF_INET6, path->addr.ss_family);
    ASSERT_EQ(1000 + 30000000ull, ice_lite_consent_deadline_us(&ice));
}

TEST(ice_lite_refuses_wrong_password_and_foreign_ufrag)
{
    struct ice_lite ice;
    struct ice_lite_result res;
    struct stun_message req, resp;
    struct sockaddr_storage from;
    uint8_t buf[256], out[128];
    ASSERT_EQ(0, ice_lite_init(&ice, UFRAG, PWD, 30000, 0));
    socklen_t fl = plain_v4(&from, "192.0.2.1", 4000);

    size_t n = request(buf, sizeof buf, UFRAG ":peer", "not-the-password", true);
    ASSERT_EQ(0, stun_message_parse(&req, buf, n));
    ASSERT_EQ(-SQ_EAUTH, ice_lite_handle(&ice, &req, &from, fl, 5, out, sizeof out, &res));
    ASSERT(res.response_len > 0);
    ASSERT_EQ(0, stun_message_parse(&resp, out, res.response_len));
    ASSERT_EQ(STUN_BINDING_ERROR, resp.type);
    ASSERT_EQ(401, resp.error_code);
    ASSERT(!ice_lite_send_path(&ice));
    ASSERT_EQ(30000000ull, ice_lite_consent_deadline_us(&ice)); /* not refreshed */

    n = request(buf, sizeof buf, "other:peer", PWD, true);
    ASSERT_EQ(0, stun_message_parse(&req, buf, n));
    ASSERT_EQ(-SQ_ENOTFOUND, ice_lite_handle(&ice, &req, &from, fl, 5, out, sizeof out, &res));
    ASSERT_EQ(0, res.response_len);
    /* "srvU" is a prefix of "srvUx": still not ours. */
    n = request(buf, sizeof buf, UFRAG "x:peer", PWD, true);
    ASSERT_EQ(0, stun_message_parse(&req, buf, n));
    ASSERT_EQ(-SQ_ENOTFOUND, ice_lite_handle(&ice, &req, &from, fl, 5, out, sizeof out, &res));
    ASSERT(!ice_lite_send_path(&ice));
}

TEST(ice_lite_sends_to_latest_until_nominated)
{
    struct ice_lite ice;
    struct ice_lite_result res;
    struct stun_message req;
    struct sockaddr_storage a[6];
    socklen_t al[6];
    uint8_t buf[256], out[128];
    ASSERT_EQ(0, ice_lite_init(&ice, UFRAG, PWD, 30000, 0));
    for (int i = 0; i < 6; i++)
        al[i] = plain_v4(&a[i], "192.0.2.9", (uint16_t)(7000 + i));

    size_t n = request(buf, sizeof buf, UFRAG ":p", PWD, false);
    stun_message_parse(&req, buf, n);
    ASSERT_EQ(0, ice_lite_handle(&ice, &req, &a[0], al[0], 1, out, sizeof out, &res));
    ASSERT_EQ(7000, ntohs(((struct sockaddr_in *)&ice_lite_send_path(&ice)->addr)->sin_port));
    ASSERT_EQ(0, ice_lite_handle(&ice, &req, &a[1], al[1], 2, out, sizeof out, &res));
    ASSERT_EQ(7001, ntohs(((struct sockaddr_in *)&ice_lite_send_path(&ice)->addr)->sin_port));
    n = request(buf, sizeof buf, UFRAG ":p", PWD, true);
    stun_message_parse(&req, buf, n);
    ASSERT_EQ(0, ice_lite_handle(&ice, &req, &a[0], al[0], 3, out, sizeof out, &res));
    ASSERT(!res.is_new_path);
    /* Nominated: later checks from other paths do not move the target, and
     * more paths than slots evict the oldest non-nominated one. */
    n = request(buf, sizeof buf, UFRAG ":p", PWD, false);
    stun_message_parse(&req, buf, n);
    for (int i = 2; i < 6; i++)
        ASSERT_EQ(0, ice_lite_handle(&ice, &req, &a[i], al[i], 10 + (uint64_t)i, out, sizeof out, &res));
    ASSERT_EQ(7000, ntohs(((struct sockaddr_in *)&ice_lite_send_path(&ice)->addr)->sin_port));
    int nominated_seen = 0;
    for (int i = 0; i < ICE_MAX_PATHS; i++)
        if (ntohs(((struct sockaddr_in *)&ice.paths[i].addr)->sin_port) == 7000)
            nominated_seen++;
    ASSERT_EQ(1, nominated_seen);
}

/* --- consent freshness through the core, on a virtual clock ------------- */

struct capture {
    struct tx_batch tx;
    struct datagram slots[8];
    size_t sent;
    uint8_t last[DATAGRAM_MAX];
    size_t last_len;
    struct sfu_event ev[8];
    size_t n_ev;
};

static void cap_flush(struct tx_batch *b, void *arg)
{
    struct capture *c = arg;
    for (size_t i = 0; i < b->n; i++) {
        c->sent++;
        memcpy(c->last, b->slots[i].data, b->slots[i].len);
        c->last_len = b->slots[i].len;
    }
    b->n = 0;
}

static void cap_event(void *arg, const struct sfu_event *ev)
{
    struct capture *c = arg;
    if (c->n_ev < 8)
        c->ev[c->n_ev++] = *ev;
}

/* A core on a virtual clock whose datagrams and events are captured, and a
 * peer certificate for its transports. */
struct core_scene {
    struct capture *cap;
    struct dtls_cert *cert, *peer_cert;
    struct rtc_core *core;
};

static bool core_scene_open(struct core_scene *sc)
{
    sc->cap = calloc(1, sizeof(*sc->cap));
    sc->cert = dtls_cert_generate();
    sc->peer_cert = dtls_cert_generate();
    sc->core = NULL;
    if (!sc->cap || !sc->cert || !sc->peer_cert)
        return false;
    sc->cap->tx = (struct tx_batch){sc->cap->slots, 8, 0, cap_flush, sc->cap};
    struct rtc_core_config cfg = {.cert = sc->cert, .tx = &sc->cap->tx,
                                  .consent_timeout_ms = 30000, .emit = cap_event,
                                  .emit_arg = sc->cap};
    sc->core = rtc_core_new(&cfg);
    return sc->core != NULL;
}

static void core_scene_close(struct core_scene *sc)
{
    if (sc->core)
        rtc_core_free(sc->core);
    dtls_cert_free(sc->cert);
    dtls_cert_free(sc->peer_cert);
    free(sc->cap);
}

TEST(ice_lite_consent_expiry_closes_transport)
{
    struct core_scene sc;
    struct sockaddr_storage from;
    struct stun_message resp;
    struct sfu_stats st;
    uint8_t buf[256];
    ASSERT(core_scene_open(&sc));
    struct capture *cap = sc.cap;
    struct rtc_core *core = sc.core;
    socklen_t fl = plain_v4(&from, "203.0.113.5", 6000);
    ASSERT_EQ(0, rtc_core_transport_create(core, 7, UFRAG, PWD, "sha-256",
                                           dtls_cert_fingerprint(sc.peer_cert), 0));
    ASSERT_EQ(-SQ_EEXIST, rtc_core_transport_create(core, 8, UFRAG, PWD, "sha-256",
                                                    dtls_cert_fingerprint(sc.peer_cert), 0));

    uint64_t now = 1000000;
    size_t n = request(buf, sizeof buf, UFRAG ":peer", PWD, true);
    rtc_core_receive(core, buf, n, &from, fl, now);
    tx_batch_flush(&cap->tx);
    ASSERT_EQ(1, cap->sent);
    ASSERT_EQ(0, stun_message_parse(&resp, cap->last, cap->last_len));
    ASSERT_EQ(STUN_BINDING_SUCCESS, resp.type);

    /* A wrong password: a 401 goes back and the counter moves. */
    n = request(buf, sizeof buf, UFRAG ":peer", "nope", true);
    rtc_core_receive(core, buf, n, &from, fl, now);
    tx_batch_flush(&cap->tx);
    ASSERT_EQ(2, cap->sent);
    ASSERT_EQ(0, stun_message_parse(&resp, cap->last, cap->last_len));
    ASSERT_EQ(401, resp.error_code);
    rtc_core_stats(core, &st);
    ASSERT_EQ(1, st.drop_stun_auth);

    /* The check at 1 s is the last: nothing before 31 s, closed after. */
    while (now < 31000000 - 20000) {
        now += 10000;
        if (rtc_core_next_deadline_us(core) <= now)
            rtc_core_handle_timeouts(core, now);
    }
    ASSERT_EQ(0, cap->n_ev);
    for (int i = 0; i < 10; i++) {
        now += 10000;
        if (rtc_core_next_deadline_us(core) <= now)
            rtc_core_handle_timeouts(core, now);
    }
    ASSERT_EQ(1, cap->n_ev);
    ASSERT_EQ(SFU_EVENT_TRANSPORT_CLOSED, cap->ev[0].type);
    ASSERT_EQ(7, cap->ev[0].id);
    ASSERT_STR_EQ("consent expired", cap->ev[0].detail);

    /* Closed: its ufrag answers nothing any more. */
    size_t sent = cap->sent;
    n = request(buf, sizeof buf, UFRAG ":peer", PWD, true);
    rtc_core_receive(core, buf, n, &from, fl, now);
    tx_batch_flush(&cap->tx);
    ASSERT_EQ(sent, cap->sent);
    ASSERT_EQ(0, rtc_core_transport_close(core, 7));
    ASSERT_EQ(-SQ_ENOTFOUND, rtc_core_transport_close(core, 7));
    ASSERT_EQ(SQ_NEVER, rtc_core_next_deadline_us(core));
    core_scene_close(&sc);
}

TEST(ice_lite_check_refreshes_consent)
{
    struct ice_lite ice;
    struct ice_lite_result res;
    struct stun_message req;
    struct sockaddr_storage from;
    uint8_t buf[256], out[128];
    ASSERT_EQ(0, ice_lite_init(&ice, UFRAG, PWD, 30000, 0));
    socklen_t fl = plain_v4(&from, "192.0.2.1", 4000);
    size_t n = request(buf, sizeof buf, UFRAG ":peer", PWD, false);
    stun_message_parse(&req, buf, n);
    ASSERT_EQ(0, ice_lite_handle(&ice, &req, &from, fl, 20000000, out, sizeof out, &res));
    ASSERT_EQ(50000000ull, ice_lite_consent_deadline_us(&ice));
}

/* --- ICE restart (RFC 8445 sec. 9) --------------------------------------- */

#define NEW_UFRAG "newU"
#define NEW_PWD "restarted-password-0123456789"

TEST(ice_lite_restart_takes_new_credentials_and_keeps_the_path)
{
    struct ice_lite ice;
    struct ice_lite_result res;
    struct stun_message req;
    struct sockaddr_storage a, b;
    uint8_t buf[256], out[128];
    ASSERT_EQ(0, ice_lite_init(&ice, UFRAG, PWD, 30000, 0));
    socklen_t al = plain_v4(&a, "192.0.2.1", 4000), bl = plain_v4(&b, "198.51.100.7", 5000);
    size_t n = request(buf, sizeof buf, UFRAG ":peer", PWD, true);
    stun_message_parse(&req, buf, n);
    ASSERT_EQ(0, ice_lite_handle(&ice, &req, &a, al, 1000000, out, sizeof out, &res));

    /* Refused credentials change nothing. */
    ASSERT_EQ(-SQ_EINVAL, ice_lite_restart(&ice, "", NEW_PWD, 9000000));
    ASSERT_EQ(-SQ_EINVAL, ice_lite_restart(&ice, "a:b", NEW_PWD, 9000000));
    ASSERT_STR_EQ(UFRAG, ice.ufrag);
    ASSERT_STR_EQ(PWD, ice.pwd);

    ASSERT_EQ(0, ice_lite_restart(&ice, NEW_UFRAG, NEW_PWD, 10000000));
    /* Consent runs afresh; media still goes to the nominated path. */
    ASSERT_EQ(40000000ull, ice_lite_consent_deadline_us(&ice));
    ASSERT_EQ(4000, ntohs(((struct sockaddr_in *)&ice_lite_send_path(&ice)->addr)->sin_port));
    /* The old credentials are not ours any more, even with the old pwd. */
    ASSERT_EQ(-SQ_ENOTFOUND, ice_lite_handle(&ice, &req, &a, al, 11000000, out, sizeof out, &res));
    n = request(buf, sizeof buf, NEW_UFRAG ":peer2", PWD, true);
    stun_message_parse(&req, buf, n);
    ASSERT_EQ(-SQ_EAUTH, ice_lite_handle(&ice, &req, &b, bl, 11000000, out, sizeof out, &res));
    ASSERT_EQ(4000, ntohs(((struct sockaddr_in *)&ice_lite_send_path(&ice)->addr)->sin_port));

    /* The peer's new network: its nominated check moves the media there. */
    n = request(buf, sizeof buf, NEW_UFRAG ":peer2", NEW_PWD, true);
    stun_message_parse(&req, buf, n);
    ASSERT_EQ(0, ice_lite_handle(&ice, &req, &b, bl, 12000000, out, sizeof out, &res));
    ASSERT(res.is_new_path);
    ASSERT(res.is_nomination);
    struct stun_message resp;
    ASSERT_EQ(0, stun_message_parse(&resp, out, res.response_len));
    ASSERT_EQ(0, stun_message_check_integrity(&resp, (const uint8_t *)NEW_PWD, strlen(NEW_PWD)));
    ASSERT_EQ(5000, ntohs(((struct sockaddr_in *)&ice_lite_send_path(&ice)->addr)->sin_port));
}

TEST(rtc_core_ice_restart_moves_the_transport_to_its_new_ufrag)
{
    struct core_scene sc;
    struct sockaddr_storage from;
    struct stun_message resp;
    uint8_t buf[256];
    ASSERT(core_scene_open(&sc));
    struct capture *cap = sc.cap;
    struct rtc_core *core = sc.core;
    const char *fp = dtls_cert_fingerprint(sc.peer_cert);
    socklen_t fl = plain_v4(&from, "203.0.113.5", 6000);
    ASSERT_EQ(0, rtc_core_transport_create(core, 7, UFRAG, PWD, "sha-256", fp, 0));
    ASSERT_EQ(0, rtc_core_transport_create(core, 8, "otherU", PWD, "sha-256", fp, 0));

    /* Another transport's ufrag, or no such transport: refused, nothing moves. */
    ASSERT_EQ(-SQ_EEXIST, rtc_core_transport_restart_ice(core, 7, "otherU", NEW_PWD, 0));
    ASSERT_EQ(-SQ_ENOTFOUND, rtc_core_transport_restart_ice(core, 99, NEW_UFRAG, NEW_PWD, 0));
    size_t n = request(buf, sizeof buf, UFRAG ":peer", PWD, true);
    rtc_core_receive(core, buf, n, &from, fl, 1000);
    tx_batch_flush(&cap->tx);
    ASSERT_EQ(1, cap->sent);

    ASSERT_EQ(0, rtc_core_transport_restart_ice(core, 7, NEW_UFRAG, NEW_PWD, 2000));
    /* The old ufrag leads nowhere: no answer at all. */
    rtc_core_receive(core, buf, n, &from, fl, 3000);
    tx_batch_flush(&cap->tx);
    ASSERT_EQ(1, cap->sent);
    /* The new one finds transport 7 and is answered with the new pwd. */
    n = request(buf, sizeof buf, NEW_UFRAG ":peer", NEW_PWD, true);
    rtc_core_receive(core, buf, n, &from, fl, 4000);
    tx_batch_flush(&cap->tx);
    ASSERT_EQ(2, cap->sent);
    ASSERT_EQ(0, stun_message_parse(&resp, cap->last, cap->last_len));
    ASSERT_EQ(STUN_BINDING_SUCCESS, resp.type);
    ASSERT_EQ(0, stun_message_check_integrity(&resp, (const uint8_t *)NEW_PWD, strlen(NEW_PWD)));
    /* Its old ufrag is free for a new transport; the restart closed nothing. */
    ASSERT_EQ(0, rtc_core_transport_create(core, 9, UFRAG, PWD, "sha-256", fp, 0));
    ASSERT_EQ(0, cap->n_ev);
    core_scene_close(&sc);
}
