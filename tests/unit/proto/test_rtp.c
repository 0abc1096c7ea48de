/* RTP parsing, header extensions (RFC 8285), writer round trips, RTX, demux. */
#include "test.h"

#include <stdlib.h>

#include "sabaq/error.h"
#include "sabaq/rtp.h"

TEST(rtp_parses_fixed_header)
{
    uint8_t buf[64];
    size_t n = test_hex(buf, sizeof buf, "80 e0 12 34 00 01 e2 40 de ad be ef  aa bb cc");
    struct rtp_packet p;

    ASSERT_EQ(0, rtp_packet_parse(&p, buf, n));
    ASSERT(p.marker);
    ASSERT_EQ(96, p.payload_type);
    ASSERT_EQ(0x1234, p.seq);
    ASSERT_EQ(123456, p.timestamp);
    ASSERT(p.ssrc == 0xdeadbeef);
    ASSERT_EQ(0, p.csrc_count);
    ASSERT_EQ(0, p.ext_profile);
    ASSERT_EQ(12, p.header_len);
    ASSERT_EQ(3, p.payload_len);
    ASSERT(p.payload == buf + 12);
    ASSERT_EQ(0, p.padding_len);
}

TEST(rtp_parses_csrcs_extension_and_padding)
{
    uint8_t buf[64];
    /* V=2 P X CC=2; 2 CSRCs; one-byte ext with 1 word; payload 2 bytes; 3 padding. */
    size_t n = test_hex(buf, sizeof buf,
                        "b2 6f 00 01 00 00 00 02 00 00 00 03"
                        "11 11 11 11 22 22 22 22"
                        "be de 00 01 10 7f 00 00"
                        "01 02"
                        "00 00 03");
    struct rtp_packet p;

    ASSERT_EQ(0, rtp_packet_parse(&p, buf, n));
    ASSERT(!p.marker);
    ASSERT_EQ(111, p.payload_type);
    ASSERT_EQ(2, p.csrc_count);
    ASSERT(p.csrcs == buf + 12);
    ASSERT_EQ(0xBEDE, p.ext_profile);
    ASSERT(p.ext == buf + 24);
    ASSERT_EQ(4, p.ext_len);
    ASSERT_EQ(28, p.header_len);
    ASSERT_EQ(2, p.payload_len);
    ASSERT_EQ(1, p.payload[0]);
    ASSERT_EQ(3, p.padding_len);

    const uint8_t *d;
    size_t len;
    ASSERT_EQ(1, rtp_packet_find_ext(&p, 1, &d, &len));
    ASSERT_EQ(1, len);
    ASSERT_EQ(0x7f, d[0]);
    ASSERT_EQ(0, rtp_packet_find_ext(&p, 2, &d, &len));
}

TEST(rtp_rejects_malformed_packets)
{
    uint8_t buf[64];
    struct rtp_packet p;
    size_t n = test_hex(buf, sizeof buf, "80 60 00 01 00 00 00 02 00 00 00 03 aa");

    ASSERT_EQ(0, rtp_packet_parse(&p, buf, n));
    buf[0] = 0x40; /* version 1 */
    ASSERT_EQ(-SQ_EMALFORMED, rtp_packet_parse(&p, buf, n));
    buf[0] = 0x81; /* one CSRC, not there */
    ASSERT_EQ(-SQ_EMALFORMED, rtp_packet_parse(&p, buf, n));
    buf[0] = 0x90; /* extension header cut */
    ASSERT_EQ(-SQ_EMALFORMED, rtp_packet_parse(&p, buf, n));
    buf[0] = 0xa0; /* padding count 0xaa > packet */
    ASSERT_EQ(-SQ_EMALFORMED, rtp_packet_parse(&p, buf, n));
    buf[12] = 0;   /* padding count 0 */
    ASSERT_EQ(-SQ_EMALFORMED, rtp_packet_parse(&p, buf, n));
    buf[12] = 1;   /* only the count byte: empty payload, fine */
    ASSERT_EQ(0, rtp_packet_parse(&p, buf, n));
    ASSERT_EQ(0, p.payload_len);
    ASSERT_EQ(-SQ_EMALFORMED, rtp_packet_parse(&p, buf, 12)); /* P with no byte at all */

    n = test_hex(buf, sizeof buf, "90 60 00 01 00 00 00 02 00 00 00 03 be de 00 02 10 00 00 00");
    ASSERT_EQ(-SQ_EMALFORMED, rtp_packet_parse(&p, buf, n)); /* ext says 2 words, has 1 */
}

