/* libFuzzer target for the STUN parser: parse, integrity with a fixed key,
 * USERNAME split, and a writer round trip of any decoded address. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "sabaq/error.h"
#include "sabaq/stun.h"

static const uint8_t key[] = "VOkJxbRl1RmTxUk/WvJxBt";

static void check_address_round_trip(const struct stun_message *m)
{
    uint8_t out[128];
    struct stun_message back;
    int n = stun_binding_success_write(out, sizeof out, m->txid,
                                       (const struct sockaddr *)&m->xor_mapped_address, key,
                                       sizeof key - 1);
    if (n < 0)
        abort();
    if (stun_message_parse(&back, out, (size_t)n) != 0 ||
        stun_message_check_integrity(&back, key, sizeof key - 1) != 0 ||
        !back.has_xor_mapped_address ||
        memcmp(&back.xor_mapped_address, &m->xor_mapped_address,
               sizeof back.xor_mapped_address) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stun_message m;
    const uint8_t *l, *r;
    size_t ll, rl;

    (void)stun_is_message(data, size);
    int rc = stun_message_parse(&m, data, size);
    (void)stun_message_check_integrity(&m, key, sizeof key - 1);
    (void)stun_username_split(&m, &l, &ll, &r, &rl);
    if (rc == 0) {
        if (m.username_len > 0 && stun_username_split(&m, &l, &ll, &r, &rl) == 0 &&
            ll + 1 + rl != m.username_len)
            abort();
        if (m.has_xor_mapped_address)
            check_address_round_trip(&m);
    }
    return 0;
}
