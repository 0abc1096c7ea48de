/* RTCP (RFC 3550) compound packets and the feedback Sabaq uses: generic NACK
 * (RFC 4585), PLI, FIR (RFC 5104), REMB (draft-alvestrand-rmcat-remb) and
 * transport-wide congestion control feedback
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01). Sans-IO: views into
 * the caller's buffer, no allocation, no logging, every length checked. */
#ifndef SABAQ_RTCP_H
#define SABAQ_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rtcp_type {
    RTCP_SR = 200,
    RTCP_RR = 201,
    RTCP_SDES = 202,
    RTCP_BYE = 203,
    RTCP_APP = 204,
    RTCP_RTPFB = 205,
    RTCP_PSFB = 206,
    RTCP_XR = 207,
};

enum rtcp_fb_format {
    RTCP_RTPFB_NACK = 1,
    RTCP_RTPFB_TWCC = 15,
    RTCP_PSFB_PLI = 1,
    RTCP_PSFB_FIR = 4,
    RTCP_PSFB_AFB = 15,          /* REMB lives here */
};

/* One packet of a compound packet. */
struct rtcp_packet {
    uint8_t type;                /* enum rtcp_type */
    uint8_t count;               /* RC, SC or FMT: the 5 low bits of the first byte */
    const uint8_t *raw;          /* the whole packet, header included */
    size_t raw_len;              /* 4 * (length field + 1) */
    const uint8_t *body;         /* after the 4-byte header */
    size_t body_len;
};

struct rtcp_iter {
    const uint8_t *buf;
    size_t len;
    size_t off;
};

void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len);
/* 1 with *out set, 0 at the end, -SQ_EMALFORMED when the compound is broken. */
int rtcp_iter_next(struct rtcp_iter *it, struct rtcp_packet *out);

#define RTCP_MAX_REPORTS 31

struct rtcp_report_block {
    uint32_t ssrc;
    uint8_t fraction_lost;
    int32_t cumulative_lost;     /* 24-bit signed */
    uint32_t highest_seq;        /* extended */
    uint32_t jitter;
    uint32_t last_sr;            /* middle 32 bits of the NTP time of the last SR */
    uint32_t delay_since_last_sr;/* 1/65536 s */
};

struct rtcp_sender_report {
    uint32_t ssrc;
    uint64_t ntp_time;           /* 32.32 fixed point */
    uint32_t rtp_time;
    uint32_t packet_count;
    uint32_t octet_count;
    uint8_t report_count;
    struct rtcp_report_block reports[RTCP_MAX_REPORTS];
};

struct rtcp_receiver_report {
    uint32_t ssrc;
    uint8_t report_count;
    struct rtcp_report_block reports[RTCP_MAX_REPORTS];
};

int rtcp_sender_report_parse(const struct rtcp_packet *p, struct rtcp_sender_report *out);
int rtcp_receiver_report_parse(const struct rtcp_packet *p, struct rtcp_receiver_report *out);
/* Writers return the bytes written or -SQ_ENOSPACE. */
int rtcp_sender_report_write(uint8_t *out, size_t cap, const struct rtcp_sender_report *sr);
int rtcp_receiver_report_write(uint8_t *out, size_t cap, const struct rtcp_receiver_report *rr);

/* Common header of RTPFB/PSFB messages. */
struct rtcp_feedback {
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
    const uint8_t *fci;
    size_t fci_len;
};
int rtcp_feedback_parse(const struct rtcp_packet *p, struct rtcp_feedback *out);

/* Expands generic NACK FCIs (PID + BLP) into sequence numbers; returns how many
 * were written to seqs (at most cap) or -SQ_EMALFORMED. */
int rtcp_nack_parse(const struct rtcp_packet *p, struct rtcp_feedback *fb, uint16_t *seqs, size_t cap);
/* Packs sorted-or-not seqs into as few PID+BLP pairs as possible. */
int rtcp_nack_write(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                    const uint16_t *seqs, size_t n);

int rtcp_pli_write(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc);
int rtcp_fir_write(uint8_t *out, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                   uint8_t seq_nr);
/* FIR: the SSRCs asked for a keyframe (FCI entries); returns the count or -SQ_EMALFORMED. */
int rtcp_fir_parse(const struct rtcp_packet *p, struct rtcp_feedback *fb, uint32_t *ssrcs, size_t cap);

#define RTCP_REMB_MAX_SSRCS 16
struct rtcp_remb {
    uint32_t sender_ssrc;
    uint64_t bitrate_bps;
    uint8_t n_ssrcs;
    uint32_t ssrcs[RTCP_REMB_MAX_SSRCS];
};
/* 0, -SQ_ENOTFOUND when the AFB is not REMB, or -SQ_EMALFORMED. */
int rtcp_remb_parse(const struct rtcp_packet *p, struct rtcp_remb *out);
int rtcp_remb_write(uint8_t *out, size_t cap, const struct rtcp_remb *remb);

/* Transport-wide CC feedback. arrival_us[i] is the arrival time of transport
 * sequence number base_seq + i, or -1 when not received. reference times and
 * deltas follow the draft: 64 ms reference units, 250 us delta units. */
#define RTCP_TWCC_MAX_PACKETS 1024
struct rtcp_twcc {
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
    uint16_t base_seq;
    uint16_t count;              /* packet status count */
    uint8_t fb_count;            /* feedback packet count */
    int64_t arrival_us[RTCP_TWCC_MAX_PACKETS];
};
int rtcp_twcc_write(uint8_t *out, size_t cap, const struct rtcp_twcc *fb);
int rtcp_twcc_parse(const struct rtcp_packet *p, struct rtcp_twcc *out);

/* NTP helpers for sender reports: wall clock microseconds since the Unix epoch
 * to 32.32 NTP, and the "middle 32 bits" used as LSR. */
uint64_t rtcp_ntp_from_unix_us(uint64_t unix_us);
static inline uint32_t rtcp_ntp_middle(uint64_t ntp) { return (uint32_t)(ntp >> 16); }

#endif
