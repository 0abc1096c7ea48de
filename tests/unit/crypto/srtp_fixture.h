/* Keys and packets shared by the SRTP tests (test_srtp.c, test_srtp_in.c). */
#ifndef SABAQ_TEST_SRTP_FIXTURE_H
#define SABAQ_TEST_SRTP_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "sabaq/srtp_session.h"

/* Keys whose local half equals the remote half, so an srtp_out and an
 * srtp_in made from the same struct talk to each other. */
struct srtp_keys srtp_fixture_keys(enum srtp_profile p);

/* An RTP packet: seq, ssrc, `csrcs` CSRCs, a one-byte-header extension when
 * ext, payload bytes derived from seq. Returns its length. */
size_t srtp_fixture_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, int csrcs, int ext,
                        size_t payload);

/* An RTCP receiver report from ssrc followed by a PLI for media. 28 bytes. */
size_t srtp_fixture_rtcp(uint8_t *buf, uint32_t ssrc, uint32_t media);

#endif
