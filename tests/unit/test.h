/* A tiny test harness: TEST(name) registers a function at load time, the
 * ASSERT macros record the first failure and return. tests/unit/main.c runs
 * every registered test (or those whose name contains argv[1]) and closes with
 * "N passed, N failed". */
#ifndef SABAQ_TEST_H
#define SABAQ_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct test_case {
    const char *name;
    const char *file;
    void (*fn)(void);
    struct test_case *next;
};

void test_register(struct test_case *tc);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int test_failed(void);

#define TEST(name)                                                          \
    static void test_fn_##name(void);                                      \
    static struct test_case test_case_##name = {#name, __FILE__,           \
                                                 test_fn_##name, NULL};    \
    __attribute__((constructor)) static void test_reg_##name(void)         \
    {                                                                       \
        test_register(&test_case_##name);                                   \
    }                                                                       \
    static void test_fn_##name(void)

#define ASSERT(cond)                                                        \
    do {                                                                    \
        if (!(cond)) {                                                      \
            test_fail(__FILE__, __LINE__, "%s", #cond);                     \
            return;                                                         \
        }                                                                   \
    } while (0)

#define ASSERT_EQ(expected, actual)                                         \
    do {                                                                    \
        long long e_ = (long long)(expected), a_ = (long long)(actual);     \
        if (e_ != a_) {                                                     \
            test_fail(__FILE__, __LINE__, "%s == %s: expected %lld, got %lld", \
                      #expected, #actual, e_, a_);                          \
            return;                                                         \
        }                                                                   \
    } while (0)

#define ASSERT_STR_EQ(expected, actual)                                     \
    do {                                                                    \
        const char *e_ = (expected), *a_ = (actual);                        \
        if (!e_ || !a_ || strcmp(e_, a_) != 0) {                            \
            test_fail(__FILE__, __LINE__, "%s: expected \"%s\", got \"%s\"", \
                      #actual, e_ ? e_ : "(null)", a_ ? a_ : "(null)");     \
            return;                                                         \
        }                                                                   \
    } while (0)

#define ASSERT_MEM_EQ(expected, actual, len)                                \
    do {                                                                    \
        if (memcmp((expected), (actual), (len)) != 0) {                     \
            test_fail(__FILE__, __LINE__, "%s and %s differ in %zu bytes",  \
                      #expected, #actual, (size_t)(len));                   \
            return;                                                         \
        }                                                                   \
    } while (0)

/* Decodes a hex string (spaces ignored) into out; returns the byte count. */
size_t test_hex(uint8_t *out, size_t cap, const char *hex);

#endif
