/* RTP (RFC 3550) parsing and header writing, header extensions in both the
 * one-byte and two-byte forms (RFC 8285), RTX (RFC 4588) and the RFC 5761
 * RTP/RTCP demultiplexing rule. Sans-IO: views into the caller's buffer. */
#include "sabaq/rtp.h"

#include <string.h>

#include "sabaq/error.h"

#define EXT_ONE_BYTE 0xBEDE
#define EXT_NAME_MAX 16

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

int rtp_packet_parse(struct rtp_packet *out, const uint8_t *buf, size_t len)
{
    size_t off;

    memset(out, 0, sizeof *out);
    if (len < RTP_HEADER_MIN || buf[0] >> 6 != 2)
        return -SQ_EMALFORMED;
    out->marker = buf[1] >> 7;
    out->payload_type = buf[1] & 0x7F;
    out->seq = rd16(buf + 2);
    out->timestamp = rd32(buf + 4);
    out->ssrc = rd32(buf + 8);
    out->csrc_count = buf[0] & 0x0F;
    off = RTP_HEADER_MIN + 4u * out->csrc_count;
    if (off > len)
        return -SQ_EMALFORMED;
    if (out->csrc_count)
        out->csrcs = buf + RTP_HEADER_MIN;

    if (buf[0] & 0x10) {
        if (len - off < 4)
            return -SQ_EMALFORMED;
        size_t ext_len = 4u * rd16(buf + off + 2);
        if (ext_len > len - off - 4)
            return -SQ_EMALFORMED;
        out->ext_profile = rd16(buf + off);
        out->ext = buf + off + 4;
        out->ext_len = ext_len;
        off += 4 + ext_len;
    }
    out->header_len = off;

    size_t pad = 0;
    if (buf[0] & 0x20) {
        /* The last byte counts the padding, itself included. */
        if (len == off)
            return -SQ_EMALFORMED;
        pad = buf[len - 1];
        if (pad == 0 || pad > len - off)
            return -SQ_EMALFORMED;
    }
    out->padding_len = (uint8_t)pad;
    out->payload = buf + off;
    out->payload_len = len - off - pad;
    return 0;
}

bool rtp_is_rtcp(const uint8_t *buf, size_t len)
{
    return len >= 4 && buf[0] >> 6 == 2 && buf[1] >= 192 && buf[1] <= 223;
}

static bool is_two_byte(uint16_t profile) { return (profile & 0xFFF0) == 0x1000; }

/* Steps over one extension element at *off: 1 with id/data/len set, 0 at the
 * end of the block, -SQ_EMALFORMED when an element overruns it. */
static int ext_next(const struct rtp_packet *p, size_t *off, uint8_t *id, const uint8_t **data,
                    size_t *len)
{
    const uint8_t *e = p->ext;
    size_t n = p->ext_len;

    if (p->ext_profile == EXT_ONE_BYTE) {
        while (*off < n && e[*off] == 0) /* padding between elements */
            (*off)++;
        if (*off >= n)
            return 0;
        uint8_t b = e[*off];
        /* RFC 8285 sec. 4.2: id 15 ends processing of the whole block. */
        if (b >> 4 == 15)
            return 0;
        *id = b >> 4;
        *len = (size_t)(b & 0x0F) + 1;
        if (*len > n - *off - 1)
            return -SQ_EMALFORMED;
        *data = e + *off + 1;
        *off += 1 + *len;
        return 1;
    }
    if (is_two_byte(p->ext_profile)) {
        while (*off < n && e[*off] == 0)
            (*off)++;
        if (*off >= n)
            return 0;
        if (n - *off < 2)
            return -SQ_EMALFORMED;
        *id = e[*off];
        *len = e[*off + 1];
        if (*len > n - *off - 2)
            return -SQ_EMALFORMED;
        *data = e + *off + 2;
        *off += 2 + *len;
        return 1;
    }
    return 0; /* no extension, or a profile we do not read */
}

int rtp_packet_find_ext(const struct rtp_packet *p, uint8_t id, const uint8_t **data, size_t *len)
{
    size_t off = 0;
    uint8_t got;
    const uint8_t *d;
    size_t l;
    int rc;

    if (id == 0)
        return 0;
    while ((rc = ext_next(p, &off, &got, &d, &l)) == 1) {
        if (got == id) {
            *data = d;
            *len = l;
            return 1;
        }
    }
    return rc;
}

