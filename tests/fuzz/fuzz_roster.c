/* libFuzzer target for the class-list CSV parser (signaling/roster.c): any
 * bytes are refused or give rows whose fields are bounded, NUL-terminated,
 * strict UTF-8 and free of control characters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signaling/roster.h"
#include "signaling/text.h"

static void check_field(const char *s, size_t cap, size_t max_chars)
{
    size_t len = strnlen(s, cap);
    if (len == cap || text_check(s, len, max_chars, false, NULL) == TEXT_INVALID)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: ASan reports any read past the end. */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    struct roster_row *rows = NULL;
    char err[256];
    int n = roster_parse(copy, size, &rows, err, sizeof(err));
    if (n < 0 ? rows != NULL || !err[0] : n == 0 || n > ROSTER_MAX_ROWS || !rows)
        abort();
    for (int i = 0; i < n; i++) {
        check_field(rows[i].name, sizeof(rows[i].name), ROSTER_NAME_CHARS);
        check_field(rows[i].klass, sizeof(rows[i].klass), ROSTER_CLASS_CHARS);
        check_field(rows[i].school, sizeof(rows[i].school), ROSTER_SCHOOL_CHARS);
        if (!rows[i].name[0])
            abort();
    }
    free(rows);
    free(copy);
    return 0;
}
