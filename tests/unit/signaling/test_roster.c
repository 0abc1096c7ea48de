/* Class lists (roster.c): RFC 4180 CSV from spreadsheets, and hostile input
 * refused with a sentence naming the line, never a crash or an overread. */
#include "test.h"

#include <stdlib.h>

#include "signaling/roster.h"

static int parse(const char *csv, struct roster_row **rows, char *err)
{
    return roster_parse(csv, strlen(csv), rows, err, 256);
}

TEST(roster_reads_names_classes_and_schools_with_a_header)
{
    struct roster_row *r = NULL;
    char err[256];
    ASSERT_EQ(3, parse("name,class,school\r\nАйгерім Серікқызы,7Б,НЗМ Алматы\r\n"
                       "Bolat,7B\r\nDana\r\n", &r, err));
    ASSERT_STR_EQ("Айгерім Серікқызы", r[0].name);
    ASSERT_STR_EQ("7Б", r[0].klass);
    ASSERT_STR_EQ("НЗМ Алматы", r[0].school);
    ASSERT_STR_EQ("7B", r[1].klass);
    ASSERT_STR_EQ("", r[1].school);
    ASSERT_STR_EQ("Dana", r[2].name);
    free(r);
}

TEST(roster_takes_quotes_semicolons_bom_blank_lines_and_no_final_newline)
{
    struct roster_row *r = NULL;
    char err[256];
    ASSERT_EQ(3, parse("\xEF\xBB\xBFИмя;Класс\n\"Smith; John\";\"7 \"\"A\"\"\"\n\n  Ali  ; 8\n"
                       "\"Zhan, Aru\"", &r, err));
    ASSERT_STR_EQ("Smith; John", r[0].name);
    ASSERT_STR_EQ("7 \"A\"", r[0].klass);
    ASSERT_STR_EQ("Ali", r[1].name);   /* spaces around plain fields go */
    ASSERT_STR_EQ("8", r[1].klass);
    ASSERT_STR_EQ("Zhan, Aru", r[2].name);
    free(r);
}

/* Each hostile input: refused, naming the line when there is one. */
TEST(roster_refuses_hostile_input_with_the_line)
{
    static const struct {
        const char *csv;
        const char *says;
    } cases[] = {
        {"Ali\n\"Bolat\n", "line 2: a quoted field is not closed"},
        {"Ali\nBo\"lat\n", "line 2: a quote inside a field"},
        {"\"Ali\"x\n", "line 1: text after a closing quote"},
        {"Ali,7,NIS,extra\n", "line 1: more than 3 columns"},
        {"Ali\n,7B\n", "line 2: the name is empty"},
        {"Ali\n\xff\xfe\n", "line 2: the name is not valid UTF-8"},
        {"Ali\n\xc0\xaf\n", "not valid UTF-8"},                        /* overlong '/' */
        {"Ali\n\xed\xa0\x80\n", "not valid UTF-8"},                    /* a surrogate */
        {"\"Ali\x01\"\n", "control character"},
        {"\"A\nB\"\n", "control character"},                           /* a line break in a name */
        {"", "no students"},
        {"\n\n  \n", "no students"},
        {"name,class\n", "no students"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct roster_row *r = (struct roster_row *)1;
        char err[256] = "";
        if (parse(cases[i].csv, &r, err) != -1 || r != NULL || !strstr(err, cases[i].says)) {
            test_fail(__FILE__, __LINE__, "case %zu: got \"%s\", want \"%s\"", i, err,
                      cases[i].says);
            return;
        }
    }
}

TEST(roster_refuses_nul_bytes_long_fields_and_too_many_rows)
{
    struct roster_row *r = NULL;
    char err[256];
    ASSERT_EQ(-1, roster_parse("Ali\0Bolat\n", 10, &r, err, sizeof(err)));
    ASSERT(strstr(err, "NUL"));
    char name[400];
    memset(name, 'n', 65);
    name[65] = '\0';
    ASSERT_EQ(-1, parse(name, &r, err));
    ASSERT(strstr(err, "longer than 64"));
    /* 64 two-byte letters are 64 characters: fine. */
    char ok[200] = "";
    for (int i = 0; i < 64; i++)
        strcat(ok, "ә");
    ASSERT_EQ(1, parse(ok, &r, err));
    free(r);
    memset(name, 'x', sizeof(name) - 1);   /* longer than the buffer itself */
    name[sizeof(name) - 1] = '\0';
    ASSERT_EQ(-1, parse(name, &r, err));
    size_t big = (ROSTER_MAX_ROWS + 1) * 4;
    char *many = malloc(big + 1);
    for (size_t i = 0; i < ROSTER_MAX_ROWS + 1; i++)
        memcpy(many + i * 4, "Ali\n", 4);
    many[big] = '\0';
    ASSERT_EQ(-1, parse(many, &r, err));
    ASSERT(strstr(err, "more than 500"));
    free(many);
    ASSERT_EQ(-1, roster_parse("Ali", ROSTER_MAX_BYTES + 1, &r, err, sizeof(err)));
    ASSERT(strstr(err, "larger than"));
}

TEST(roster_parse_never_reads_past_the_length)
{
    /* Every prefix of a tricky file either parses or is refused. */
    const char *csv = "name;class\r\n\"A \"\"B\"\"\";7\r\n\"C\r\nD\";8\r\n";
    for (size_t n = 0; n <= strlen(csv); n++) {
        char *copy = malloc(n ? n : 1);   /* exactly n bytes: ASan sees an overread */
        memcpy(copy, csv, n);
        struct roster_row *r = NULL;
        char err[256];
        int rc = roster_parse(copy, n, &r, err, sizeof(err));
        ASSERT(rc == -1 || rc >= 1);
        free(r);
        free(copy);
    }
}
