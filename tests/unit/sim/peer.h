/* An in-memory "browser" for simulated-time tests: ICE (a controlling agent
 * sending Binding requests with USE-CANDIDATE), a DTLS client, SRTP both
 * ways, RTP out and everything the SFU sends in, decrypted and kept for the
 * test to look at. No sockets: datagrams go through struct sim. */
#ifndef SABAQ_TEST_SIM_PEER_H
#define SABAQ_TEST_SIM_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sabaq/dtls.h"
#include "sabaq/rtcp.h"
#include "sabaq/rtp.h"
#include "sabaq/srtp_session.h"
#include "sabaq/vp8.h"
#include "rtc/datagram.h"

#define PEER_MAX_RX 4096
#define PEER_MAX_RTCP 1024

struct peer_dgram {
    size_t len;
    uint8_t data[DATAGRAM_MAX];
};

/* One decrypted RTP packet received from the SFU. */
struct peer_rtp {
    size_t len;
    uint8_t data[DATAGRAM_MAX];
    struct rtp_packet rtp;       /* views into data */
};

/* One decrypted RTCP compound received from the SFU. */
struct peer_rtcp {
    size_t len;
    uint8_t data[DATAGRAM_MAX];
};

struct sim_peer {
    char name[16];
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char ufrag[32], pwd[64];     /* the peer's own */
    char remote_ufrag[32], remote_pwd[64]; /* the SFU transport's */
    struct dtls_cert *cert;      /* owned */
    struct dtls_conn *dtls;      /* owned */
    struct srtp_in *srtp_in;     /* owned, after DTLS */
    struct srtp_out *srtp_out;   /* owned */
    bool is_ice_done, is_connected, is_failed;
    uint32_t stun_txn;
    uint64_t next_check_us;      /* ICE keepalive / consent */
    bool keepalive;
    /* Highest extended seq sent per SSRC: the ROC to protect with. */
    struct {
        uint32_t ssrc;
        uint64_t ext;
    } sent_seq[8];
    size_t n_sent_seq;
    /* Outgoing, waiting for the sim to deliver. */
    struct peer_dgram *out;      /* owned array */
    size_t n_out, cap_out;
    /* What arrived. */
    struct peer_rtp *rx;         /* owned array of PEER_MAX_RX */
    size_t n_rx;
    struct peer_rtcp *rtcp;      /* owned array of PEER_MAX_RTCP */
    size_t n_rtcp;
    size_t n_stun_ok, n_stun_error, n_undecryptable;
    /* RTCP by kind, counted on arrival. */
    size_t n_sr, n_rr, n_pli, n_fir, n_nack, n_twcc, n_remb;
    uint32_t last_pli_media_ssrc;
    uint32_t last_nack_media_ssrc;
    uint16_t nack_seqs[32];      /* every sequence number NACKed to this peer, in order */
    size_t n_nack_seqs;
    struct {
        uint32_t ssrc;
        size_t n;
    } pli_by_ssrc[8];            /* PLIs per media SSRC (simulcast layers) */
    size_t n_pli_ssrcs;
    struct rtcp_receiver_report last_rr;
    struct rtcp_sender_report last_sr;
    uint64_t last_remb_bps;
};

/* A peer at addr that will connect to an SFU transport with these
 * credentials. NULL on failure. */
struct sim_peer *sim_peer_new(const char *name, const struct sockaddr_storage *addr,
                              socklen_t addr_len, const char *remote_ufrag, const char *remote_pwd,
                              const char *remote_fingerprint);
void sim_peer_free(struct sim_peer *p);
const char *sim_peer_fingerprint(const struct sim_peer *p);

/* Sends the first connectivity check (USE-CANDIDATE). DTLS starts when it
 * is answered; checks repeat every 2.5 s while keepalive is set. */
void sim_peer_start(struct sim_peer *p, uint64_t now_us);

void sim_peer_receive(struct sim_peer *p, const uint8_t *buf, size_t len, uint64_t now_us);
uint64_t sim_peer_next_deadline_us(const struct sim_peer *p);
void sim_peer_handle_timeouts(struct sim_peer *p, uint64_t now_us);

