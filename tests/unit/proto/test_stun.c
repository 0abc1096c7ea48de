/* STUN parser and writers against the RFC 5769 test vectors. */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "sabaq/error.h"
#include "sabaq/stun.h"

static const char *password = "VOkJxbRl1RmTxUk/WvJxBt";

/* RFC 5769 sec. 2.1: sample request (note the padding after USERNAME is
 * three spaces, which the HMAC covers). */
static const char *rfc5769_request =
    "00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
    "00 24 00 04 6e 00 01 ff"
    "80 29 00 08 93 2f f9 b1 51 26 3b 36"
    "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20"
    "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"
    "80 28 00 04 e5 7a 3b cf";

/* Sec. 2.2: IPv4 response, mapped address 192.0.2.1:32853. */
static const char *rfc5769_ipv4_response =
    "01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 08 00 01 a1 47 e1 12 a6 43"
    "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
    "80 28 00 04 c0 7d 4c 96";

/* Sec. 2.3: IPv6 response, 2001:db8:1234:5678:11:2233:4455:6677 port 32853. */
static const char *rfc5769_ipv6_response =
    "01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"
    "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
    "80 28 00 04 c8 fb 0b 4c";

static const uint8_t rfc_txid[STUN_TXID_LEN] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                                0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static int check_pw(const struct stun_message *m)
{
    return stun_message_check_integrity(m, (const uint8_t *)password, strlen(password));
}

TEST(stun_rfc5769_request_parses_and_verifies)
{
    uint8_t buf[256];
    size_t n = test_hex(buf, sizeof buf, rfc5769_request);
    struct stun_message m;

    ASSERT_EQ(108, n);
    ASSERT(stun_is_message(buf, n));
    ASSERT_EQ(0, stun_message_parse(&m, buf, n));
    ASSERT_EQ(STUN_BINDING_REQUEST, m.type);
    ASSERT_MEM_EQ(rfc_txid, m.txid, STUN_TXID_LEN);
    ASSERT_EQ(9, m.username_len);
    ASSERT_MEM_EQ("evtj:h6vY", m.username, 9);
    ASSERT(m.has_priority);
    ASSERT_EQ(0x6e0001ff, m.priority);
    ASSERT(m.ice_controlled);
    ASSERT(!m.ice_controlling);
    ASSERT(m.tie_breaker == 0x932ff9b151263b36ull);
    ASSERT(!m.use_candidate);
    ASSERT_EQ(76, m.integrity_offset);
    ASSERT_EQ(100, m.fingerprint_offset);
    ASSERT_EQ(0, check_pw(&m));
    ASSERT_EQ(-SQ_EAUTH, stun_message_check_integrity(&m, (const uint8_t *)"wrong", 5));
}

TEST(stun_username_split_at_first_colon)
{
    uint8_t buf[256];
    size_t n = test_hex(buf, sizeof buf, rfc5769_request);
    struct stun_message m;
    const uint8_t *l, *r;
    size_t ll, rl;

    ASSERT_EQ(0, stun_message_parse(&m, buf, n));
    ASSERT_EQ(0, stun_username_split(&m, &l, &ll, &r, &rl));
    ASSERT_EQ(4, ll);
    ASSERT_MEM_EQ("evtj", l, 4);
    ASSERT_EQ(4, rl);
    ASSERT_MEM_EQ("h6vY", r, 4);

    m.username_len = 4; /* "evtj": no colon */
    ASSERT_EQ(-SQ_EMALFORMED, stun_username_split(&m, &l, &ll, &r, &rl));
    m.username = NULL;
    ASSERT_EQ(-SQ_EMALFORMED, stun_username_split(&m, &l, &ll, &r, &rl));
}

TEST(stun_rfc5769_ipv4_response_decodes_mapped_address)
{
    uint8_t buf[256];
    size_t n = test_hex(buf, sizeof buf, rfc5769_ipv4_response);
    struct stun_message m;

    ASSERT_EQ(80, n);
    ASSERT_EQ(0, stun_message_parse(&m, buf, n));
    ASSERT_EQ(STUN_BINDING_SUCCESS, m.type);
    ASSERT_EQ(0, check_pw(&m));
    ASSERT(m.fingerprint_offset > 0);
    ASSERT(m.has_xor_mapped_address);
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&m.xor_mapped_address;
    ASSERT_EQ(AF_INET, sin->sin_family);
    ASSERT_EQ(32853, ntohs(sin->sin_port));
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
    ASSERT_STR_EQ("192.0.2.1", ip);
}

