/* HTTP Range headers (RFC 9110 section 14) for the recordings' player. */
#include "test.h"

#include "signaling/http_range.h"

static enum http_range_result parse(const char *h, uint64_t size, struct http_range *r)
{
    return http_range_parse(h, h ? strlen(h) : 0, size, r);
}

TEST(range_first_last_gives_those_bytes)
{
    struct http_range r;
    ASSERT_EQ(HTTP_RANGE_PARTIAL, parse("bytes=100-199", 1000, &r));
    ASSERT_EQ(100, r.first);
    ASSERT_EQ(199, r.last);
    char cr[64];
    ASSERT(http_range_content_range(HTTP_RANGE_PARTIAL, &r, 1000, cr, sizeof(cr)) > 0);
    ASSERT_STR_EQ("bytes 100-199/1000", cr);
}

TEST(range_open_end_runs_to_the_last_byte)
{
    struct http_range r;
    ASSERT_EQ(HTTP_RANGE_PARTIAL, parse("bytes=0-", 1000, &r));
    ASSERT_EQ(0, r.first);
    ASSERT_EQ(999, r.last);
    ASSERT_EQ(HTTP_RANGE_PARTIAL, parse("Bytes=999-", 1000, &r));
    ASSERT_EQ(999, r.first);
}

TEST(range_last_past_the_end_is_clipped)
{
    struct http_range r;
    ASSERT_EQ(HTTP_RANGE_PARTIAL, parse("bytes=500-5000", 1000, &r));
    ASSERT_EQ(500, r.first);
    ASSERT_EQ(999, r.last);
}

TEST(range_suffix_gives_the_last_bytes)
{
    struct http_range r;
    ASSERT_EQ(HTTP_RANGE_PARTIAL, parse("bytes=-100", 1000, &r));
    ASSERT_EQ(900, r.first);
    ASSERT_EQ(999, r.last);
    ASSERT_EQ(HTTP_RANGE_PARTIAL, parse("bytes=-5000", 1000, &r));
    ASSERT_EQ(0, r.first);
    ASSERT_EQ(999, r.last);
}

TEST(range_beyond_the_file_is_unsatisfiable)
{
    struct http_range r;
    ASSERT_EQ(HTTP_RANGE_UNSATISFIABLE, parse("bytes=1000-", 1000, &r));
    ASSERT_EQ(HTTP_RANGE_UNSATISFIABLE, parse("bytes=2000-3000", 1000, &r));
    ASSERT_EQ(HTTP_RANGE_UNSATISFIABLE, parse("bytes=-0", 1000, &r));
    ASSERT_EQ(HTTP_RANGE_UNSATISFIABLE, parse("bytes=0-", 0, &r));
    char cr[64];
    ASSERT(http_range_content_range(HTTP_RANGE_UNSATISFIABLE, &r, 1000, cr, sizeof(cr)) > 0);
    ASSERT_STR_EQ("bytes */1000", cr);
}

TEST(range_malformed_or_multiple_is_ignored)
{
    struct http_range r;
    const char *ignored[] = {
        NULL, "", "bytes", "bytes=", "bytes=-", "bytes=abc", "bytes=5", "bytes=5-4",
        "items=0-1", "bytes=0-1,5-6", "bytes=0-1 x", "bytes=1-2-3", "bytes= -",
        "bytes=99999999999999999999-", "bytes=0-99999999999999999999", "bytes=+1-2",
        "bytes=0x10-20", "bytes=--1",
    };
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
        if (parse(ignored[i], 1000, &r) != HTTP_RANGE_WHOLE) {
            test_fail(__FILE__, __LINE__, "\"%s\" was not ignored", ignored[i]);
            return;
        }
}

TEST(range_spaces_around_the_spec_are_allowed)
{
    struct http_range r;
    ASSERT_EQ(HTTP_RANGE_PARTIAL, parse("bytes= 10-20 ", 1000, &r));
    ASSERT_EQ(10, r.first);
    ASSERT_EQ(20, r.last);
}

TEST(range_reads_only_len_bytes)
{
    struct http_range r;
    /* Not NUL-terminated where it ends: the "9" after len must not count. */
    ASSERT_EQ(HTTP_RANGE_PARTIAL, http_range_parse("bytes=1-29", 9, 1000, &r));
    ASSERT_EQ(1, r.first);
    ASSERT_EQ(2, r.last);
}

TEST(range_too_long_header_is_ignored)
{
    char h[HTTP_RANGE_MAX_HEADER + 20];
    memset(h, ' ', sizeof(h) - 1);
    memcpy(h, "bytes=0-1", 9);
    h[sizeof(h) - 1] = '\0';
    struct http_range r;
    ASSERT_EQ(HTTP_RANGE_WHOLE, http_range_parse(h, strlen(h), 1000, &r));
}
