/* Signed tokens: the links and the session cookie carry
 *     base64url(JSON payload) "." base64url(HMAC-SHA256(secret, first part))
 * (RFC 4648 section 5 alphabet, no padding; RFC 2104 HMAC), under a 32-byte
 * server secret kept in <data-dir>/secret (mode 0600, made on first start).
 * Every payload has "k" (kind: "lesson", "signin" or "session") and "x"
 * (expiry, seconds since the Unix epoch). What a kind means and which rows
 * can revoke it is access.c's and staff.c's business; here only the
 * signature, the JSON and the expiry are checked. */
#ifndef SIGNALING_AUTH_H
#define SIGNALING_AUTH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_SECRET_LEN 32
#define AUTH_TOKEN_MAX 1024    /* longer strings are refused before decoding */

/* Verdicts on a token, here and in access.c / staff.c, which add the checks
 * against the store. auth_result_code() gives the error code clients see. */
enum auth_result {
    AUTH_OK = 0,
    AUTH_BAD_TOKEN = -1,       /* malformed, or the signature does not match */
    AUTH_EXPIRED = -2,
    AUTH_WRONG_LESSON = -3,    /* for another lesson, or one this server does not have */
    AUTH_REVOKED = -4,         /* the roster entry or staff member was revoked */
    AUTH_LINK_USED = -5,       /* a single-use link already used */
    AUTH_REMOVED = -6,         /* removed from the lesson and not re-admitted */
    AUTH_ENDED = -7,           /* the lesson has ended */
    AUTH_INTERNAL = -8,        /* the store failed */
};

/* "bad_token", "token_expired", "wrong_lesson", "revoked", "link_used",
 * "removed", "lesson_ended", "internal" ("ok" for AUTH_OK). */
const char *auth_result_code(enum auth_result r);
/* A sentence for people. */
const char *auth_result_text(enum auth_result r);

/* Reads <data_dir>/secret, making it (32 bytes from RAND_bytes, 0600) when
 * missing. 0, or -1 with a sentence in err. */
int auth_load_secret(const char *data_dir, unsigned char secret[AUTH_SECRET_LEN], char *err,
                     size_t cap);

/* The token for payload (borrowed, serialized compactly with sorted keys):
 * malloc'd, or NULL when out of memory. */
char *auth_token_make(const unsigned char secret[AUTH_SECRET_LEN], const json_t *payload);

/* Checks the signature, then that the payload is an object with a string
 * "k" and an integer "x" later than now_ms. On AUTH_OK *payload is a new
 * reference (the caller decrefs); otherwise it is NULL. */
enum auth_result auth_token_verify(const unsigned char secret[AUTH_SECRET_LEN], const char *token,
                                   int64_t now_ms, json_t **payload);

/* base64url without padding. out must hold 4 * ceil(len / 3) + 1 bytes;
 * returns the length written (NUL-terminated). */
size_t auth_base64url_encode(const unsigned char *in, size_t len, char *out);
/* Decodes len characters into out (capacity cap): the length, or -1 when a
 * character is outside the alphabet, the length is impossible or out is too
 * small. */
int auth_base64url_decode(const char *in, size_t len, unsigned char *out, size_t cap);

/* Random [A-Za-z0-9] (RAND_bytes), n characters plus the NUL. */
void auth_random_id(char *out, size_t n);

#endif
