/* A core's routes toward other workers' transports (rtc/mesh.h): by ufrag
 * for STUN, by claimed address for the rest, with expiry of claims. */
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "sabaq/error.h"
#include "rtc/mesh.h"

static struct sockaddr_storage v4(const char *ip, uint16_t port, socklen_t *len)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, ip, &a->sin_addr);
    *len = sizeof(*a);
    return ss;
}

static struct sockaddr_storage v4_mapped(const char *ip, uint16_t port, socklen_t *len)
{
    struct sockaddr_storage ss;
    char mapped[64];
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    snprintf(mapped, sizeof(mapped), "::ffff:%s", ip);
    inet_pton(AF_INET6, mapped, &a->sin6_addr);
    *len = sizeof(*a);
    return ss;
}

TEST(mesh_routes_ufrags_to_their_worker_until_unrouted)
{
    struct mesh m;
    ASSERT_EQ(0, mesh_init(&m, NULL, NULL, 0, 1));
    ASSERT(!mesh_is_on(&m));
    ASSERT_EQ(0, mesh_route_ufrag(&m, "abcd", 1));
    ASSERT_EQ(0, mesh_route_ufrag(&m, "efgh", 3));
    ASSERT_EQ(1, mesh_find_ufrag(&m, (const uint8_t *)"abcd", 4));
    ASSERT_EQ(3, mesh_find_ufrag(&m, (const uint8_t *)"efgh", 4));
    ASSERT_EQ(-1, mesh_find_ufrag(&m, (const uint8_t *)"abc", 3));
    ASSERT_EQ(0, mesh_route_ufrag(&m, "abcd", 2)); /* moved: replaced */
    ASSERT_EQ(2, mesh_find_ufrag(&m, (const uint8_t *)"abcd", 4));
    mesh_unroute_ufrag(&m, "abcd");
    ASSERT_EQ(-1, mesh_find_ufrag(&m, (const uint8_t *)"abcd", 4));
    ASSERT_EQ(3, mesh_find_ufrag(&m, (const uint8_t *)"efgh", 4));
    ASSERT_EQ(-SQ_EINVAL, mesh_route_ufrag(&m, "", 1));
    mesh_destroy(&m); /* frees efgh's route (ASan checks) */
}

TEST(mesh_claims_expire_unless_refreshed_and_static_routes_stay)
{
    struct mesh m;
    socklen_t l1, l2, l3;
    struct sockaddr_storage a = v4("192.0.2.1", 5000, &l1);
    struct sockaddr_storage a6 = v4_mapped("192.0.2.1", 5000, &l3);
    struct sockaddr_storage b = v4("192.0.2.2", 6000, &l2);
    uint64_t t0 = 1000000;
    ASSERT_EQ(0, mesh_init(&m, NULL, NULL, 0, 7));
    ASSERT_EQ(0, mesh_route_addr(&m, &a, l1, 1, false, t0));
    ASSERT_EQ(0, mesh_route_addr(&m, &b, l2, 2, true, t0));
    /* A dual-stack socket's v4-mapped form is the same peer. */
    ASSERT_EQ(1, mesh_find_addr(&m, &a6, l3));
    ASSERT_EQ(2, mesh_find_addr(&m, &b, l2));
    /* Refreshed by a claim halfway: alive one TTL after the refresh. */
    uint64_t half = t0 + MESH_ADDR_ROUTE_TTL_US / 2;
    ASSERT_EQ(0, mesh_route_addr(&m, &a, l1, 1, false, half));
    mesh_expire(&m, t0 + MESH_ADDR_ROUTE_TTL_US + 1);
    ASSERT_EQ(1, mesh_find_addr(&m, &a, l1));
    mesh_expire(&m, half + MESH_ADDR_ROUTE_TTL_US);
    ASSERT_EQ(-1, mesh_find_addr(&m, &a, l1));
    ASSERT_EQ(2, mesh_find_addr(&m, &b, l2)); /* static */
    mesh_destroy(&m);
}
