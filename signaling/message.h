/* JSON messages of the signaling protocol (docs/protocol.md): the error codes,
 * building replies, and reading fields of a received object. No I/O. */
#ifndef SIGNALING_MESSAGE_H
#define SIGNALING_MESSAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sabaq/sdp.h"

#define MESSAGE_MAX_LEN (256 * 1024)   /* a larger frame gets too_large */

/* The stable `code` strings of `error` replies, in the order of the doc. */
#define MESSAGE_ERRORS(X)                  \
    X(BAD_JSON, "bad_json")                \
    X(BAD_MESSAGE, "bad_message")          \
    X(UNKNOWN_TYPE, "unknown_type")        \
    X(NOT_JOINED, "not_joined")            \
    X(ALREADY_JOINED, "already_joined")    \
    X(BAD_SDP, "bad_sdp")                  \
    X(TOO_LARGE, "too_large")              \
    X(INTERNAL, "internal")                \
    X(FORBIDDEN, "forbidden")              \
    X(BAD_TOKEN, "bad_token")              \
    X(TOKEN_EXPIRED, "token_expired")      \
    X(WRONG_LESSON, "wrong_lesson")        \
    X(REVOKED, "revoked")                  \
    X(LINK_USED, "link_used")              \
    X(REMOVED, "removed")                  \
    X(REPLACED, "replaced")                \
    X(LESSON_FULL, "lesson_full")          \
    X(LESSON_LOCKED, "lesson_locked")      \
    X(LESSON_ENDED, "lesson_ended")        \
    X(NOT_FOUND, "not_found")              \
    X(TOO_LONG, "too_long")                \
    X(RATE_LIMITED, "rate_limited")        \
    X(POLL_CLOSED, "poll_closed")

enum message_error {
#define MESSAGE_ERROR_ENUM(name, code) MESSAGE_ERR_##name,
    MESSAGE_ERRORS(MESSAGE_ERROR_ENUM)
#undef MESSAGE_ERROR_ENUM
    MESSAGE_ERR_COUNT
};

const char *message_error_code(enum message_error e);

/* {"type": type} plus "req" when req is not NULL (req is borrowed, copied). */
json_t *message_new(const char *type, json_t *req);

/* {"type":"error","req":..,"code":..,"message":..,"ref":..}; ref may be NULL. */
json_t *message_error_new(enum message_error e, const char *text, const char *ref, json_t *req);

/* The value of a string field, or NULL when absent or not a string. */
const char *message_string(const json_t *obj, const char *key);

/* Checks that a `req` value may be echoed (string or number). */
bool message_req_is_valid(const json_t *req);

/* 1-64 of [A-Za-z0-9_-]. */
bool message_is_lesson_id(const char *s);

/* Number of code points of a UTF-8 string (jansson has checked the encoding);
 * false when a control character (below U+0020 or U+007F) is present. */
bool message_utf8_length(const char *s, size_t *chars);

/* "audio", "video", "application" or "other". */
const char *message_kind_name(enum sdp_media_kind k);

#endif
