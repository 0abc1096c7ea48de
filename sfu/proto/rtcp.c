/* RTCP (RFC 3550 sec. 6) compound packets, SR/RR, and the feedback Sabaq
 * sends and reads: generic NACK and PLI (RFC 4585), FIR (RFC 5104), REMB
 * (draft-alvestrand-rmcat-remb-03) and transport-wide CC feedback
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01). Sans-IO: views into
 * the caller's buffer, no allocation, every length checked. */
#include "sabaq/rtcp.h"

#include <string.h>

#include "sabaq/error.h"
#include "sabaq/rtp.h"

#define HDR 4
#define FB_HDR 12            /* RTCP header + sender SSRC + media SSRC */
#define REPORT_BLOCK 24
#define NTP_UNIX_OFFSET 2208988800ull /* seconds from 1900 to 1970 */

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd24(const uint8_t *p) { return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]; }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16); p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)v;
}
static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static int32_t sign24(uint32_t v) { return (int32_t)(v << 8) >> 8; }

/* Writes the common header; len is the whole packet in bytes (a multiple of 4). */
static void put_header(uint8_t *out, uint8_t count, uint8_t type, size_t len)
{
    out[0] = (uint8_t)(0x80 | (count & 0x1F));
    out[1] = type;
    wr16(out + 2, (uint16_t)(len / 4 - 1));
}

/* ---- compound iterator ------------------------------------------------ */

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len)
{
    it->buf = buf;
    it->len = len;
    it->off = 0;
}

int rtcp_iter_next(struct rtcp_iter *it, struct rtcp_packet *out)
{
    if (it->off >= it->len)
        return 0;
    size_t left = it->len - it->off;
    const uint8_t *p = it->buf + it->off;

    if (left < HDR || p[0] >> 6 != 2)
        return -SQ_EMALFORMED;
    size_t plen = 4 * ((size_t)rd16(p + 2) + 1);
    if (plen > left)
        return -SQ_EMALFORMED;
    size_t pad = 0;
    if (p[0] & 0x20) {
        /* RFC 3550 sec. 6.4.1 pads only the last packet of a compound, but
         * libwebrtc sets P on every padded transport-cc feedback packet; the
         * length field still delimits each packet, so accept P anywhere. */
        pad = p[plen - 1];
        if (pad == 0 || pad > plen - HDR)
            return -SQ_EMALFORMED;
    }
    out->type = p[1];
    out->count = p[0] & 0x1F;
    out->raw = p;
    out->raw_len = plen;
    out->body = p + HDR;
    out->body_len = plen - HDR - pad;
    it->off += plen;
    return 1;
}

/* ---- SR / RR ------------------------------------------------------------ */

static void read_block(struct rtcp_report_block *b, const uint8_t *p)
{
    b->ssrc = rd32(p);
    b->fraction_lost = p[4];
    b->cumulative_lost = sign24(rd24(p + 5));
    b->highest_seq = rd32(p + 8);
    b->jitter = rd32(p + 12);
    b->last_sr = rd32(p + 16);
    b->delay_since_last_sr = rd32(p + 20);
}

static void write_block(uint8_t *p, const struct rtcp_report_block *b)
{
    int32_t lost = b->cumulative_lost;
    /* Clamp to the 24-bit signed range rather than wrap into nonsense. */
    if (lost > 0x7FFFFF)
        lost = 0x7FFFFF;
    if (lost < -0x800000)
        lost = -0x800000;
    wr32(p, b->ssrc);
    p[4] = b->fraction_lost;
    wr24(p + 5, (uint32_t)lost & 0xFFFFFF);
    wr32(p + 8, b->highest_seq);
    wr32(p + 12, b->jitter);
    wr32(p + 16, b->last_sr);
    wr32(p + 20, b->delay_since_last_sr);
}

