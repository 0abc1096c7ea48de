/* JSON messages of the signaling protocol (docs/protocol.md). Replies keep
 * "type" first and "req" second: jansson preserves insertion order. */
#include "message.h"

#include <string.h>

const char *message_error_code(enum message_error e)
{
    switch (e) {
#define MESSAGE_ERROR_CODE(name, code) case MESSAGE_ERR_##name: return code;
    MESSAGE_ERRORS(MESSAGE_ERROR_CODE)
#undef MESSAGE_ERROR_CODE
    case MESSAGE_ERR_COUNT: break;
    }
    return "internal";
}

json_t *message_new(const char *type, json_t *req)
{
    json_t *m = json_object();
    if (!m)
        return NULL;
    json_object_set_new(m, "type", json_string(type));
    if (req)
        json_object_set(m, "req", req);
    return m;
}

json_t *message_error_new(enum message_error e, const char *text, const char *ref, json_t *req)
{
    json_t *m = message_new("error", req);
    if (!m)
        return NULL;
    json_object_set_new(m, "code", json_string(message_error_code(e)));
    /* json_string refuses invalid UTF-8; the text may quote client input. */
    json_t *t = json_string(text);
    json_object_set_new(m, "message", t ? t : json_string("invalid message"));
    if (ref) {
        json_t *r = json_string(ref);
        if (r)
            json_object_set_new(m, "ref", r);
    }
    return m;
}

const char *message_string(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

bool message_req_is_valid(const json_t *req)
{
    return json_is_string(req) || json_is_number(req);
}

bool message_is_lesson_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool message_utf8_length(const char *s, size_t *chars)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return false;
        if ((*p & 0xC0) != 0x80)   /* not a continuation byte: a new code point */
            n++;
    }
    *chars = n;
    return true;
}

const char *message_kind_name(enum sdp_media_kind k)
{
    switch (k) {
    case SDP_KIND_AUDIO: return "audio";
    case SDP_KIND_VIDEO: return "video";
    case SDP_KIND_APPLICATION: return "application";
    case SDP_KIND_OTHER: break;
    }
    return "other";
}
