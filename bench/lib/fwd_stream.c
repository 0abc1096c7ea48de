/* Builds bench/fwd's input: a VP8 stream (RFC 7741 payload descriptor, RFC 6386
 * frame header) in RTP (RFC 3550) with one-byte header extensions (RFC 8285),
 * written by hand so the input does not depend on the parsers under test,
 * then protected with libsrtp2 (RFC 3711 / RFC 7714) like a browser would. */
#include "fwd_stream.h"

#include <stdlib.h>
#include <string.h>

#define RTP_FIXED 12
#define VP8_DESC_LEN 4           /* X=1, I=1 with a 15-bit PictureID (Chrome's layout) */

static uint64_t next_rand(uint64_t *s)
{
    /* xorshift64*: deterministic content and frame-size jitter. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

/* Header with mid, abs-send-time and transport-cc; returns its length. */
static size_t write_header(uint8_t *p, const struct fwd_stream_config *c, bool marker, uint16_t seq,
                           uint32_t ts, uint64_t at_us, uint16_t twcc_seq)
{
    p[0] = 0x90;                 /* V=2, X=1 */
    p[1] = (uint8_t)((marker ? 0x80 : 0) | c->payload_type);
    put16(p + 2, seq);
    put32(p + 4, ts);
    put32(p + 8, c->ssrc);
    uint8_t *e = p + 16;
    size_t n = 0;
    size_t mid_len = strlen(c->mid);
    e[n++] = (uint8_t)(c->ext_mid << 4 | (mid_len - 1));
    memcpy(e + n, c->mid, mid_len);
    n += mid_len;
    /* abs-send-time: 6.18 fixed-point seconds, 24 bits. */
    uint32_t ast = (uint32_t)(((at_us << 18) / 1000000u) & 0xffffff);
    e[n++] = (uint8_t)(c->ext_abs_send_time << 4 | 2);
    e[n++] = (uint8_t)(ast >> 16);
    e[n++] = (uint8_t)(ast >> 8);
    e[n++] = (uint8_t)ast;
    e[n++] = (uint8_t)(c->ext_transport_cc << 4 | 1);
    put16(e + n, twcc_seq);
    n += 2;
    while (n % 4)
        e[n++] = 0;
    p[12] = 0xBE;
    p[13] = 0xDE;
    put16(p + 14, (uint32_t)(n / 4));
    return 16 + n;
}

/* The first bytes of a VP8 frame: 3-byte frame tag, and for a keyframe the
 * start code 9d 01 2a and the dimensions. Returns the bytes written. */
static size_t write_frame_start(uint8_t *p, bool key, size_t frame_len, uint16_t w, uint16_t h)
{
    uint32_t first_part = (uint32_t)(frame_len / 4) & 0x7ffff;
    uint32_t tag = first_part << 5 | 1u << 4 | (key ? 0u : 1u); /* show_frame, P = !key */
    p[0] = (uint8_t)tag;
    p[1] = (uint8_t)(tag >> 8);
    p[2] = (uint8_t)(tag >> 16);
    if (!key)
        return 3;
    p[3] = 0x9d;
    p[4] = 0x01;
    p[5] = 0x2a;
    p[6] = (uint8_t)w;
    p[7] = (uint8_t)(w >> 8);
    p[8] = (uint8_t)h;
    p[9] = (uint8_t)(h >> 8);
    return 10;
}

static size_t frame_bytes(const struct fwd_stream_config *c, uint32_t frame, uint64_t *rng)
{
    double mean = (double)c->bitrate_bps / 8.0 / c->fps;
    uint32_t k = c->keyframe_interval ? c->keyframe_interval : 1;
    if (frame % k == 0)
        return (size_t)(mean * c->keyframe_scale);
    /* Delta frames share what the keyframe leaves of the budget, +-20 %. */
    double delta = (mean * k - mean * c->keyframe_scale) / (k > 1 ? k - 1 : 1);
    if (delta < 300)
        delta = 300;
    double jitter = 0.8 + 0.4 * (double)(next_rand(rng) >> 11) / (double)(1ull << 53);
    return (size_t)(delta * jitter);
}

static size_t stride(size_t plain_len)
{
    return (plain_len + SRTP_MAX_TRAILER + 63) & ~(size_t)63;
}

int fwd_stream_make(struct fwd_stream *s, const struct fwd_stream_config *c, size_t n_packets)
{
    memset(s, 0, sizeof *s);
    size_t cap = n_packets * stride(RTP_FIXED + 4 + 32 + c->max_payload);
    s->data = malloc(cap);
    s->pkts = calloc(n_packets, sizeof *s->pkts);
    if (!s->data || !s->pkts || c->max_payload <= VP8_DESC_LEN + 10 || !c->fps)
        return -1;
    uint64_t rng = c->seed | 1;
    uint16_t seq = c->first_seq, picture_id = (uint16_t)(next_rand(&rng) & 0x7fff);
    uint64_t frame_us = 1000000u / c->fps;
    size_t off = 0;
    for (uint32_t f = 0; s->n < n_packets; f++) {
        bool key = c->keyframe_interval == 0 ? f == 0 : f % c->keyframe_interval == 0;
        size_t left = frame_bytes(c, f, &rng), chunk_max = c->max_payload - VP8_DESC_LEN;
        uint32_t ts = c->first_timestamp + f * (90000u / c->fps);
        s->frames++;
        s->keyframes += key;
        for (size_t k = 0; left && s->n < n_packets; k++) {
            size_t chunk = left < chunk_max ? left : chunk_max;
            left -= chunk;
            /* The pacer spreads a frame's packets over a few ms. */
            uint64_t at = f * frame_us + k * 500;
            uint8_t *p = s->data + off;
            size_t h = write_header(p, c, left == 0, seq, ts, at, (uint16_t)s->n);
            uint8_t *d = p + h;
            d[0] = k == 0 ? 0x90 : 0x80; /* X, S on a frame's first packet, PID 0 */
            d[1] = 0x80;                 /* I: PictureID present */
            d[2] = (uint8_t)(0x80 | picture_id >> 8);
            d[3] = (uint8_t)picture_id;
            size_t w = k == 0 ? write_frame_start(d + VP8_DESC_LEN, key, left + chunk, c->width,
                                                  c->height)
                              : 0;
            for (size_t i = w; i < chunk; i += 8) {
                uint64_t r = next_rand(&rng);
                memcpy(d + VP8_DESC_LEN + i, &r, chunk - i < 8 ? chunk - i : 8);
            }
            struct fwd_packet *pk = &s->pkts[s->n++];
            pk->off = (uint32_t)off;
            pk->payload_len = (uint16_t)(VP8_DESC_LEN + chunk);
            pk->plain_len = (uint16_t)(h + pk->payload_len);
            pk->is_keyframe_start = key && k == 0;
            pk->at_us = at;
            s->payload_bytes += pk->payload_len;
            off += stride(pk->plain_len);
            seq++;
        }
        picture_id = (picture_id + 1) & 0x7fff;
    }
    s->data_len = off;
    s->duration_us = (uint64_t)s->frames * frame_us;
    return 0;
}

int fwd_stream_protect(const struct fwd_stream *s, const struct srtp_keys *sender, uint8_t *dst)
{
    struct srtp_ref_out *out = srtp_ref_out_new(sender);
    if (!out)
        return -1;
    memcpy(dst, s->data, s->data_len);
    int tag = -1;
    for (size_t i = 0; i < s->n; i++) {
        const struct fwd_packet *pk = &s->pkts[i];
        size_t len = pk->plain_len;
        if (srtp_ref_out_protect_rtp(out, dst + pk->off, &len, len + SRTP_MAX_TRAILER) != 0 ||
            (tag >= 0 && len - pk->plain_len != (size_t)tag)) {
            tag = -1;
            break;
        }
        tag = (int)(len - pk->plain_len);
    }
    srtp_ref_out_free(out);
    return tag;
}

void fwd_stream_free(struct fwd_stream *s)
{
    free(s->data);
    free(s->pkts);
    memset(s, 0, sizeof *s);
}
