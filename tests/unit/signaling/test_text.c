/* Strict UTF-8 checks and code-point counting for typed text. */
#include "test.h"

#include "signaling/text.h"

static enum text_result check(const char *s, size_t max, bool multiline)
{
    return text_check(s, strlen(s), max, multiline, NULL);
}

TEST(text_counts_code_points_not_bytes)
{
    size_t chars = 0;
    /* "Сәлем" (Kazakh): 5 letters, 10 bytes. */
    const char *s = "\xD0\xA1\xD3\x99\xD0\xBB\xD0\xB5\xD0\xBC";
    ASSERT_EQ(TEXT_OK, text_check(s, strlen(s), 5, false, &chars));
    ASSERT_EQ(5, chars);
    ASSERT_EQ(TEXT_TOO_LONG, text_check(s, strlen(s), 4, false, &chars));
    /* a 4-byte emoji is one character */
    ASSERT_EQ(TEXT_OK, text_check("\xF0\x9F\x98\x80", 4, 1, false, &chars));
    ASSERT_EQ(1, chars);
}

TEST(text_refuses_invalid_bytes)
{
    ASSERT_EQ(TEXT_INVALID, check("abc\xFF", 100, true));
    ASSERT_EQ(TEXT_INVALID, check("\x80", 100, true));              /* lone continuation */
    ASSERT_EQ(TEXT_INVALID, check("\xD0", 100, true));              /* truncated */
    ASSERT_EQ(TEXT_INVALID, check("\xE2\x82", 100, true));          /* truncated 3-byte */
    ASSERT_EQ(TEXT_INVALID, check("\xD0\x41", 100, true));          /* bad continuation */
    ASSERT_EQ(TEXT_INVALID, check("\xF5\x80\x80\x80", 100, true));  /* above U+10FFFF */
    ASSERT_EQ(TEXT_INVALID, check("\xF4\x90\x80\x80", 100, true));  /* U+110000 */
}

TEST(text_refuses_overlong_encodings)
{
    ASSERT_EQ(TEXT_INVALID, check("\xC0\xAF", 100, true));          /* '/' in 2 bytes */
    ASSERT_EQ(TEXT_INVALID, check("\xC1\xBF", 100, true));
    ASSERT_EQ(TEXT_INVALID, check("\xE0\x80\xAF", 100, true));      /* '/' in 3 bytes */
    ASSERT_EQ(TEXT_INVALID, check("\xF0\x80\x80\xAF", 100, true));  /* '/' in 4 bytes */
    ASSERT_EQ(TEXT_INVALID, check("\xE0\x9F\xBF", 100, true));      /* U+07FF in 3 bytes */
    ASSERT_EQ(TEXT_OK, check("\xE0\xA0\x80", 100, true));           /* U+0800: shortest */
}

TEST(text_refuses_surrogates)
{
    ASSERT_EQ(TEXT_INVALID, check("\xED\xA0\x80", 100, true));      /* U+D800 */
    ASSERT_EQ(TEXT_INVALID, check("\xED\xBF\xBF", 100, true));      /* U+DFFF */
    ASSERT_EQ(TEXT_OK, check("\xED\x9F\xBF", 100, true));           /* U+D7FF */
    ASSERT_EQ(TEXT_OK, check("\xEE\x80\x80", 100, true));           /* U+E000 */
}

TEST(text_refuses_control_characters_but_chat_keeps_line_breaks)
{
    ASSERT_EQ(TEXT_OK, check("two\nlines\tand tab\r\n", 100, true));
    ASSERT_EQ(TEXT_INVALID, check("two\nlines", 100, false));
    ASSERT_EQ(TEXT_INVALID, check("bell\x07", 100, true));
    ASSERT_EQ(TEXT_INVALID, check("del\x7F", 100, true));
    ASSERT_EQ(TEXT_INVALID, check("c1\xC2\x85", 100, true));        /* U+0085 */
    ASSERT_EQ(TEXT_INVALID, text_check("a\0b", 3, 100, true, NULL)); /* embedded NUL */
}

TEST(text_blank_is_empty)
{
    ASSERT_EQ(TEXT_EMPTY, check("", 100, true));
    ASSERT_EQ(TEXT_EMPTY, check("  \n\t ", 100, true));
    ASSERT_EQ(TEXT_EMPTY, check("\xC2\xA0", 100, true));            /* no-break space */
    ASSERT_EQ(TEXT_OK, check(" x ", 100, true));
}

TEST(text_invalid_wins_over_too_long)
{
    ASSERT_EQ(TEXT_INVALID, check("abcdef\xFF", 3, true));
}
