/* Checking text that people type (chat messages, poll questions, options and
 * answers) before it is stored: strict UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), no control characters, a limit in
 * code points (a Kazakh or Russian letter is 2 bytes but 1 character). */
#ifndef SIGNALING_TEXT_H
#define SIGNALING_TEXT_H

#include <stdbool.h>
#include <stddef.h>

enum text_result {
    TEXT_OK = 0,
    TEXT_INVALID = -1,   /* not UTF-8, or a control character */
    TEXT_TOO_LONG = -2,  /* more than max_chars code points */
    TEXT_EMPTY = -3,     /* nothing but white space */
};

/* Checks len bytes of s (a NUL byte is a control character). multiline
 * allows LF, CR and TAB (chat); otherwise no control character at all.
 * *chars (may be NULL) gets the number of code points. */
enum text_result text_check(const char *s, size_t len, size_t max_chars, bool multiline,
                            size_t *chars);

/* Decodes one strict UTF-8 sequence at s[0..len-1]: its length (1-4) with
 * *cp set, or 0 when invalid. */
size_t text_utf8_decode(const unsigned char *s, size_t len, unsigned *cp);

#endif
