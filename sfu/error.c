/* The text side of include/sabaq/error.h. */
#include "sabaq/error.h"

static int code_of(int err) { return err < 0 ? -err : err; }

const char *sq_strerror(int err)
{
    switch (code_of(err)) {
    case 0: return "ok";
#define SQ_ERROR_TEXT(name, num, text) case num: return text;
    SQ_ERRORS(SQ_ERROR_TEXT)
#undef SQ_ERROR_TEXT
    }
    return "unknown error";
}

const char *sq_errname(int err)
{
    switch (code_of(err)) {
    case 0: return "OK";
#define SQ_ERROR_NAME(name, num, text) case num: return #name;
    SQ_ERRORS(SQ_ERROR_NAME)
#undef SQ_ERROR_NAME
    }
    return "EUNKNOWN";
}
