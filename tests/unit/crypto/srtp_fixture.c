/* Keys and packets shared by the SRTP tests. */
#include "srtp_fixture.h"

#include <string.h>

struct srtp_keys srtp_fixture_keys(enum srtp_profile p)
{
    struct srtp_keys k = {.profile = p, .key_len = 16};
    k.salt_len = p == SRTP_PROFILE_AEAD_AES_128_GCM ? 12 : 14;
    for (int i = 0; i < 16; i++)
        k.local_key[i] = k.remote_key[i] = (uint8_t)(0x11 * i + 3);
    for (int i = 0; i < k.salt_len; i++)
        k.local_salt[i] = k.remote_salt[i] = (uint8_t)(0xa0 + i);
    return k;
}

size_t srtp_fixture_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, int csrcs, int ext,
                        size_t payload)
{
    size_t n = 0;
    buf[n++] = (uint8_t)(0x80 | (ext ? 0x10 : 0) | csrcs);
    buf[n++] = 96;
    buf[n++] = (uint8_t)(seq >> 8);
    buf[n++] = (uint8_t)seq;
    for (int i = 0; i < 4; i++)
        buf[n++] = (uint8_t)(seq * 7 + i); /* timestamp */
    for (int i = 0; i < 4; i++)
        buf[n++] = (uint8_t)(ssrc >> (24 - 8 * i));
    for (int c = 0; c < csrcs * 4; c++)
        buf[n++] = (uint8_t)(0xc0 + c);
    if (ext) {
        static const uint8_t hdr[] = {0xbe, 0xde, 0x00, 0x02, 0x10, 0xaa, 0x21,
                                      0xbb, 0xcc, 0x00, 0x00, 0x00};
        memcpy(buf + n, hdr, sizeof hdr);
        n += sizeof hdr;
    }
    for (size_t i = 0; i < payload; i++)
        buf[n++] = (uint8_t)(seq + i * 13);
    return n;
}

size_t srtp_fixture_rtcp(uint8_t *buf, uint32_t ssrc, uint32_t media)
{
    static const uint8_t rr[] = {0x80, 201, 0x00, 0x01, 0, 0, 0, 0};
    static const uint8_t pli[] = {0x81, 206, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0};
    memcpy(buf, rr, sizeof rr);
    memcpy(buf + sizeof rr, pli, sizeof pli);
    for (int i = 0; i < 4; i++) {
        buf[4 + i] = buf[12 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
        buf[16 + i] = (uint8_t)(media >> (24 - 8 * i));
    }
    return sizeof rr + sizeof pli;
}
