/* STUN (RFC 5389/8489) as ICE-lite needs it (RFC 8445 sec. 2.5): parse binding
 * requests, check short-term MESSAGE-INTEGRITY and FINGERPRINT, write binding
 * success responses with XOR-MAPPED-ADDRESS. Sans-IO: bytes in, bytes out;
 * views point into the caller's buffer; nothing allocates or logs. */
#ifndef SABAQ_STUN_H
#define SABAQ_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_HEADER_LEN 20
#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_TXID_LEN 12

enum stun_method_class {
    STUN_BINDING_REQUEST = 0x0001,
    STUN_BINDING_INDICATION = 0x0011,
    STUN_BINDING_SUCCESS = 0x0101,
    STUN_BINDING_ERROR = 0x0111,
};

enum stun_attr_type {
    STUN_ATTR_MAPPED_ADDRESS = 0x0001,
    STUN_ATTR_USERNAME = 0x0006,
    STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
    STUN_ATTR_ERROR_CODE = 0x0009,
    STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
    STUN_ATTR_PRIORITY = 0x0024,
    STUN_ATTR_USE_CANDIDATE = 0x0025,
    STUN_ATTR_SOFTWARE = 0x8022,
    STUN_ATTR_FINGERPRINT = 0x8028,
    STUN_ATTR_ICE_CONTROLLED = 0x8029,
    STUN_ATTR_ICE_CONTROLLING = 0x802A,
};

/* A parsed message: pointers borrow the buffer given to stun_message_parse. */
struct stun_message {
    uint16_t type;                /* method and class, e.g. STUN_BINDING_REQUEST */
    const uint8_t *txid;          /* STUN_TXID_LEN bytes */
    const uint8_t *buf;           /* the whole message */
    size_t len;                   /* header + attributes */
    const uint8_t *username;      /* not NUL-terminated */
    size_t username_len;
    size_t integrity_offset;      /* offset of the MESSAGE-INTEGRITY attribute header, 0 if absent */
    size_t fingerprint_offset;    /* offset of the FINGERPRINT attribute header, 0 if absent */
    bool has_priority;
    uint32_t priority;
    bool use_candidate;
    bool ice_controlling;
    bool ice_controlled;
    uint64_t tie_breaker;
    bool has_xor_mapped_address;
    struct sockaddr_storage xor_mapped_address; /* decoded (un-XORed) */
    uint16_t error_code;          /* 0 when absent, else class*100+number */
};

/* True when the first bytes look like STUN (RFC 7983: first byte 0..3 and the
 * magic cookie). Cheap enough for the demultiplexer. */
bool stun_is_message(const uint8_t *buf, size_t len);

/* Parses and bounds-checks a whole message. Verifies FINGERPRINT when present
 * (-SQ_EAUTH when wrong). 0 or -SQ_EMALFORMED. */
int stun_message_parse(struct stun_message *out, const uint8_t *buf, size_t len);

/* Checks MESSAGE-INTEGRITY (HMAC-SHA1) with a short-term key (the ICE
 * password). 0, -SQ_EAUTH when wrong, -SQ_ENOTFOUND when absent. */
int stun_message_check_integrity(const struct stun_message *m, const uint8_t *key, size_t key_len);

/* Splits USERNAME "local:remote" at the first ':' (the receiver's own ufrag comes
 * first in a request sent to it). 0 or -SQ_EMALFORMED. */
int stun_username_split(const struct stun_message *m, const uint8_t **local, size_t *local_len,
                        const uint8_t **remote, size_t *remote_len);

/* Writes a Binding success response to `txid` with XOR-MAPPED-ADDRESS = mapped,
 * MESSAGE-INTEGRITY under `key` and FINGERPRINT. Returns the length or
 * -SQ_ENOSPACE. 64 bytes is always enough for IPv4, 76 for IPv6. */
int stun_binding_success_write(uint8_t *out, size_t cap, const uint8_t txid[STUN_TXID_LEN],
                               const struct sockaddr *mapped, const uint8_t *key, size_t key_len);

/* Writes a Binding request (used by test peers and bench bots): USERNAME,
 * PRIORITY, ICE-CONTROLLING with tie_breaker, USE-CANDIDATE if asked,
 * MESSAGE-INTEGRITY under `key`, FINGERPRINT. Returns the length or -SQ_ENOSPACE. */
int stun_binding_request_write(uint8_t *out, size_t cap, const uint8_t txid[STUN_TXID_LEN],
                               const char *username, uint32_t priority, uint64_t tie_breaker,
                               bool use_candidate, const uint8_t *key, size_t key_len);

/* Writes a Binding error response (e.g. 401 for a bad integrity, 400 for a bad
 * request), with FINGERPRINT and no MESSAGE-INTEGRITY. */
int stun_binding_error_write(uint8_t *out, size_t cap, const uint8_t txid[STUN_TXID_LEN],
                             uint16_t code, const char *reason);

#endif
