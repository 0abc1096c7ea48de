/* CSV reports: RFC 4180 quoting and protection against formula injection. */
#include "test.h"

#include <stdlib.h>

#include "signaling/csv.h"

static char *one_row(const char *const *cells, size_t n)
{
    struct csv c;
    csv_init(&c);
    for (size_t i = 0; i < n; i++)
        csv_text(&c, cells[i]);
    csv_end_row(&c);
    return csv_finish(&c, NULL);
}

TEST(csv_starts_with_a_bom_and_ends_rows_with_crlf)
{
    const char *cells[] = {"a", "b"};
    char *s = one_row(cells, 2);
    ASSERT_STR_EQ("\xEF\xBB\xBF" "a,b\r\n", s);
    free(s);
}

TEST(csv_quotes_commas_quotes_and_newlines)
{
    const char *cells[] = {"Ахметов, Ерлан", "say \"hi\"", "two\nlines", "plain"};
    char *s = one_row(cells, 4);
    ASSERT_STR_EQ("\xEF\xBB\xBF\"Ахметов, Ерлан\",\"say \"\"hi\"\"\",\"two\nlines\",plain\r\n", s);
    free(s);
}

TEST(csv_defuses_formulas)
{
    const char *cells[] = {"=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "a=b"};
    char *s = one_row(cells, 6);
    ASSERT_STR_EQ("\xEF\xBB\xBF\"'=HYPERLINK(\"\"http://x\"\")\",\"'+1\",\"'-2\",\"'@SUM(A1)\","
                  "\"'\tx\",a=b\r\n",
                  s);
    free(s);
}

TEST(csv_writes_numbers_empty_cells_and_times)
{
    struct csv c;
    csv_init(&c);
    csv_int(&c, 42);
    csv_text(&c, NULL);
    csv_time(&c, 0, 0);
    csv_time(&c, 1756717200000ull, 0);     /* 2025-09-01 09:00:00 UTC */
    csv_time(&c, 1756717200000ull, 300);   /* +05:00 */
    csv_time(&c, 1756717200000ull, -210);  /* -03:30 */
    csv_end_row(&c);
    size_t len;
    char *s = csv_finish(&c, &len);
    ASSERT_STR_EQ("\xEF\xBB\xBF" "42,,,2025-09-01T09:00:00Z,2025-09-01T14:00:00+05:00,"
                  "2025-09-01T05:30:00-03:30\r\n",
                  s);
    ASSERT_EQ(strlen(s), len);
    free(s);
}