TEST(rtp_truncations_never_overread)
{
    uint8_t buf[64];
    size_t n = test_hex(buf, sizeof buf,
                        "b1 6f 00 01 00 00 00 02 00 00 00 03 11 11 11 11"
                        "be de 00 01 10 7f 00 00 01 02 00 00 03");
    for (size_t len = 0; len <= n; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        struct rtp_packet p;
        memcpy(copy, buf, len);
        int rc = rtp_packet_parse(&p, copy, len);
        free(copy);
        ASSERT(len != n || rc == 0);
        /* Cut inside the header: malformed. After it, the last byte is read
         * as the padding count, which may or may not fit. */
        if (len < 24)
            ASSERT_EQ(-SQ_EMALFORMED, rc);
        else if (rc == 0)
            ASSERT(p.header_len + p.payload_len + p.padding_len == len);
    }
}

TEST(rtp_is_rtcp_follows_rfc5761)
{
    uint8_t b[4] = {0x80, 200, 0, 6};
    ASSERT(rtp_is_rtcp(b, 4));
    b[1] = 192;
    ASSERT(rtp_is_rtcp(b, 4));
    b[1] = 223;
    ASSERT(rtp_is_rtcp(b, 4));
    b[1] = 224;
    ASSERT(!rtp_is_rtcp(b, 4));
    b[1] = 0x80 | 96; /* RTP, marker set, PT 96 */
    ASSERT(!rtp_is_rtcp(b, 4));
    b[1] = 201;
    ASSERT(!rtp_is_rtcp(b, 3));
    b[0] = 0x40;
    ASSERT(!rtp_is_rtcp(b, 4));
}

TEST(rtp_header_write_round_trips_with_payload)
{
    struct rtp_header h = {.marker = true, .payload_type = 96, .seq = 65535,
                           .timestamp = 0xfffffff0u, .ssrc = 0x01020304};
    uint8_t buf[RTP_MAX_PACKET];
    struct rtp_packet p;

    int n = rtp_header_write(buf, sizeof buf, &h, NULL, 0);
    ASSERT_EQ(12, n);
    memcpy(buf + n, "hello", 5);
    ASSERT_EQ(0, rtp_packet_parse(&p, buf, (size_t)n + 5));
    ASSERT(p.marker);
    ASSERT_EQ(96, p.payload_type);
    ASSERT_EQ(65535, p.seq);
    ASSERT(p.timestamp == 0xfffffff0u);
    ASSERT_EQ(0x01020304, p.ssrc);
    ASSERT_EQ(0, p.ext_profile);
    ASSERT_EQ(5, p.payload_len);
    ASSERT_MEM_EQ("hello", p.payload, 5);

    ASSERT_EQ(-SQ_ENOSPACE, rtp_header_write(buf, 11, &h, NULL, 0));
    h.payload_type = 128;
    ASSERT_EQ(-SQ_EINVAL, rtp_header_write(buf, sizeof buf, &h, NULL, 0));
}