TEST(stun_rfc5769_ipv6_response_decodes_mapped_address)
{
    uint8_t buf[256];
    size_t n = test_hex(buf, sizeof buf, rfc5769_ipv6_response);
    struct stun_message m;

    ASSERT_EQ(92, n);
    ASSERT_EQ(0, stun_message_parse(&m, buf, n));
    ASSERT_EQ(0, check_pw(&m));
    ASSERT(m.has_xor_mapped_address);
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&m.xor_mapped_address;
    ASSERT_EQ(AF_INET6, sin6->sin6_family);
    ASSERT_EQ(32853, ntohs(sin6->sin6_port));
    char ip[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
    ASSERT_STR_EQ("2001:db8:1234:5678:11:2233:4455:6677", ip);
}

/* Flipping any bit must be caught: by the parser, the FINGERPRINT or the
 * MESSAGE-INTEGRITY check. The FINGERPRINT type itself is the exception: a
 * changed type makes it an unknown attribute after MESSAGE-INTEGRITY, which
 * RFC 8489 says to ignore, and MI still holds. */
TEST(stun_every_flipped_bit_is_detected)
{
    const char *vectors[] = {rfc5769_request, rfc5769_ipv4_response, rfc5769_ipv6_response};
    for (size_t v = 0; v < 3; v++) {
        uint8_t buf[256];
        size_t n = test_hex(buf, sizeof buf, vectors[v]);
        for (size_t bit = 0; bit < n * 8; bit++) {
            struct stun_message m;
            if (bit / 8 == n - 8 || bit / 8 == n - 7)
                continue;
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            int rc = stun_message_parse(&m, buf, n);
            if (rc == 0)
                rc = check_pw(&m);
            buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            if (rc == 0)
                test_fail(__FILE__, __LINE__, "vector %zu bit %zu flipped but accepted", v, bit);
            ASSERT(rc != 0);
        }
    }
}

TEST(stun_fingerprint_mismatch_is_eauth)
{
    uint8_t buf[256];
    size_t n = test_hex(buf, sizeof buf, rfc5769_ipv4_response);
    struct stun_message m;

    buf[n - 1] ^= 1;
    ASSERT_EQ(-SQ_EAUTH, stun_message_parse(&m, buf, n));
    buf[n - 1] ^= 1;
    buf[30] ^= 0x40; /* inside SOFTWARE: only the checks can tell */
    ASSERT_EQ(-SQ_EAUTH, stun_message_parse(&m, buf, n));
}

TEST(stun_truncated_messages_are_rejected)
{
    const char *vectors[] = {rfc5769_request, rfc5769_ipv4_response, rfc5769_ipv6_response};
    for (size_t v = 0; v < 3; v++) {
        uint8_t buf[256];
        size_t n = test_hex(buf, sizeof buf, vectors[v]);
        for (size_t len = 0; len < n; len++) {
            struct stun_message m;
            /* An exact-size copy lets ASan see any read past the end. */
            uint8_t *copy = malloc(len ? len : 1);
            memcpy(copy, buf, len);
            int rc = stun_message_parse(&m, copy, len);
            free(copy);
            ASSERT_EQ(-SQ_EMALFORMED, rc);
        }
        /* Cut before FINGERPRINT with a consistent header length: MI was
         * computed with its own adjusted length, so it still verifies. */
        struct stun_message m;
        size_t cut = n - 8;
        buf[2] = (uint8_t)((cut - 20) >> 8);
        buf[3] = (uint8_t)(cut - 20);
        ASSERT_EQ(0, stun_message_parse(&m, buf, cut));
        ASSERT_EQ(0, m.fingerprint_offset);
        ASSERT_EQ(0, check_pw(&m));
    }
}

TEST(stun_rejects_bad_framing)
{
    uint8_t buf[256];
    size_t n = test_hex(buf, sizeof buf, rfc5769_request);
    struct stun_message m;

    buf[0] |= 0x40; /* top bits must be zero */
    ASSERT(!stun_is_message(buf, n));
    ASSERT_EQ(-SQ_EMALFORMED, stun_message_parse(&m, buf, n));
    buf[0] &= 0x3f;
    buf[4] ^= 1; /* cookie */
    ASSERT_EQ(-SQ_EMALFORMED, stun_message_parse(&m, buf, n));
    buf[4] ^= 1;
    buf[3] += 2; /* length not a multiple of 4 */
    ASSERT_EQ(-SQ_EMALFORMED, stun_message_parse(&m, buf, n));
    buf[3] -= 2;
    buf[20 + 3] = 0x60; /* SOFTWARE length overruns the message */
    ASSERT_EQ(-SQ_EMALFORMED, stun_message_parse(&m, buf, n));
}

TEST(stun_integrity_absent_is_enotfound)
{
    uint8_t txid[STUN_TXID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    uint8_t buf[128];
    struct stun_message m;
    int n = stun_binding_error_write(buf, sizeof buf, txid, 401, "Unauthenticated");

    ASSERT(n > 0);
    ASSERT_EQ(0, stun_message_parse(&m, buf, (size_t)n));
    ASSERT_EQ(STUN_BINDING_ERROR, m.type);
    ASSERT_EQ(401, m.error_code);
    ASSERT(m.fingerprint_offset > 0);
    ASSERT_EQ(0, m.integrity_offset);
    ASSERT_EQ(-SQ_ENOTFOUND, check_pw(&m));
    ASSERT_EQ(-SQ_EINVAL, stun_binding_error_write(buf, sizeof buf, txid, 200, "no"));
    ASSERT_EQ(-SQ_ENOSPACE, stun_binding_error_write(buf, 30, txid, 400, "Bad Request"));
}

/* Our writer rebuilds RFC 5769's IPv4 and IPv6 responses minus SOFTWARE. */
TEST(stun_success_response_round_trips)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(32853)};
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(32853)};
    uint8_t buf[128];
    struct stun_message m;

    inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
    inet_pton(AF_INET6, "2001:db8:1234:5678:11:2233:4455:6677", &sin6.sin6_addr);

    int n = stun_binding_success_write(buf, sizeof buf, rfc_txid, (struct sockaddr *)&sin,
                                       (const uint8_t *)password, strlen(password));
    ASSERT_EQ(64, n);
    ASSERT_EQ(-SQ_ENOSPACE, stun_binding_success_write(buf, 63, rfc_txid, (struct sockaddr *)&sin,
                                                       (const uint8_t *)password, 22));
    ASSERT_EQ(0, stun_message_parse(&m, buf, (size_t)n));
    ASSERT_EQ(STUN_BINDING_SUCCESS, m.type);
    ASSERT_MEM_EQ(rfc_txid, m.txid, STUN_TXID_LEN);
    ASSERT_EQ(0, check_pw(&m));
    ASSERT(m.fingerprint_offset == (size_t)n - 8);
    ASSERT(m.has_xor_mapped_address);
    /* Same XOR-MAPPED-ADDRESS bytes as the RFC's vector. */
    uint8_t want[64];
    test_hex(want, sizeof want, "00 20 00 08 00 01 a1 47 e1 12 a6 43");
    ASSERT_MEM_EQ(want, buf + 20, 12);
    ASSERT(memcmp(&m.xor_mapped_address, &sin, sizeof sin) == 0);

    n = stun_binding_success_write(buf, sizeof buf, rfc_txid, (struct sockaddr *)&sin6,
                                   (const uint8_t *)password, strlen(password));
    ASSERT_EQ(76, n);
    ASSERT_EQ(0, stun_message_parse(&m, buf, (size_t)n));
    ASSERT_EQ(0, check_pw(&m));
    test_hex(want, sizeof want,
             "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9");
    ASSERT_MEM_EQ(want, buf + 20, 24);
    const struct sockaddr_in6 *got = (const struct sockaddr_in6 *)&m.xor_mapped_address;
    ASSERT_EQ(AF_INET6, got->sin6_family);
    ASSERT_EQ(32853, ntohs(got->sin6_port));
    ASSERT_MEM_EQ(&sin6.sin6_addr, &got->sin6_addr, 16);
}

