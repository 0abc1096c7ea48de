/* libFuzzer target for signed tokens (signaling/auth.c): base64url decoding
 * of any text, and verification of any string as a token under a fixed
 * secret (the input's first byte picks raw input or one re-signed, so the
 * JSON payload checks behind the signature are reached too). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signaling/auth.h"

static const unsigned char key[AUTH_SECRET_LEN] = "fuzz-fuzz-fuzz-fuzz-fuzz-fuzz-f";

static void verify(const char *token)
{
    json_t *p = NULL;
    enum auth_result r = auth_token_verify(key, token, 1756717200000LL, &p);
    if ((r == AUTH_OK) != (p != NULL))
        abort();
    json_decref(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4 * AUTH_TOKEN_MAX)
        return 0;
    char *text = malloc(size + 1);
    unsigned char out[4 * AUTH_TOKEN_MAX];
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int n = auth_base64url_decode(text, size, out, sizeof(out));
    if (n > 0) {
        char back[4 * (4 * AUTH_TOKEN_MAX / 3 + 1) + 1];
        size_t len = auth_base64url_encode(out, (size_t)n, back);
        if (len != size || memcmp(back, text, size) != 0)
            abort();   /* decoding is one-to-one */
    }
    verify(text);
    if (size && data[0] & 1) {
        /* The rest as a payload, signed: the checks after the signature. */
        json_t *payload = json_loadb(text + 1, size - 1, 0, NULL);
        char *t = payload ? auth_token_make(key, payload) : NULL;
        if (t)
            verify(t);
        free(t);
        json_decref(payload);
    }
    free(text);
    return 0;
}