TEST(rtp_extensions_round_trip)
{
    struct rtp_header h = {.payload_type = 111, .seq = 7, .timestamp = 960, .ssrc = 42};
    const uint8_t mid[] = "0", rid[] = "hi", level[] = {0x80 | 33};
    const uint8_t ast[] = {0x12, 0x34, 0x56}, twcc[] = {0xab, 0xcd};
    const uint8_t rrid[] = "0123456789abcdef";
    struct rtp_ext_element e[] = {
        {1, 1, mid}, {2, 2, rid}, {3, 16, rrid}, {4, 1, level}, {5, 3, ast}, {6, 2, twcc},
    };
    struct rtp_ext_ids ids = {.mid = 1, .rid = 2, .repaired_rid = 3, .audio_level = 4,
                              .abs_send_time = 5, .transport_cc = 6};
    uint8_t buf[256];
    struct rtp_packet p;
    struct rtp_ext_values v;

    int n = rtp_header_write(buf, sizeof buf, &h, e, 6);
    /* Elements 2+3+17+2+4+3 = 31 bytes, padded to 32. */
    ASSERT_EQ(12 + 4 + 32, n);
    ASSERT_EQ(0, buf[n - 1]);
    buf[n] = 0x55;
    ASSERT_EQ(0, rtp_packet_parse(&p, buf, (size_t)n + 1));
    ASSERT_EQ(0xBEDE, p.ext_profile);
    ASSERT_EQ(32, p.ext_len);
    ASSERT_EQ(1, p.payload_len);
    ASSERT_EQ(0, rtp_packet_read_exts(&p, &ids, &v));
    ASSERT(v.has_mid);
    ASSERT_STR_EQ("0", v.mid);
    ASSERT(v.has_rid);
    ASSERT_STR_EQ("hi", v.rid);
    ASSERT(v.has_repaired_rid);
    ASSERT_STR_EQ("0123456789abcdef", v.repaired_rid);
    ASSERT(v.has_audio_level);
    ASSERT(v.voice_activity);
    ASSERT_EQ(33, v.audio_level);
    ASSERT(v.has_abs_send_time);
    ASSERT_EQ(0x123456, v.abs_send_time);
    ASSERT(v.has_transport_cc);
    ASSERT_EQ(0xabcd, v.transport_cc_seq);

    /* Ids not negotiated are not read. */
    struct rtp_ext_ids only_twcc = {.transport_cc = 6};
    ASSERT_EQ(0, rtp_packet_read_exts(&p, &only_twcc, &v));
    ASSERT(!v.has_mid && !v.has_rid && !v.has_audio_level && !v.has_abs_send_time);
    ASSERT(v.has_transport_cc);

    const uint8_t *d;
    size_t len;
    ASSERT_EQ(1, rtp_packet_find_ext(&p, 3, &d, &len));
    ASSERT_EQ(16, len);
    ASSERT_EQ(0, rtp_packet_find_ext(&p, 9, &d, &len));
    ASSERT_EQ(0, rtp_packet_find_ext(&p, 0, &d, &len));
}

TEST(rtp_header_write_rejects_bad_elements)
{
    struct rtp_header h = {.payload_type = 96};
    const uint8_t x[17] = {0};
    struct rtp_ext_element e = {15, 1, x};
    uint8_t buf[64];

    ASSERT_EQ(-SQ_EINVAL, rtp_header_write(buf, sizeof buf, &h, &e, 1));
    e.id = 0;
    ASSERT_EQ(-SQ_EINVAL, rtp_header_write(buf, sizeof buf, &h, &e, 1));
    e.id = 1;
    e.len = 17;
    ASSERT_EQ(-SQ_EINVAL, rtp_header_write(buf, sizeof buf, &h, &e, 1));
    e.len = 0;
    ASSERT_EQ(-SQ_EINVAL, rtp_header_write(buf, sizeof buf, &h, &e, 1));
    e.len = 4; /* 12 + 4 + 8 = 24 bytes */
    ASSERT_EQ(-SQ_ENOSPACE, rtp_header_write(buf, 23, &h, &e, 1));
    ASSERT_EQ(24, rtp_header_write(buf, 24, &h, &e, 1));
}

TEST(rtp_two_byte_extensions_are_read)
{
    uint8_t buf[64];
    /* Profile 0x1000, 3 words: id 1 len 2 "ab", padding 0, id 7 len 0, id 3 len 3. */
    size_t n = test_hex(buf, sizeof buf,
                        "90 60 00 01 00 00 00 02 00 00 00 03"
                        "10 00 00 03 01 02 61 62 00 07 00 03 03 11 22 33"
                        "ff");
    struct rtp_packet p;
    struct rtp_ext_ids ids = {.mid = 1, .abs_send_time = 3, .transport_cc = 7};
    struct rtp_ext_values v;

    ASSERT_EQ(0, rtp_packet_parse(&p, buf, n));
    ASSERT_EQ(0x1000, p.ext_profile);
    ASSERT_EQ(0, rtp_packet_read_exts(&p, &ids, &v));
    ASSERT(v.has_mid);
    ASSERT_STR_EQ("ab", v.mid);
    ASSERT(v.has_abs_send_time);
    ASSERT_EQ(0x112233, v.abs_send_time);
    ASSERT(!v.has_transport_cc); /* zero-length element carries nothing */

    const uint8_t *d;
    size_t len;
    ASSERT_EQ(1, rtp_packet_find_ext(&p, 7, &d, &len));
    ASSERT_EQ(0, len);
    buf[16 + 1] = 0x20; /* first element claims 32 bytes */
    ASSERT_EQ(0, rtp_packet_parse(&p, buf, n));
    ASSERT_EQ(-SQ_EMALFORMED, rtp_packet_find_ext(&p, 3, &d, &len));
    ASSERT_EQ(-SQ_EMALFORMED, rtp_packet_read_exts(&p, &ids, &v));
}

