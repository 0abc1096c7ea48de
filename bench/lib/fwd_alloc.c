/* Counts every heap call in the process by interposing malloc, calloc, realloc,
 * free and the aligned variants over glibc's and forwarding to glibc's own
 * __libc_* entry points. Defined in the executable, these win symbol lookup
 * for the shared libraries too, so allocations made inside OpenSSL, libsrtp2
 * or NSS on the packet path are caught (-Wl,--wrap would only see calls from
 * objects linked statically). The caller's return address tells whether the
 * call came from this executable (bench + libsabaq.a) or a shared library.
 * Single-threaded bench; relaxed atomics keep counts right if a library ever
 * starts a thread. */
#include "fwd_alloc.h"

#include <errno.h>
#include <execinfo.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);
extern const char __executable_start[], etext[]; /* set by the linker */

#define FIRST_FRAMES 24

static struct fwd_alloc_counts counts;
static bool armed, have_first;
static void *first[FIRST_FRAMES];
static int n_first;
static __thread bool inside;     /* backtrace() may allocate: no recursion */

static void note(uint64_t *field, const void *caller)
{
    __atomic_fetch_add(field, 1, __ATOMIC_RELAXED);
    if (caller >= (const void *)__executable_start && caller < (const void *)etext)
        __atomic_fetch_add(&counts.from_exe, 1, __ATOMIC_RELAXED);
    if (armed && !have_first && !inside) {
        inside = true;
        have_first = true;
        n_first = backtrace(first, FIRST_FRAMES);
        inside = false;
    }
}

void *malloc(size_t size)
{
    note(&counts.malloc, __builtin_return_address(0));
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    note(&counts.calloc, __builtin_return_address(0));
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    note(&counts.realloc, __builtin_return_address(0));
    return __libc_realloc(p, size);
}

void free(void *p)
{
    if (p)
        __atomic_fetch_add(&counts.free, 1, __ATOMIC_RELAXED);
    __libc_free(p);
}

void *aligned_alloc(size_t align, size_t size)
{
    note(&counts.memalign, __builtin_return_address(0));
    return __libc_memalign(align, size);
}

void *memalign(size_t align, size_t size)
{
    note(&counts.memalign, __builtin_return_address(0));
    return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    note(&counts.memalign, __builtin_return_address(0));
    void *p = __libc_memalign(align, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void fwd_alloc_snapshot(struct fwd_alloc_counts *out)
{
    out->malloc = __atomic_load_n(&counts.malloc, __ATOMIC_RELAXED);
    out->calloc = __atomic_load_n(&counts.calloc, __ATOMIC_RELAXED);
    out->realloc = __atomic_load_n(&counts.realloc, __ATOMIC_RELAXED);
    out->memalign = __atomic_load_n(&counts.memalign, __ATOMIC_RELAXED);
    out->free = __atomic_load_n(&counts.free, __ATOMIC_RELAXED);
    out->from_exe = __atomic_load_n(&counts.from_exe, __ATOMIC_RELAXED);
}

uint64_t fwd_alloc_delta(const struct fwd_alloc_counts *before, const struct fwd_alloc_counts *after,
                         struct fwd_alloc_counts *delta)
{
    delta->malloc = after->malloc - before->malloc;
    delta->calloc = after->calloc - before->calloc;
    delta->realloc = after->realloc - before->realloc;
    delta->memalign = after->memalign - before->memalign;
    delta->free = after->free - before->free;
    delta->from_exe = after->from_exe - before->from_exe;
    return delta->malloc + delta->calloc + delta->realloc + delta->memalign;
}

void fwd_alloc_add(struct fwd_alloc_counts *sum, const struct fwd_alloc_counts *d)
{
    sum->malloc += d->malloc;
    sum->calloc += d->calloc;
    sum->realloc += d->realloc;
    sum->memalign += d->memalign;
    sum->free += d->free;
    sum->from_exe += d->from_exe;
}

void fwd_alloc_arm(bool on)
{
    if (on && !have_first) {
        /* The first backtrace() loads libgcc_s (and allocates): do it now. */
        void *warm[2];
        inside = true;
        backtrace(warm, 2);
        inside = false;
    }
    armed = on;
}

bool fwd_alloc_print_first(FILE *f)
{
    if (!have_first)
        return false;
    fflush(f);
    backtrace_symbols_fd(first, n_first, fileno(f));
    return true;
}