int rtcp_sender_report_parse(const struct rtcp_packet *p, struct rtcp_sender_report *out)
{
    if (p->type != RTCP_SR)
        return -SQ_EINVAL;
    /* Profile-specific extensions may follow the blocks: allowed, ignored. */
    if (p->body_len < 24 + (size_t)REPORT_BLOCK * p->count)
        return -SQ_EMALFORMED;
    const uint8_t *b = p->body;
    out->ssrc = rd32(b);
    out->ntp_time = (uint64_t)rd32(b + 4) << 32 | rd32(b + 8);
    out->rtp_time = rd32(b + 12);
    out->packet_count = rd32(b + 16);
    out->octet_count = rd32(b + 20);
    out->report_count = p->count;
    for (uint8_t i = 0; i < p->count; i++)
        read_block(&out->reports[i], b + 24 + REPORT_BLOCK * i);
    return 0;
}

int rtcp_receiver_report_parse(const struct rtcp_packet *p, struct rtcp_receiver_report *out)
{
    if (p->type != RTCP_RR)
        return -SQ_EINVAL;
    if (p->body_len < 4 + (size_t)REPORT_BLOCK * p->count)
        return -SQ_EMALFORMED;
    out->ssrc = rd32(p->body);
    out->report_count = p->count;
    for (uint8_t i = 0; i < p->count; i++)
        read_block(&out->reports[i], p->body + 4 + REPORT_BLOCK * i);
    return 0;
}

int rtcp_sender_report_write(uint8_t *out, size_t cap, const struct rtcp_sender_report *sr)
{
    if (sr->report_count > RTCP_MAX_REPORTS)
        return -SQ_EINVAL;
    size_t len = HDR + 24 + (size_t)REPORT_BLOCK * sr->report_count;
    if (cap < len)
        return -SQ_ENOSPACE;
    put_header(out, sr->report_count, RTCP_SR, len);
    wr32(out + 4, sr->ssrc);
    wr32(out + 8, (uint32_t)(sr->ntp_time >> 32));
    wr32(out + 12, (uint32_t)sr->ntp_time);
    wr32(out + 16, sr->rtp_time);
    wr32(out + 20, sr->packet_count);
    wr32(out + 24, sr->octet_count);
    for (uint8_t i = 0; i < sr->report_count; i++)
        write_block(out + 28 + REPORT_BLOCK * i, &sr->reports[i]);
    return (int)len;
}

int rtcp_receiver_report_write(uint8_t *out, size_t cap, const struct rtcp_receiver_report *rr)
{
    if (rr->report_count > RTCP_MAX_REPORTS)
        return -SQ_EINVAL;
    size_t len = HDR + 4 + (size_t)REPORT_BLOCK * rr->report_count;
    if (cap < len)
        return -SQ_ENOSPACE;
    put_header(out, rr->report_count, RTCP_RR, len);
    wr32(out + 4, rr->ssrc);
    for (uint8_t i = 0; i < rr->report_count; i++)
        write_block(out + 8 + REPORT_BLOCK * i, &rr->reports[i]);
    return (int)len;
}

/* ---- feedback: common header, NACK, PLI, FIR ----------------------------- */

int rtcp_feedback_parse(const struct rtcp_packet *p, struct rtcp_feedback *out)
{
    if (p->type != RTCP_RTPFB && p->type != RTCP_PSFB)
        return -SQ_EINVAL;
    if (p->body_len < 8)
        return -SQ_EMALFORMED;
    out->sender_ssrc = rd32(p->body);
    out->media_ssrc = rd32(p->body + 4);
    out->fci = p->body + 8;
    out->fci_len = p->body_len - 8;
    return 0;
}

/* Parses the common header and checks the message kind. */
static int feedback_of(const struct rtcp_packet *p, uint8_t type, uint8_t fmt,
                       struct rtcp_feedback *fb)
{
    if (p->type != type || p->count != fmt)
        return -SQ_EINVAL;
    return rtcp_feedback_parse(p, fb);
}