TEST(rtp_one_byte_extension_edge_cases)
{
    uint8_t buf[64];
    struct rtp_packet p;
    struct rtp_ext_ids ids = {.mid = 1, .abs_send_time = 2};
    struct rtp_ext_values v;
    const uint8_t *d;
    size_t len;

    /* Element overruns the block: id 1 with len 4 in 1 word. */
    size_t n = test_hex(buf, sizeof buf, "90 60 00 01 00 00 00 02 00 00 00 03 be de 00 01 13 61 62 63");
    ASSERT_EQ(0, rtp_packet_parse(&p, buf, n));
    ASSERT_EQ(-SQ_EMALFORMED, rtp_packet_read_exts(&p, &ids, &v));
    ASSERT_EQ(-SQ_EMALFORMED, rtp_packet_find_ext(&p, 1, &d, &len));
    /* id 15 stops processing: the element after it is not seen. */
    n = test_hex(buf, sizeof buf, "90 60 00 01 00 00 00 02 00 00 00 03 be de 00 01 f0 10 61 00");
    ASSERT_EQ(0, rtp_packet_parse(&p, buf, n));
    ASSERT_EQ(0, rtp_packet_read_exts(&p, &ids, &v));
    ASSERT(!v.has_mid);
    /* abs-send-time must be 3 bytes. */
    n = test_hex(buf, sizeof buf, "90 60 00 01 00 00 00 02 00 00 00 03 be de 00 01 21 00 01 00");
    ASSERT_EQ(0, rtp_packet_parse(&p, buf, n));
    ASSERT_EQ(-SQ_EMALFORMED, rtp_packet_read_exts(&p, &ids, &v));
    /* A MID with a NUL inside cannot be a C string. */
    n = test_hex(buf, sizeof buf, "90 60 00 01 00 00 00 02 00 00 00 03 be de 00 01 11 61 00 00");
    ASSERT_EQ(0, rtp_packet_parse(&p, buf, n));
    ASSERT_EQ(-SQ_EMALFORMED, rtp_packet_read_exts(&p, &ids, &v));
    /* Unknown profile: nothing to find. */
    n = test_hex(buf, sizeof buf, "90 60 00 01 00 00 00 02 00 00 00 03 ab cd 00 01 11 61 62 00");
    ASSERT_EQ(0, rtp_packet_parse(&p, buf, n));
    ASSERT_EQ(0, rtp_packet_find_ext(&p, 1, &d, &len));
    ASSERT_EQ(0, rtp_packet_read_exts(&p, &ids, &v));
    ASSERT(!v.has_mid);
}

TEST(rtp_rtx_original_sequence_number)
{
    uint8_t buf[64];
    size_t n = test_hex(buf, sizeof buf, "80 61 00 09 00 00 00 02 00 00 00 03 ab cd 99");
    struct rtp_packet p;
    uint16_t osn = 0;

    ASSERT_EQ(0, rtp_packet_parse(&p, buf, n));
    ASSERT_EQ(0, rtp_rtx_original_seq(&p, &osn));
    ASSERT_EQ(0xabcd, osn);
    ASSERT_EQ(0, rtp_packet_parse(&p, buf, n - 2));
    ASSERT_EQ(-SQ_EMALFORMED, rtp_rtx_original_seq(&p, &osn));
}

TEST(rtp_seq_newer_wraps)
{
    ASSERT(rtp_seq_newer(1, 0));
    ASSERT(rtp_seq_newer(0, 65535));
    ASSERT(!rtp_seq_newer(65535, 0));
    ASSERT(!rtp_seq_newer(5, 5));
    ASSERT(rtp_seq_newer(0x7fff, 0));
    ASSERT(!rtp_seq_newer(0x8000, 0));
}
