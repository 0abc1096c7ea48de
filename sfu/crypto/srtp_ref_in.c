/* Inbound SRTP/SRTCP on libsrtp2 alone (ssrc_any_inbound, keys->remote_*,
 * 1024-packet replay window): the reference srtp_in is tested against, verdict
 * for verdict. Not for the media path: Debian's libsrtp2 runs on NSS and
 * allocates a PK11 context per packet. */
#include "crypto/srtp_common.h"

#include <limits.h>
#include <stdlib.h>

#include "sabaq/error.h"

struct srtp_ref_in {
    srtp_t session; /* owned */
    size_t tag_len;
};

struct srtp_ref_in *srtp_ref_in_new(const struct srtp_keys *keys)
{
    if (!srtp_common_keys_valid(keys))
        return NULL;
    struct srtp_ref_in *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->session = srtp_common_lib_create(keys->profile, keys->remote_key, keys->remote_salt,
                                        keys->salt_len, false);
    if (!s->session) {
        free(s);
        return NULL;
    }
    s->tag_len = srtp_common_tag_len(keys->profile);
    return s;
}

void srtp_ref_in_free(struct srtp_ref_in *s)
{
    if (!s)
        return;
    srtp_dealloc(s->session);
    free(s);
}

/* libsrtp checks the header itself; these checks only keep obviously short or
 * non-RTP input away from it and keep the length inside an int. */
int srtp_ref_in_unprotect_rtp(struct srtp_ref_in *s, uint8_t *pkt, size_t *len)
{
    if (*len < 12 + s->tag_len || *len > INT_MAX || (pkt[0] >> 6) != 2)
        return -SQ_EMALFORMED;
    int n = (int)*len;
    int err = srtp_common_lib_error(srtp_unprotect(s->session, pkt, &n));
    if (err == 0)
        *len = (size_t)n;
    return err;
}

int srtp_ref_in_unprotect_rtcp(struct srtp_ref_in *s, uint8_t *pkt, size_t *len)
{
    if (*len < 8 + SRTCP_INDEX_LEN + s->tag_len || *len > INT_MAX || (pkt[0] >> 6) != 2)
        return -SQ_EMALFORMED;
    int n = (int)*len;
    int err = srtp_common_lib_error(srtp_unprotect_rtcp(s->session, pkt, &n));
    if (err == 0)
        *len = (size_t)n;
    return err;
}
