/* libFuzzer target for the HTTP Range header (signaling/http_range.c): any
 * bytes as the header, the file size taken from the input's first 8 bytes,
 * and the invariants a 206 needs (first <= last < size) checked. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signaling/http_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t file_size = 0;
    if (size >= 8) {
        memcpy(&file_size, data, 8);
        file_size %= UINT64_C(1) << 40;   /* up to 1 TiB: big files, small enough to print */
        data += 8;
        size -= 8;
    }
    /* Not NUL-terminated: the parser must stay within size bytes (ASan sees it). */
    char *h = malloc(size ? size : 1);
    if (!h)
        return 0;
    memcpy(h, data, size);
    struct http_range r = {0, 0};
    enum http_range_result res = http_range_parse(h, size, file_size, &r);
    if (res == HTTP_RANGE_PARTIAL && (r.first > r.last || r.last >= file_size))
        abort();
    if (res != HTTP_RANGE_WHOLE && res != HTTP_RANGE_PARTIAL && res != HTTP_RANGE_UNSATISFIABLE)
        abort();
    char cr[80];
    if (http_range_content_range(res, &r, file_size, cr, sizeof(cr)) == 0)
        abort();
    free(h);
    return 0;
}
