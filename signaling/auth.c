/* Signed tokens and the server secret (see auth.h). HMAC-SHA256 (RFC 2104,
 * FIPS 180-4) by OpenSSL; comparison in constant time so a forger learns
 * nothing from timing. */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void random_bytes(void *out, size_t n)
{
    /* Without a seeded CSPRNG no secret or id can be handed out safely. */
    if (RAND_bytes(out, (int)n) != 1)
        abort();
}

size_t auth_base64url_encode(const unsigned char *in, size_t len, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[(v >> 12) & 63];
        out[o++] = b64url[(v >> 6) & 63];
        out[o++] = b64url[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[(v >> 12) & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64url[v >> 18];
        out[o++] = b64url[(v >> 12) & 63];
        out[o++] = b64url[(v >> 6) & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

int auth_base64url_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
    if (len % 4 == 1)
        return -1;
    size_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (need > cap)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* Leftover bits must be zero, or two texts would decode alike. */
    if (bits && (acc & ((1u << bits) - 1)))
        return -1;
    return (int)o;
}

void auth_random_id(char *out, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[64];
    for (size_t i = 0; i < n;) {
        random_bytes(r, sizeof(r));
        for (size_t j = 0; j < sizeof(r) && i < n; j++)
            if (r[j] < 248)   /* 248 = 4 * 62: no modulo bias */
                out[i++] = alphabet[r[j] % 62];
    }
    out[n] = '\0';
}

static int read_secret(int fd, unsigned char *secret)
{
    size_t got = 0;
    while (got < AUTH_SECRET_LEN) {
        ssize_t n = read(fd, secret + got, AUTH_SECRET_LEN - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

static int make_secret(const char *path, unsigned char *secret, char *err, size_t cap)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? 1 : (snprintf(err, cap, "cannot create %s: %s", path,
                                               strerror(errno)), -1);
    random_bytes(secret, AUTH_SECRET_LEN);
    ssize_t n = write(fd, secret, AUTH_SECRET_LEN);
    if (n != AUTH_SECRET_LEN || fsync(fd) != 0) {
        snprintf(err, cap, "cannot write %s: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    close(fd);
    return 0;
}

int auth_load_secret(const char *data_dir, unsigned char secret[AUTH_SECRET_LEN], char *err,
                     size_t cap)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/secret", data_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        /* EEXIST (1): another process (the CLI, a second server) made it first. */
        int rc = make_secret(path, secret, err, cap);
        if (rc <= 0)
            return rc;
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        snprintf(err, cap, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && (st.st_mode & 077))
        fchmod(fd, 0600);
    int rc = read_secret(fd, secret);
    close(fd);
    if (rc != 0)
        snprintf(err, cap, "%s is shorter than %d bytes: remove it to make a new one (every "
                           "link and sign-in is then invalid)", path, AUTH_SECRET_LEN);
    return rc;
}

static void sign(const unsigned char *secret, const char *data, size_t len,
                 unsigned char mac[32])
{
    unsigned int n = 32;
    if (!HMAC(EVP_sha256(), secret, AUTH_SECRET_LEN, (const unsigned char *)data, len, mac, &n))
        abort();   /* only without memory: nothing to sign with */
}

char *auth_token_make(const unsigned char secret[AUTH_SECRET_LEN], const json_t *payload)
{
    char *json = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
    if (!json)
        return NULL;
    size_t len = strlen(json);
    char *out = malloc(4 * (len / 3 + 1) + 1 + 44 + 1);
    if (!out) {
        free(json);
        return NULL;
    }
    size_t o = auth_base64url_encode((const unsigned char *)json, len, out);
    free(json);
    unsigned char mac[32];
    sign(secret, out, o, mac);
    out[o++] = '.';
    auth_base64url_encode(mac, sizeof(mac), out + o);
    return out;
}

enum auth_result auth_token_verify(const unsigned char secret[AUTH_SECRET_LEN], const char *token,
                                   int64_t now_ms, json_t **payload)
{
    *payload = NULL;
    if (!token)
        return AUTH_BAD_TOKEN;
    size_t len = strnlen(token, AUTH_TOKEN_MAX + 1);
    const char *dot = memchr(token, '.', len);
    if (len > AUTH_TOKEN_MAX || !dot || len - (size_t)(dot - token) - 1 != 43)
        return AUTH_BAD_TOKEN;
    unsigned char mac[32], want[32];
    if (auth_base64url_decode(dot + 1, 43, mac, sizeof(mac)) != 32)
        return AUTH_BAD_TOKEN;
    sign(secret, token, (size_t)(dot - token), want);
    if (CRYPTO_memcmp(mac, want, sizeof(mac)) != 0)
        return AUTH_BAD_TOKEN;
    unsigned char body[AUTH_TOKEN_MAX];
    int n = auth_base64url_decode(token, (size_t)(dot - token), body, sizeof(body));
    if (n <= 0)
        return AUTH_BAD_TOKEN;
    json_t *o = json_loadb((const char *)body, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    json_t *x = json_object_get(o, "x");
    if (!json_is_object(o) || !json_is_string(json_object_get(o, "k")) || !json_is_integer(x)) {
        json_decref(o);
        return AUTH_BAD_TOKEN;
    }
    if (json_integer_value(x) <= now_ms / 1000) {
        json_decref(o);
        return AUTH_EXPIRED;
    }
    *payload = o;
    return AUTH_OK;
}

const char *auth_result_code(enum auth_result r)
{
    switch (r) {
    case AUTH_OK: return "ok";
    case AUTH_BAD_TOKEN: return "bad_token";
    case AUTH_EXPIRED: return "token_expired";
    case AUTH_WRONG_LESSON: return "wrong_lesson";
    case AUTH_REVOKED: return "revoked";
    case AUTH_LINK_USED: return "link_used";
    case AUTH_REMOVED: return "removed";
    case AUTH_ENDED: return "lesson_ended";
    case AUTH_INTERNAL: break;
    }
    return "internal";
}

const char *auth_result_text(enum auth_result r)
{
    switch (r) {
    case AUTH_OK: return "the link is valid";
    case AUTH_BAD_TOKEN: return "this link is not valid (it was changed or cut short): ask for "
                                "a new one";
    case AUTH_EXPIRED: return "this link has expired: ask for a new one";
    case AUTH_WRONG_LESSON: return "this link is for another lesson";
    case AUTH_REVOKED: return "this link was revoked";
    case AUTH_LINK_USED: return "this link could be used once and has been used";
    case AUTH_REMOVED: return "you were removed from this lesson: ask the teacher to let you "
                              "back in";
    case AUTH_ENDED: return "this lesson has ended";
    case AUTH_INTERNAL: break;
    }
    return "the server could not check the link: try again later";
}
