/* The workers' socket group on the one media port: it shares the port
 * among its own sockets only. A port anything holds is refused, and nothing
 * else (another group included: a second Sabaq) can join it. */
#include "test.h"

#include <errno.h>
#include <unistd.h>

#include "sabaq/error.h"
#include "sabaq/sfu.h"
#include "io/udp.h"

static void close_all(int *fds, unsigned n, int lock)
{
    for (unsigned i = 0; i < n; i++)
        close(fds[i]);
    if (lock >= 0)
        close(lock);
}

TEST(udp_group_binds_every_socket_to_one_port)
{
    int fds[3], lock = -1;
    ASSERT_EQ(0, udp_open_group("127.0.0.1", 0, fds, 3, &lock));
    ASSERT(lock >= 0);
    uint16_t port = udp_port(fds[0]);
    ASSERT(port != 0);
    ASSERT_EQ(port, udp_port(fds[1]));
    ASSERT_EQ(port, udp_port(fds[2]));
    close_all(fds, 3, lock);
}

TEST(udp_group_refuses_a_port_a_plain_socket_holds)
{
    int plain = udp_open("127.0.0.1", 0);
    ASSERT(plain >= 0);
    int fds[2], lock = -1;
    errno = 0;
    ASSERT(udp_open_group("127.0.0.1", udp_port(plain), fds, 2, &lock) < 0);
    ASSERT_EQ(EADDRINUSE, errno);
    ASSERT_EQ(-1, lock);
    close(plain);
}

TEST(udp_group_port_cannot_be_taken_by_a_plain_socket_or_another_group)
{
    int fds[2], lock = -1, other[2], other_lock = -1;
    ASSERT_EQ(0, udp_open_group("127.0.0.1", 0, fds, 2, &lock));
    uint16_t port = udp_port(fds[0]);
    ASSERT(udp_open("127.0.0.1", port) < 0);
    errno = 0;
    ASSERT(udp_open_group("127.0.0.1", port, other, 2, &other_lock) < 0);
    ASSERT_EQ(EADDRINUSE, errno);
    /* Not even on the wildcard address of the same port. */
    ASSERT(udp_open_group("0.0.0.0", port, other, 2, &other_lock) < 0);
    close_all(fds, 2, lock);
}

TEST(udp_group_lock_stops_a_second_server_that_passed_the_probe)
{
    int fds[2], lock = -1;
    ASSERT_EQ(0, udp_open_group("127.0.0.1", 0, fds, 2, &lock));
    uint16_t port = udp_port(fds[0]);
    /* The window between the probe and the group's bind: simulated by
     * closing our sockets while keeping the lock. */
    close(fds[0]);
    close(fds[1]);
    int other[2], other_lock = -1;
    errno = 0;
    ASSERT(udp_open_group("127.0.0.1", port, other, 2, &other_lock) < 0);
    ASSERT_EQ(EADDRINUSE, errno);
    close(lock);
    ASSERT_EQ(0, udp_open_group("127.0.0.1", port, other, 2, &other_lock));
    close_all(other, 2, other_lock);
}

TEST(sfu_with_two_workers_refuses_to_share_its_port_with_a_second_sfu)
{
    struct sfu_config cfg = {.bind_address = "127.0.0.1", .workers = 2,
                             .announce = {"127.0.0.1"}};
    struct sfu *a = sfu_start(&cfg);
    ASSERT(a);
    ASSERT_EQ(2, sfu_workers(a));
    cfg.port = sfu_port(a);
    struct sfu *b = sfu_start(&cfg);
    ASSERT(b == NULL);
    cfg.workers = 1;
    b = sfu_start(&cfg);
    ASSERT(b == NULL);
    sfu_stop(a);
}