TEST(stun_request_round_trips)
{
    uint8_t txid[STUN_TXID_LEN] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
    uint8_t buf[256];
    struct stun_message m;
    const uint8_t *l, *r;
    size_t ll, rl;

    int n = stun_binding_request_write(buf, sizeof buf, txid, "srv1:cli22", 0x6e7f1eff,
                                       0x0123456789abcdefull, true, (const uint8_t *)"pw", 2);
    ASSERT(n > 0);
    ASSERT_EQ(0, n % 4);
    ASSERT(stun_is_message(buf, (size_t)n));
    ASSERT_EQ(0, stun_message_parse(&m, buf, (size_t)n));
    ASSERT_EQ(STUN_BINDING_REQUEST, m.type);
    ASSERT_EQ(0, stun_message_check_integrity(&m, (const uint8_t *)"pw", 2));
    ASSERT_EQ(-SQ_EAUTH, stun_message_check_integrity(&m, (const uint8_t *)"pX", 2));
    ASSERT(m.has_priority);
    ASSERT_EQ(0x6e7f1eff, m.priority);
    ASSERT(m.ice_controlling);
    ASSERT(m.tie_breaker == 0x0123456789abcdefull);
    ASSERT(m.use_candidate);
    ASSERT_EQ(0, stun_username_split(&m, &l, &ll, &r, &rl));
    ASSERT_EQ(4, ll);
    ASSERT_MEM_EQ("srv1", l, 4);
    ASSERT_EQ(5, rl);
    ASSERT_MEM_EQ("cli22", r, 5);
    ASSERT_EQ(-SQ_ENOSPACE, stun_binding_request_write(buf, (size_t)n - 1, txid, "srv1:cli22", 1,
                                                       2, true, (const uint8_t *)"pw", 2));
}