int rtcp_nack_parse(const struct rtcp_packet *p, struct rtcp_feedback *fb, uint16_t *seqs, size_t cap)
{
    size_t n = 0;
    int rc = feedback_of(p, RTCP_RTPFB, RTCP_RTPFB_NACK, fb);

    if (rc < 0)
        return rc;
    if (fb->fci_len % 4 != 0)
        return -SQ_EMALFORMED;
    for (size_t off = 0; off < fb->fci_len; off += 4) {
        uint16_t pid = rd16(fb->fci + off), blp = rd16(fb->fci + off + 2);
        if (n < cap)
            seqs[n++] = pid;
        for (int bit = 0; bit < 16; bit++) {
            if ((blp >> bit & 1) && n < cap)
                seqs[n++] = (uint16_t)(pid + bit + 1);
        }
    }
    return (int)n;
}

/* Packs seqs with a greedy cover: each FCI starts at the oldest sequence not
 * yet covered and takes everything within the next 16. Distances are taken
 * from the oldest sequence so wraparound needs no special case (the set must
 * span less than half the sequence space, as any NACK list does). O(n) per
 * FCI, with no copy or sort of the caller's array. */
int rtcp_nack_write(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                    const uint16_t *seqs, size_t n)
{
    if (n == 0)
        return -SQ_EINVAL;
    uint16_t oldest = seqs[0];
    for (size_t i = 1; i < n; i++) {
        if (rtp_seq_newer(oldest, seqs[i]))
            oldest = seqs[i];
    }
    if (cap < FB_HDR)
        return -SQ_ENOSPACE;
    size_t len = FB_HDR;
    long covered = -1; /* distances <= covered are already in an FCI */
    for (;;) {
        long pid_d = 0x10000;
        for (size_t i = 0; i < n; i++) {
            long d = (uint16_t)(seqs[i] - oldest);
            if (d > covered && d < pid_d)
                pid_d = d;
        }
        if (pid_d == 0x10000)
            break;
        uint16_t blp = 0;
        for (size_t i = 0; i < n; i++) {
            long d = (uint16_t)(seqs[i] - oldest);
            if (d > pid_d && d <= pid_d + 16)
                blp |= (uint16_t)(1u << (d - pid_d - 1));
        }
        if (cap - len < 4 || len + 4 > 4 * 0x10000)
            return -SQ_ENOSPACE;
        wr16(out + len, (uint16_t)(oldest + pid_d));
        wr16(out + len + 2, blp);
        len += 4;
        covered = pid_d + 16;
    }
    put_header(out, RTCP_RTPFB_NACK, RTCP_RTPFB, len);
    wr32(out + 4, sender_ssrc);
    wr32(out + 8, media_ssrc);
    return (int)len;
}

int rtcp_pli_write(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    if (cap < FB_HDR)
        return -SQ_ENOSPACE;
    put_header(out, RTCP_PSFB_PLI, RTCP_PSFB, FB_HDR);
    wr32(out + 4, sender_ssrc);
    wr32(out + 8, media_ssrc);
    return FB_HDR;
}

int rtcp_fir_write(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                   uint8_t seq_nr)
{
    const size_t len = FB_HDR + 8;
    if (cap < len)
        return -SQ_ENOSPACE;
    put_header(out, RTCP_PSFB_FIR, RTCP_PSFB, len);
    wr32(out + 4, sender_ssrc);
    /* RFC 5104 sec. 4.3.1.2: the header's media SSRC is unused (0); the
     * target goes in the FCI. */
    wr32(out + 8, 0);
    wr32(out + 12, media_ssrc);
    out[16] = seq_nr;
    out[17] = out[18] = out[19] = 0;
    return (int)len;
}

int rtcp_fir_parse(const struct rtcp_packet *p, struct rtcp_feedback *fb, uint32_t *ssrcs, size_t cap)
{
    size_t n = 0;
    int rc = feedback_of(p, RTCP_PSFB, RTCP_PSFB_FIR, fb);

    if (rc < 0)
        return rc;
    if (fb->fci_len % 8 != 0)
        return -SQ_EMALFORMED;
    for (size_t off = 0; off < fb->fci_len && n < cap; off += 8)
        ssrcs[n++] = rd32(fb->fci + off);
    return (int)n;
}

