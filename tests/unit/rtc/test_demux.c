/* Demux tables: addresses (v4 and its v4-mapped v6 form are one peer),
 * ufrags, removal, growth, and an address moving to another owner. */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "sabaq/error.h"
#include "rtc/demux.h"

static socklen_t v4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof(*ss));
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    inet_pton(AF_INET, ip, &in->sin_addr);
    return sizeof(*in);
}

static socklen_t v6(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof(*ss));
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &in6->sin6_addr);
    return sizeof(*in6);
}

TEST(demux_finds_address_in_v4_and_mapped_form)
{
    struct demux d;
    struct demux_addr_node n = {0};
    struct sockaddr_storage a, b, other;
    int owner;
    ASSERT_EQ(0, demux_init(&d, 1234));
    socklen_t al = v4(&a, "192.0.2.7", 5000);
    socklen_t bl = v6(&b, "::ffff:192.0.2.7", 5000);
    socklen_t ol = v4(&other, "192.0.2.7", 5001);
    ASSERT_EQ(0, demux_add_addr(&d, &n, &a, al, &owner));
    ASSERT(demux_find_addr(&d, &a, al) == &owner);
    ASSERT(demux_find_addr(&d, &b, bl) == &owner);
    ASSERT(demux_find_addr(&d, &other, ol) == NULL);
    demux_remove_addr(&d, &n);
    ASSERT(demux_find_addr(&d, &a, al) == NULL);
    demux_remove_addr(&d, &n);   /* twice is harmless */
    demux_destroy(&d);
}

TEST(demux_refuses_bad_address)
{
    struct demux d;
    struct demux_addr_node n = {0};
    struct sockaddr_storage a;
    ASSERT_EQ(0, demux_init(&d, 1));
    socklen_t al = v4(&a, "192.0.2.1", 1);
    ASSERT_EQ(-SQ_EINVAL, demux_add_addr(&d, &n, &a, al - 1, NULL));
    a.ss_family = AF_UNIX;
    ASSERT(demux_find_addr(&d, &a, sizeof(a)) == NULL);
    demux_destroy(&d);
}

TEST(demux_grows_and_keeps_every_entry)
{
    enum { N = 1000 };
    static struct demux_addr_node nodes[N];
    static int owners[N];
    struct demux d;
    struct sockaddr_storage a;
    ASSERT_EQ(0, demux_init(&d, 99));
    for (int i = 0; i < N; i++) {
        socklen_t al = v6(&a, "2001:db8::1", (uint16_t)(1000 + i));
        ASSERT_EQ(0, demux_add_addr(&d, &nodes[i], &a, al, &owners[i]));
    }
    ASSERT_EQ(N, d.n_addr);
    for (int i = 0; i < N; i++) {
        socklen_t al = v6(&a, "2001:db8::1", (uint16_t)(1000 + i));
        ASSERT(demux_find_addr(&d, &a, al) == &owners[i]);
    }
    for (int i = 0; i < N; i += 2)
        demux_remove_addr(&d, &nodes[i]);
    for (int i = 0; i < N; i++) {
        socklen_t al = v6(&a, "2001:db8::1", (uint16_t)(1000 + i));
        ASSERT(demux_find_addr(&d, &a, al) == (i % 2 ? &owners[i] : NULL));
    }
    demux_destroy(&d);
}

TEST(demux_address_moves_to_latest_owner)
{
    struct demux d;
    struct demux_addr_node n1 = {0}, n2 = {0};
    struct sockaddr_storage a;
    int o1, o2;
    ASSERT_EQ(0, demux_init(&d, 5));
    socklen_t al = v4(&a, "198.51.100.1", 9);
    ASSERT_EQ(0, demux_add_addr(&d, &n1, &a, al, &o1));
    ASSERT_EQ(0, demux_add_addr(&d, &n2, &a, al, &o2));
    ASSERT(demux_find_addr(&d, &a, al) == &o2);
    ASSERT(!n1.is_linked);
    ASSERT_EQ(1, d.n_addr);
    demux_remove_addr(&d, &n1);
    ASSERT(demux_find_addr(&d, &a, al) == &o2);
    demux_destroy(&d);
}

TEST(demux_finds_ufrag_and_refuses_duplicate)
{
    struct demux d;
    struct demux_ufrag_node n1 = {0}, n2 = {0};
    int o1, o2;
    ASSERT_EQ(0, demux_init(&d, 7));
    ASSERT_EQ(0, demux_add_ufrag(&d, &n1, "abcd", &o1));
    ASSERT_EQ(-SQ_EEXIST, demux_add_ufrag(&d, &n2, "abcd", &o2));
    ASSERT_EQ(0, demux_add_ufrag(&d, &n2, "abce", &o2));
    ASSERT(demux_find_ufrag(&d, (const uint8_t *)"abcd", 4) == &o1);
    ASSERT(demux_find_ufrag(&d, (const uint8_t *)"abce", 4) == &o2);
    ASSERT(demux_find_ufrag(&d, (const uint8_t *)"abc", 3) == NULL);
    demux_remove_ufrag(&d, &n1);
    ASSERT(demux_find_ufrag(&d, (const uint8_t *)"abcd", 4) == NULL);
    demux_destroy(&d);
}