/* RFC 8489 sec. 14.5: attributes after MESSAGE-INTEGRITY (other than
 * FINGERPRINT) are ignored and do not break the integrity check. */
TEST(stun_attributes_after_integrity_are_ignored)
{
    uint8_t buf[256];
    size_t n = test_hex(buf, sizeof buf, rfc5769_request);
    struct stun_message m;

    /* Replace FINGERPRINT by a PRIORITY after MI: ignored, MI still valid. */
    buf[100] = 0x00; buf[101] = 0x24; buf[102] = 0x00; buf[103] = 0x04;
    ASSERT_EQ(0, stun_message_parse(&m, buf, n));
    ASSERT_EQ(0x6e0001ff, m.priority);
    ASSERT_EQ(0, m.fingerprint_offset);
    ASSERT_EQ(0, check_pw(&m));
}

TEST(stun_fingerprint_must_be_last)
{
    uint8_t txid[STUN_TXID_LEN] = {0};
    uint8_t buf[128];
    int n = stun_binding_error_write(buf, sizeof buf, txid, 400, "");
    struct stun_message m;

    ASSERT(n > 0);
    /* Append a SOFTWARE attribute after FINGERPRINT. */
    memcpy(buf + n, "\x80\x22\x00\x00", 4);
    buf[3] += 4;
    ASSERT_EQ(-SQ_EMALFORMED, stun_message_parse(&m, buf, (size_t)n + 4));
}

TEST(stun_empty_key_still_signs)
{
    uint8_t txid[STUN_TXID_LEN] = {7};
    uint8_t buf[128];
    struct stun_message m;
    int n = stun_binding_request_write(buf, sizeof buf, txid, "a:b", 1, 2, false, NULL, 0);

    ASSERT(n > 0);
    ASSERT_EQ(0, stun_message_parse(&m, buf, (size_t)n));
    ASSERT_EQ(0, stun_message_check_integrity(&m, NULL, 0));
    ASSERT_EQ(-SQ_EAUTH, stun_message_check_integrity(&m, (const uint8_t *)"x", 1));
}
