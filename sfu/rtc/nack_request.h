/* Losses between a publisher and Sabaq, asked for again (RFC 4585 generic
 * NACK; the publisher resends on its RTX stream, RFC 4588). Without this a
 * packet lost on the teacher's uplink is lost for every subscriber and for
 * the recording: subscribers' own NACKs only reach the per-producer cache,
 * which never had it. One per simulcast layer; sans-IO and allocation-free.
 *
 * Timing: a gap is asked for 10 ms after it is seen (reordering of a few
 * packets is common on Wi-Fi), then every 50 ms, at most 5 times (a 260 ms
 * window; later than that the frame is late for the playout anyway). A jump
 * of more than NACK_REQUEST_MAX_GAP packets is not asked for: the caller
 * asks for a keyframe instead. */
#ifndef SABAQ_RTC_NACK_REQUEST_H
#define SABAQ_RTC_NACK_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NACK_REQUEST_MAX 64          /* missing packets tracked at once */
#define NACK_REQUEST_MAX_GAP 100
#define NACK_REQUEST_FIRST_US 10000
#define NACK_REQUEST_RETRY_US 50000
#define NACK_REQUEST_TRIES 5

struct nack_request_entry {
    uint64_t ext_seq;
    uint64_t next_us;            /* when to ask (again) */
    uint8_t tries;
};

struct nack_request {
    struct nack_request_entry entries[NACK_REQUEST_MAX]; /* increasing ext_seq */
    uint8_t n;
    bool started;
    uint64_t highest;            /* highest media ext_seq seen */
    uint64_t asked, recovered, lost; /* packets: asked for (each try), came back, given up */
};

enum nack_request_verdict {
    NACK_REQUEST_OK,
    NACK_REQUEST_KEYFRAME,       /* a jump too long to ask for: ask for a keyframe */
};

/* A packet (media or a resend) with this extended sequence number arrived. */
enum nack_request_verdict nack_request_on_packet(struct nack_request *r, uint64_t ext_seq,
                                                 uint64_t now_us);

/* The sequence numbers (16-bit, as on the wire) to ask for now, at most cap;
 * each counts as a try. Entries out of tries are dropped (lost). */
size_t nack_request_due(struct nack_request *r, uint64_t now_us, uint16_t *out, size_t cap);

/* Forgets every gap (the stream restarted, or the producer was paused). */
void nack_request_reset(struct nack_request *r);

#endif
