/* Runs the registered unit tests; prints "N passed, N failed" last. */
#include "test.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>

static struct test_case *tests_head, **tests_tail = &tests_head;
static int current_failed;

void test_register(struct test_case *tc)
{
    *tests_tail = tc;
    tests_tail = &tc->next;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    current_failed = 1;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int test_failed(void) { return current_failed; }

size_t test_hex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = 0;
    int hi = -1;
    for (; *hex; hex++) {
        int c = (unsigned char)*hex, v;
        if (isspace(c))
            continue;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else abort();
        if (hi < 0) {
            hi = v;
        } else {
            if (n == cap)
                abort();
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    int passed = 0, failed = 0;
    for (struct test_case *tc = tests_head; tc; tc = tc->next) {
        if (filter && !strstr(tc->name, filter) && !strstr(tc->file, filter))
            continue;
        current_failed = 0;
        tc->fn();
        printf("%s %s\n", current_failed ? "FAIL" : "ok  ", tc->name);
        if (current_failed)
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