/* ---- REMB ----------------------------------------------------------------- */

int rtcp_remb_parse(const struct rtcp_packet *p, struct rtcp_remb *out)
{
    struct rtcp_feedback fb;
    int rc = feedback_of(p, RTCP_PSFB, RTCP_PSFB_AFB, &fb);

    if (rc < 0)
        return rc;
    if (fb.fci_len < 4 || memcmp(fb.fci, "REMB", 4) != 0)
        return -SQ_ENOTFOUND;
    if (fb.fci_len < 8)
        return -SQ_EMALFORMED;
    uint8_t n = fb.fci[4];
    uint8_t exp = fb.fci[5] >> 2;
    uint64_t mantissa = (uint64_t)(fb.fci[5] & 0x03) << 16 | rd16(fb.fci + 6);
    if (fb.fci_len < 8 + 4 * (size_t)n)
        return -SQ_EMALFORMED;
    out->sender_ssrc = fb.sender_ssrc;
    /* 18-bit mantissa << 6-bit exponent can exceed 64 bits: saturate. */
    if (mantissa && exp > 46 && mantissa > (UINT64_MAX >> exp))
        out->bitrate_bps = UINT64_MAX;
    else
        out->bitrate_bps = mantissa << exp;
    out->n_ssrcs = n < RTCP_REMB_MAX_SSRCS ? n : RTCP_REMB_MAX_SSRCS;
    for (uint8_t i = 0; i < out->n_ssrcs; i++)
        out->ssrcs[i] = rd32(fb.fci + 8 + 4 * i);
    return 0;
}

int rtcp_remb_write(uint8_t *out, size_t cap, const struct rtcp_remb *remb)
{
    if (remb->n_ssrcs > RTCP_REMB_MAX_SSRCS)
        return -SQ_EINVAL;
    size_t len = FB_HDR + 8 + 4 * (size_t)remb->n_ssrcs;
    if (cap < len)
        return -SQ_ENOSPACE;
    /* Smallest exponent whose mantissa fits 18 bits: the most precise value;
     * the dropped low bits round down, which is safe for a bandwidth cap. */
    uint8_t exp = 0;
    while ((remb->bitrate_bps >> exp) > 0x3FFFF)
        exp++;
    uint32_t mantissa = (uint32_t)(remb->bitrate_bps >> exp);
    put_header(out, RTCP_PSFB_AFB, RTCP_PSFB, len);
    wr32(out + 4, remb->sender_ssrc);
    wr32(out + 8, 0); /* media SSRC is unused in REMB */
    memcpy(out + 12, "REMB", 4);
    out[16] = remb->n_ssrcs;
    out[17] = (uint8_t)(exp << 2 | mantissa >> 16);
    wr16(out + 18, (uint16_t)mantissa);
    for (uint8_t i = 0; i < remb->n_ssrcs; i++)
        wr32(out + 20 + 4 * i, remb->ssrcs[i]);
    return (int)len;
}

/* ---- transport-wide CC feedback -------------------------------------------- */

enum { SYM_LOST = 0, SYM_SMALL = 1, SYM_LARGE = 2 };
#define TWCC_FCI_FIXED 8       /* base seq, status count, reference time, fb count */
#define TICK_US 250            /* delta unit */
#define REF_US 64000           /* reference time unit = 256 ticks */
#define RUN_MAX 0x1FFF         /* 13-bit run length */

/* Status symbol of every packet, from deltas between tick-rounded arrival
 * times (rounding absolute times, not deltas, keeps errors from adding up).
 * -SQ_ELIMIT when a gap does not fit the 16-bit signed large delta. */
