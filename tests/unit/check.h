/* The check harness shared by the C unit tests (tests/unit/test_*.c).
 * CHECK(cond, fmt, ...) counts a pass or prints "FAIL file:line: cond: message" and counts a failure;
 * the counters are atomic, so worker threads may check too. CHECK_UL / CHECK_STR / CHECK_HAS compare
 * and print expected and actual values. CHECK_DONE() prints "N passed, N failed" (the line
 * tests/run shows) and evaluates to main's exit status. */
#ifndef MP_TEST_CHECK_H
#define MP_TEST_CHECK_H
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            __atomic_add_fetch(&check_passed, 1, __ATOMIC_RELAXED);                                \
        } else {                                                                                   \
            __atomic_add_fetch(&check_failed, 1, __ATOMIC_RELAXED);                                \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                 \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
            fflush(stdout);                                                                        \
        }                                                                                          \
    } while (0)

#define CHECK_UL(actual, expected)                                                                 \
    do {                                                                                           \
        unsigned long a_ = (unsigned long)(actual), e_ = (unsigned long)(expected);                \
        CHECK(a_ == e_, "expected %lu, actual %lu", e_, a_);                                       \
    } while (0)

#define CHECK_STR(actual, expected)                                                                \
    do {                                                                                           \
        const char *a_ = (actual), *e_ = (expected);                                               \
        CHECK(a_ && !strcmp(a_, e_), "expected '%s', actual '%s'", e_, a_ ? a_ : "(null)");        \
    } while (0)

#define CHECK_HAS(haystack, needle)                                                                \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        CHECK(h_ && strstr(h_, n_) != NULL, "expected to contain '%s', actual '%s'", n_,           \
              h_ ? h_ : "(null)");                                                                 \
    } while (0)

#define CHECK_DONE()                                                                               \
    (printf("%d passed, %d failed\n", check_passed, check_failed), check_failed != 0)

#endif