/* MID and RID values are short tokens; longer ones or embedded NULs would not
 * survive as C strings, so they count as malformed. */
static int read_name(char dst[EXT_NAME_MAX + 1], bool *has, const uint8_t *d, size_t len)
{
    if (len == 0 || len > EXT_NAME_MAX || memchr(d, 0, len))
        return -SQ_EMALFORMED;
    memcpy(dst, d, len);
    dst[len] = '\0';
    *has = true;
    return 0;
}

static int read_one(const struct rtp_ext_ids *ids, struct rtp_ext_values *v, uint8_t id,
                    const uint8_t *d, size_t len)
{
    if (id == ids->mid)
        return read_name(v->mid, &v->has_mid, d, len);
    if (id == ids->rid)
        return read_name(v->rid, &v->has_rid, d, len);
    if (id == ids->repaired_rid)
        return read_name(v->repaired_rid, &v->has_repaired_rid, d, len);
    if (id == ids->audio_level) {
        /* RFC 6464: V bit then the level in -dBov. */
        v->has_audio_level = true;
        v->voice_activity = d[0] >> 7;
        v->audio_level = d[0] & 0x7F;
        return 0;
    }
    if (id == ids->abs_send_time) {
        if (len != 3)
            return -SQ_EMALFORMED;
        v->has_abs_send_time = true;
        v->abs_send_time = (uint32_t)d[0] << 16 | (uint32_t)d[1] << 8 | d[2];
        return 0;
    }
    if (id == ids->transport_cc) {
        if (len < 2)
            return -SQ_EMALFORMED;
        v->has_transport_cc = true;
        v->transport_cc_seq = rd16(d);
        return 0;
    }
    return 0;
}

int rtp_packet_read_exts(const struct rtp_packet *p, const struct rtp_ext_ids *ids,
                         struct rtp_ext_values *out)
{
    size_t off = 0;
    uint8_t id;
    const uint8_t *d;
    size_t len;
    int rc;

    memset(out, 0, sizeof *out);
    while ((rc = ext_next(p, &off, &id, &d, &len)) == 1) {
        /* id 0 would match every "not negotiated" slot; a zero-length
         * two-byte element carries no value for any of ours. */
        if (id == 0 || len == 0)
            continue;
        rc = read_one(ids, out, id, d, len);
        if (rc < 0)
            return rc;
    }
    return rc;
}

int rtp_header_write(uint8_t *out, size_t cap, const struct rtp_header *h,
                     const struct rtp_ext_element *exts, size_t n_ext)
{
    size_t elems = 0, block = 0, total;

    if (h->payload_type > 127)
        return -SQ_EINVAL;
    for (size_t i = 0; i < n_ext; i++) {
        if (exts[i].id < 1 || exts[i].id > 14 || exts[i].len < 1 || exts[i].len > 16 ||
            !exts[i].data)
            return -SQ_EINVAL;
        elems += 1u + exts[i].len;
    }
    if (n_ext) {
        block = (elems + 3) & ~(size_t)3;
        if (block / 4 > 0xFFFF)
            return -SQ_EINVAL;
    }
    total = RTP_HEADER_MIN + (n_ext ? 4 + block : 0);
    if (cap < total)
        return -SQ_ENOSPACE;

    out[0] = (uint8_t)(0x80 | (n_ext ? 0x10 : 0));
    out[1] = (uint8_t)((h->marker ? 0x80 : 0) | h->payload_type);
    wr16(out + 2, h->seq);
    wr32(out + 4, h->timestamp);
    wr32(out + 8, h->ssrc);
    if (!n_ext)
        return RTP_HEADER_MIN;

    uint8_t *e = out + RTP_HEADER_MIN;
    wr16(e, EXT_ONE_BYTE);
    wr16(e + 2, (uint16_t)(block / 4));
    size_t off = 4;
    for (size_t i = 0; i < n_ext; i++) {
        e[off++] = (uint8_t)(exts[i].id << 4 | (exts[i].len - 1));
        memcpy(e + off, exts[i].data, exts[i].len);
        off += exts[i].len;
    }
    memset(e + off, 0, 4 + block - off);
    return (int)total;
}

int rtp_rtx_original_seq(const struct rtp_packet *rtx, uint16_t *osn)
{
    if (rtx->payload_len < 2)
        return -SQ_EMALFORMED;
    *osn = rd16(rtx->payload);
    return 0;
}