static int twcc_symbols(const struct rtcp_twcc *fb, int64_t ref_ticks, uint8_t *sym)
{
    int64_t prev = ref_ticks;
    for (size_t i = 0; i < fb->count; i++) {
        if (fb->arrival_us[i] < 0) {
            sym[i] = SYM_LOST;
            continue;
        }
        int64_t t = fb->arrival_us[i] / TICK_US;
        int64_t d = t - prev;
        if (d >= 0 && d <= 255)
            sym[i] = SYM_SMALL;
        else if (d >= INT16_MIN && d <= INT16_MAX)
            sym[i] = SYM_LARGE;
        else
            return -SQ_ELIMIT;
        prev = t;
    }
    return 0;
}

static size_t run_at(const uint8_t *sym, size_t i, size_t n)
{
    size_t j = i + 1;
    while (j < n && j - i < RUN_MAX && sym[j] == sym[i])
        j++;
    return j - i;
}

/* One packet chunk starting at symbol i; returns the symbols it covers.
 * Runs of 14 or more (or the whole tail) become run-length chunks; mixed
 * stretches take a one-bit vector (14 symbols) when there is no large delta,
 * else a two-bit vector (7 symbols), unless a run of 7 does as well. */
static size_t encode_chunk(const uint8_t *sym, size_t i, size_t n, uint16_t *chunk)
{
    size_t left = n - i, run = run_at(sym, i, n);
    size_t one_bit = 0;

    if (run >= 14 || run == left) {
        *chunk = (uint16_t)(sym[i] << 13 | run);
        return run;
    }
    while (one_bit < 14 && one_bit < left && sym[i + one_bit] != SYM_LARGE)
        one_bit++;
    if (one_bit == 14 || one_bit == left) {
        uint16_t c = 0x8000;
        for (size_t k = 0; k < one_bit; k++)
            c |= (uint16_t)(sym[i + k] << (13 - k));
        *chunk = c;
        return one_bit;
    }
    if (run >= 7) {
        *chunk = (uint16_t)(sym[i] << 13 | run);
        return run;
    }
    size_t take = left < 7 ? left : 7;
    uint16_t c = 0xC000;
    for (size_t k = 0; k < take; k++)
        c |= (uint16_t)(sym[i + k] << (12 - 2 * k));
    *chunk = c;
    return take;
}

int rtcp_twcc_write(uint8_t *out, size_t cap, const struct rtcp_twcc *fb)
{
    uint8_t sym[RTCP_TWCC_MAX_PACKETS];
    int64_t ref = 0;
    size_t len = FB_HDR + TWCC_FCI_FIXED;
    int rc;

    if (fb->count == 0 || fb->count > RTCP_TWCC_MAX_PACKETS)
        return -SQ_EINVAL;
    for (size_t i = 0; i < fb->count; i++) {
        if (fb->arrival_us[i] >= 0) {
            ref = fb->arrival_us[i] / REF_US;
            break;
        }
    }
    rc = twcc_symbols(fb, ref * (REF_US / TICK_US), sym);
    if (rc < 0)
        return rc;
    if (cap < len)
        return -SQ_ENOSPACE;

    for (size_t i = 0; i < fb->count;) {
        uint16_t chunk;
        i += encode_chunk(sym, i, fb->count, &chunk);
        if (cap - len < 2)
            return -SQ_ENOSPACE;
        wr16(out + len, chunk);
        len += 2;
    }
    int64_t prev = ref * (REF_US / TICK_US);
    for (size_t i = 0; i < fb->count; i++) {
        if (sym[i] == SYM_LOST)
            continue;
        int64_t t = fb->arrival_us[i] / TICK_US;
        size_t need = sym[i] == SYM_SMALL ? 1 : 2;
        if (cap - len < need)
            return -SQ_ENOSPACE;
        if (need == 1)
            out[len] = (uint8_t)(t - prev);
        else
            wr16(out + len, (uint16_t)(int16_t)(t - prev));
        len += need;
        prev = t;
    }
    /* Zero padding inside the length (no P bit), so the packet can sit
     * anywhere in a compound. */
    while (len % 4) {
        if (cap == len)
            return -SQ_ENOSPACE;
        out[len++] = 0;
    }
    if (len > 4 * 0x10000)
        return -SQ_ENOSPACE;
    put_header(out, RTCP_RTPFB_TWCC, RTCP_RTPFB, len);
    wr32(out + 4, fb->sender_ssrc);
    wr32(out + 8, fb->media_ssrc);
    wr16(out + 12, fb->base_seq);
    wr16(out + 14, fb->count);
    wr24(out + 16, (uint32_t)ref & 0xFFFFFF);
    out[19] = fb->fb_count;
    return (int)len;
}

