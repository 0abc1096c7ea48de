/* Outbound SRTP/SRTCP on libsrtp2 alone (ssrc_any_outbound, keys->local_*):
 * the reference srtp_out is tested against byte for byte, and the baseline
 * bench/fwd measures it by. libsrtp tracks each SSRC's ROC and SRTCP index. */
#include "crypto/srtp_common.h"

#include <limits.h>
#include <stdlib.h>

#include "sabaq/error.h"

struct srtp_ref_out {
    srtp_t session; /* owned */
    size_t tag_len;
};

struct srtp_ref_out *srtp_ref_out_new(const struct srtp_keys *keys)
{
    if (!srtp_common_keys_valid(keys))
        return NULL;
    struct srtp_ref_out *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->session = srtp_common_lib_create(keys->profile, keys->local_key, keys->local_salt,
                                        keys->salt_len, true);
    if (!s->session) {
        free(s);
        return NULL;
    }
    s->tag_len = keys->profile == SRTP_PROFILE_AEAD_AES_128_GCM ? SRTP_GCM_TAG_LEN
                                                                  : SRTP_CM_TAG_LEN;
    return s;
}

void srtp_ref_out_free(struct srtp_ref_out *s)
{
    if (!s)
        return;
    srtp_dealloc(s->session);
    free(s);
}

static int protect_error(srtp_err_status_t st)
{
    return st == srtp_err_status_ok ? 0 : -SQ_ECRYPTO;
}

/* libsrtp writes the trailer without knowing the buffer size: check it first. */
int srtp_ref_out_protect_rtp(struct srtp_ref_out *s, uint8_t *pkt, size_t *len, size_t cap)
{
    if (srtp_common_rtp_header_len(pkt, *len) < 0)
        return -SQ_EMALFORMED;
    if (cap < *len + s->tag_len || *len > INT_MAX / 2)
        return -SQ_ENOSPACE;
    int n = (int)*len;
    srtp_err_status_t st = srtp_protect(s->session, pkt, &n);
    if (st == srtp_err_status_bad_param || st == srtp_err_status_parse_err)
        return -SQ_EMALFORMED;
    if (st == srtp_err_status_ok)
        *len = (size_t)n;
    return protect_error(st);
}

int srtp_ref_out_protect_rtcp(struct srtp_ref_out *s, uint8_t *pkt, size_t *len, size_t cap)
{
    if (*len < 8 || (pkt[0] >> 6) != 2)
        return -SQ_EMALFORMED;
    if (cap < *len + SRTCP_INDEX_LEN + s->tag_len || *len > INT_MAX / 2)
        return -SQ_ENOSPACE;
    int n = (int)*len;
    srtp_err_status_t st = srtp_protect_rtcp(s->session, pkt, &n);
    if (st == srtp_err_status_bad_param || st == srtp_err_status_parse_err)
        return -SQ_EMALFORMED;
    if (st == srtp_err_status_ok)
        *len = (size_t)n;
    return protect_error(st);
}
