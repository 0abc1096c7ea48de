/* RTP (RFC 3550) with header extensions (RFC 8285), RTX (RFC 4588) and the
 * RTP/RTCP demultiplexing rule of RFC 5761. Sans-IO: views point into the
 * caller's buffer; nothing allocates or logs; every length is checked. */
#ifndef SABAQ_RTP_H
#define SABAQ_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HEADER_MIN 12
#define RTP_MAX_PACKET 1500

struct rtp_packet {
    bool marker;
    uint8_t payload_type;
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
    uint8_t csrc_count;
    const uint8_t *csrcs;        /* csrc_count * 4 bytes, network order */
    uint16_t ext_profile;        /* 0xBEDE (one-byte), 0x1000..0x100F (two-byte), 0 none */
    const uint8_t *ext;          /* extension elements, after the 4-byte extension header */
    size_t ext_len;              /* bytes of elements (a multiple of 4) */
    const uint8_t *payload;
    size_t payload_len;          /* without padding */
    uint8_t padding_len;         /* including the count byte; 0 when no P bit */
    size_t header_len;           /* fixed header + CSRCs + extension block */
};

/* 0 or -SQ_EMALFORMED (version != 2, lengths that overrun, bad padding). */
int rtp_packet_parse(struct rtp_packet *out, const uint8_t *buf, size_t len);

/* RFC 5761 sec. 4: with rtcp-mux, packet types 192..223 in the second byte are
 * RTCP (this covers SR 200 .. PSFB 206 and XR 207). */
bool rtp_is_rtcp(const uint8_t *buf, size_t len);

/* Finds extension element `id` (1..14 one-byte, 1..255 two-byte). Returns 1
 * with *data and *len set, 0 when absent, -SQ_EMALFORMED when the block is broken. */
int rtp_packet_find_ext(const struct rtp_packet *p, uint8_t id, const uint8_t **data, size_t *len);

/* Extension ids negotiated on one transport; 0 means "not negotiated". */
struct rtp_ext_ids {
    uint8_t mid;
    uint8_t rid;
    uint8_t repaired_rid;
    uint8_t audio_level;
    uint8_t abs_send_time;
    uint8_t transport_cc;
};

/* Values of the extensions Sabaq understands, read in one pass. */
struct rtp_ext_values {
    bool has_mid;
    char mid[17];                /* NUL-terminated, at most 16 bytes */
    bool has_rid;
    char rid[17];
    bool has_repaired_rid;
    char repaired_rid[17];
    bool has_audio_level;
    uint8_t audio_level;         /* 0..127, -dBov */
    bool voice_activity;
    bool has_abs_send_time;
    uint32_t abs_send_time;      /* 24-bit 6.18 fixed point */
    bool has_transport_cc;
    uint16_t transport_cc_seq;
};

/* 0 or -SQ_EMALFORMED. Unknown ids are skipped. */
int rtp_packet_read_exts(const struct rtp_packet *p, const struct rtp_ext_ids *ids,
                         struct rtp_ext_values *out);

/* One extension element to write. */
struct rtp_ext_element {
    uint8_t id;                  /* 1..14 */
    uint8_t len;                 /* 1..16 */
    const uint8_t *data;
};

struct rtp_header {
    bool marker;
    uint8_t payload_type;
    uint16_t seq;
    uint32_t timestamp;
    uint32_t ssrc;
};

/* Writes a fixed header (no CSRCs) plus a one-byte-header extension block made
 * of `exts` (none when n_ext is 0). Returns the header length or -SQ_ENOSPACE /
 * -SQ_EINVAL. The payload is the caller's to append. */
int rtp_header_write(uint8_t *out, size_t cap, const struct rtp_header *h,
                     const struct rtp_ext_element *exts, size_t n_ext);

/* RFC 4588: an RTX payload is the 2-byte original sequence number followed by
 * the original payload. Reads the OSN: 0 or -SQ_EMALFORMED. */
int rtp_rtx_original_seq(const struct rtp_packet *rtx, uint16_t *osn);

/* Sequence arithmetic modulo 2^16: true when a is newer than b. */
static inline bool rtp_seq_newer(uint16_t a, uint16_t b)
{
    return a != b && (uint16_t)(a - b) < 0x8000;
}

#endif
