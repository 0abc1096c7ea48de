/* Strict UTF-8 checking and counting (RFC 3629, section 4's table of
 * well-formed byte sequences); see text.h. */
#include "text.h"

size_t text_utf8_decode(const unsigned char *s, size_t len, unsigned *cp)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {        /* C0 and C1 would be overlong */
        n = 2;
        min = 0x80;
        c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        min = 0x800;
        c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) { /* F5..FF would pass U+10FFFF */
        n = 4;
        min = 0x10000;
        c &= 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

static bool is_control(unsigned cp, bool multiline)
{
    if (cp == '\t' || cp == '\n' || cp == '\r')
        return !multiline;
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

static bool is_space(unsigned cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 || cp == 0x3000 ||
           (cp >= 0x2000 && cp <= 0x200B);
}

enum text_result text_check(const char *s, size_t len, size_t max_chars, bool multiline,
                            size_t *chars)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t count = 0;
    bool blank = true;
    enum text_result r = TEXT_OK;
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t n = text_utf8_decode(u + i, len - i, &cp);
        if (n == 0 || is_control(cp, multiline)) {
            r = TEXT_INVALID;
            break;
        }
        if (!is_space(cp))
            blank = false;
        i += n;
        if (++count > max_chars && r == TEXT_OK)
            r = TEXT_TOO_LONG;   /* keep going: invalid bytes later win */
    }
    if (chars)
        *chars = count;
    if (r == TEXT_OK && blank)
        r = TEXT_EMPTY;
    return r;
}
