/* Sabaq's error codes: one table, negative values, like libuv's UV_ERRNO_MAP.
 * Every function that can fail returns 0 (or a length) on success and one of
 * these negated codes on failure; sq_strerror() gives the human sentence. */
#ifndef SABAQ_ERROR_H
#define SABAQ_ERROR_H

#define SQ_ERRORS(X)                                                   \
    X(EMALFORMED, 1, "malformed input")                               \
    X(ENOSPACE, 2, "output buffer too small")                          \
    X(EUNSUPPORTED, 3, "not supported")                                \
    X(EAUTH, 4, "authentication failed")                               \
    X(ENOTFOUND, 5, "not found")                                       \
    X(EFORBIDDEN, 6, "not allowed for this role")                      \
    X(EINVAL, 7, "invalid argument")                                   \
    X(ENOMEM, 8, "out of memory")                                      \
    X(ECRYPTO, 9, "cryptographic failure")                             \
    X(ESTATE, 10, "not possible in the current state")                 \
    X(ELIMIT, 11, "limit reached")                                     \
    X(EIO, 12, "input/output error")                                   \
    X(EREPLAY, 13, "replayed packet")                                  \
    X(EEXIST, 14, "already exists")

enum sq_error {
    SQ_OK = 0,
#define SQ_ERROR_ENUM(name, num, text) SQ_##name = num,
    SQ_ERRORS(SQ_ERROR_ENUM)
#undef SQ_ERROR_ENUM
};

/* "malformed input" for -SQ_EMALFORMED (or SQ_EMALFORMED); "unknown error" otherwise. */
const char *sq_strerror(int err);
/* "EMALFORMED" and so on: the stable name used in logs and JSON error codes. */
const char *sq_errname(int err);

#endif