/* Reads packet chunks into out->arrival_us[] as status symbols (the second
 * pass turns them into times); returns the offset after the chunks. */
static int twcc_read_chunks(const uint8_t *fci, size_t fci_len, struct rtcp_twcc *out)
{
    size_t off = TWCC_FCI_FIXED, i = 0;

    while (i < out->count) {
        if (fci_len - off < 2)
            return -SQ_EMALFORMED;
        uint16_t c = rd16(fci + off);
        off += 2;
        if (!(c & 0x8000)) {
            uint8_t s = (c >> 13) & 3;
            size_t run = c & RUN_MAX;
            if (s == 3)
                return -SQ_EMALFORMED;
            for (size_t k = 0; k < run && i < out->count; k++)
                out->arrival_us[i++] = s;
        } else if (!(c & 0x4000)) {
            for (int k = 13; k >= 0 && i < out->count; k--)
                out->arrival_us[i++] = (c >> k) & 1;
        } else {
            for (int k = 12; k >= 0 && i < out->count; k -= 2) {
                uint8_t s = (c >> k) & 3;
                if (s == 3)
                    return -SQ_EMALFORMED;
                out->arrival_us[i++] = s;
            }
        }
    }
    return (int)off;
}

int rtcp_twcc_parse(const struct rtcp_packet *p, struct rtcp_twcc *out)
{
    struct rtcp_feedback fb;
    int rc = feedback_of(p, RTCP_RTPFB, RTCP_RTPFB_TWCC, &fb);

    if (rc < 0)
        return rc;
    if (fb.fci_len < TWCC_FCI_FIXED)
        return -SQ_EMALFORMED;
    out->sender_ssrc = fb.sender_ssrc;
    out->media_ssrc = fb.media_ssrc;
    out->base_seq = rd16(fb.fci);
    out->count = rd16(fb.fci + 2);
    out->fb_count = fb.fci[7];
    if (out->count == 0)
        return -SQ_EMALFORMED;
    if (out->count > RTCP_TWCC_MAX_PACKETS)
        return -SQ_ELIMIT;

    rc = twcc_read_chunks(fb.fci, fb.fci_len, out);
    if (rc < 0)
        return rc;
    size_t off = (size_t)rc;
    int64_t t = (int64_t)sign24(rd24(fb.fci + 4)) * REF_US;
    for (size_t i = 0; i < out->count; i++) {
        int64_t s = out->arrival_us[i];
        if (s == SYM_LOST) {
            out->arrival_us[i] = -1;
            continue;
        }
        if (s == SYM_SMALL) {
            if (fb.fci_len - off < 1)
                return -SQ_EMALFORMED;
            t += (int64_t)fb.fci[off++] * TICK_US;
        } else {
            if (fb.fci_len - off < 2)
                return -SQ_EMALFORMED;
            t += (int64_t)(int16_t)rd16(fb.fci + off) * TICK_US;
            off += 2;
        }
        out->arrival_us[i] = t;
    }
    return 0;
}

uint64_t rtcp_ntp_from_unix_us(uint64_t unix_us)
{
    uint64_t secs = unix_us / 1000000 + NTP_UNIX_OFFSET;
    uint64_t frac = ((unix_us % 1000000) << 32) / 1000000;
    return secs << 32 | frac;
}