/* Queues datagrams for the SFU. RTP/RTCP are SRTP-protected (the ROC of
 * each SSRC is tracked from the seqs sent). */
int sim_peer_send_rtp(struct sim_peer *p, const struct rtp_header *h,
                      const struct rtp_ext_element *exts, size_t n_ext, const uint8_t *payload,
                      size_t payload_len);
int sim_peer_send_rtcp(struct sim_peer *p, const uint8_t *buf, size_t len);
void sim_peer_send_raw(struct sim_peer *p, const uint8_t *buf, size_t len);

/* Received RTP packets with this SSRC, in arrival order, into out (at most
 * cap); returns how many. */
size_t sim_peer_rtp_with_ssrc(const struct sim_peer *p, uint32_t ssrc, const struct peer_rtp **out,
                              size_t cap);

/* PLIs received that named this media SSRC. */
size_t sim_peer_pli_count(const struct sim_peer *p, uint32_t ssrc);

/* One VP8 encoding a simulated browser sends: a lone stream or one
 * simulcast layer (rid, RTX with repaired-rid). Every frame is
 * packets_per_frame packets of packet_size payload bytes: the VP8 payload
 * descriptor (X; I with a 15-bit PictureID; L TL0PICIDX; T with TID 0),
 * then on the first packet the VP8 frame header (with the size on
 * keyframes), then the tag below, then filler. */
struct sim_vp8_stream {
    uint32_t ssrc, rtx_ssrc;
    uint8_t pt, rtx_pt;
    const char *mid, *rid;       /* sent in every packet (NULL: not sent) */
    uint8_t mid_ext, rid_ext, rrid_ext; /* extension ids */
    uint8_t tcc_ext;             /* transport-wide seq (0: none) */
    uint16_t *tcc_seq;           /* borrowed: the publisher's transport-wide counter */
    uint16_t width, height;
    size_t packets_per_frame, packet_size;
    uint8_t tag;                 /* which stream a payload came from */
    uint16_t seq, rtx_seq;       /* next to send */
    uint16_t picture_id;         /* of the next frame */
    uint8_t tl0_pic_idx;
};

/* The tag every payload carries after the VP8 headers. */
struct sim_vp8_tag {
    uint8_t stream;
    uint16_t seq;                /* the publisher's seq */
    uint32_t ts;
    uint16_t picture_id;         /* as sent by the publisher */
    uint8_t tl0_pic_idx;
};

/* Sends one frame at RTP time ts; packets whose index bit is set in
 * skip_mask are numbered but lost on the way. Advances seq, PictureID and
 * TL0PICIDX. 0 or a negative code. */
int sim_peer_send_vp8_frame(struct sim_peer *p, struct sim_vp8_stream *s, uint32_t ts, bool key,
                            uint32_t skip_mask);
/* Part of a frame: packets [first, first + count) in order (the frame's
 * packets must all be sent, in order, before the next frame's); lets a test
 * interleave layers as a pacer does. */
int sim_peer_send_vp8_part(struct sim_peer *p, struct sim_vp8_stream *s, uint32_t ts, bool key,
                           size_t first, size_t count);
/* Sends packet `index` of the frame whose first packet had seq `first_seq`
 * (and the frame's ts, key flag, PictureID, TL0PICIDX) again on the RTX
 * SSRC with the OSN (RFC 4588) and repaired-rid. */
int sim_peer_send_vp8_rtx(struct sim_peer *p, struct sim_vp8_stream *s, uint16_t first_seq,
                          size_t index, uint32_t ts, bool key, uint16_t picture_id, uint8_t tl0);

/* Reads a received VP8 packet: its descriptor (PictureID, TL0PICIDX, the
 * keyframe size) and its tag. 0 or -1. `skip` bytes come first (2 for an
 * RTX payload's OSN). */
int sim_vp8_read(const struct peer_rtp *r, size_t skip, struct vp8_descriptor *d,
                 struct sim_vp8_tag *tag);

#endif
