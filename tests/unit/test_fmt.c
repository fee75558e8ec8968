// SOURCES: src/common/fmt.c
/* The allocation-free formatter (src/common/fmt.h) that writes every tool message inside hooks
 * and at exit: each supported conversion gives what snprintf gives for the same format and value
 * (widths, zero padding, negative numbers and their extremes, size_t and pointer arguments); the
 * ' flag groups thousands with commas; the return value is the length needed, and the buffer is
 * always NUL-terminated, also when it is too small or has room for the terminator only; n = 0
 * writes nothing; NULL strings print "(null)"; an unknown conversion is copied as text.
 * mp_write_all writes every byte through a pipe whose reader is slow (short writes) and while
 * signals interrupt it (EINTR), and reports a write to a closed descriptor as -1 with errno
 * unchanged; mp_fdprintf writes what mp_fmt formats. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "common/fmt.h"

/* Format with both and compare; also checks the returned length. */
#define SAME(...)                                                                                  \
    do {                                                                                           \
        char a_[256], e_[256];                                                                     \
        size_t n_ = mp_fmt(a_, sizeof a_, __VA_ARGS__);                                            \
        int m_ = snprintf(e_, sizeof e_, __VA_ARGS__);                                             \
        CHECK(!strcmp(a_, e_) && n_ == (size_t)m_, "format %s: expected '%s' (%d), actual '%s' (%zu)", \
              #__VA_ARGS__, e_, m_, a_, n_);                                                       \
    } while (0)

static void conversions(void)
{
    SAME("plain text");
    SAME("%s|%s", "abc", "");
    SAME("%c%c", 'x', '!');
    SAME("%d %d %d", 0, -1, 42);
    SAME("%d %d", INT_MAX, INT_MIN);
    SAME("%i", -12345);
    SAME("%u %u", 0u, UINT_MAX);
    SAME("%ld %ld", LONG_MAX, LONG_MIN);
    SAME("%lu", ULONG_MAX);
    SAME("%lld %llu", LLONG_MIN, ULLONG_MAX);
    SAME("%zu %zd", (size_t)SIZE_MAX, (ssize_t)-7);
    SAME("%x %lx", 0xdeadbeefu, 0x123456789abcdefUL);
    SAME("%5d|%05d|%3u|%08lx", 42, 42, 7u, 0xabcUL);
    SAME("%2d", 12345); /* width smaller than the number */
    SAME("%05d|%5d|%06ld", -42, -42, -7L); /* the sign before zeros, after spaces */
    SAME("%p", (void *)0x7fff1234);
    SAME("100%%");
    SAME("%s=%lu (%s)", "key", 99UL, "note");
}

static void differences(void)
{
    char b[64];
    /* Where the formatter is documented to differ from printf, the difference is deliberate. */
    mp_fmt(b, sizeof b, "%s", (const char *)NULL);
    CHECK_STR(b, "(null)");
    mp_fmt(b, sizeof b, "%'u", 1234567u);
    CHECK_STR(b, "1,234,567");
    mp_fmt(b, sizeof b, "%'lu", 999UL);
    CHECK_STR(b, "999");
    mp_fmt(b, sizeof b, "%'lu", 1000UL);
    CHECK_STR(b, "1,000");
    mp_fmt(b, sizeof b, "%'zu", (size_t)18446744073709551615UL);
    CHECK_STR(b, "18,446,744,073,709,551,615");
    mp_fmt(b, sizeof b, "%'d", -1234);
    CHECK_STR(b, "-1,234");
    mp_fmt(b, sizeof b, "a%qb");
    CHECK_STR(b, "a%qb");
    mp_fmt(b, sizeof b, "trailing %");
    CHECK_STR(b, "trailing %");
}

static void truncation(void)
{
    char b[8];
    memset(b, 'Z', sizeof b);
    size_t n = mp_fmt(b, 5, "%s-%d", "abcdef", 12);
    CHECK_UL(n, 9);
    CHECK_STR(b, "abcd");
    CHECK(b[5] == 'Z', "wrote past n: byte 5 is 0x%x", (unsigned char)b[5]);
    memset(b, 'Z', sizeof b);
    n = mp_fmt(b, 1, "xyz");
    CHECK_UL(n, 3);
    CHECK(b[0] == 0 && b[1] == 'Z', "n=1 must give an empty string and nothing more");
    memset(b, 'Z', sizeof b);
    n = mp_fmt(b, 0, "xyz%d", 5);
    CHECK_UL(n, 4);
    CHECK(b[0] == 'Z', "n=0 must write nothing");
    n = mp_fmt(b, sizeof b, "1234567");
    CHECK_UL(n, 7);
    CHECK_STR(b, "1234567");
    n = mp_fmt(b, sizeof b, "12345678");
    CHECK_UL(n, 8);
    CHECK_STR(b, "1234567");
    n = mp_fmt(NULL, 0, "%lu", 123456UL);
    CHECK_UL(n, 6);
}

static volatile sig_atomic_t ticks;
static void on_alarm(int sig)
{
    (void)sig;
    ticks++;
}

static void *slow_reader(void *arg)
{
    int fd = *(int *)arg;
    size_t total = 0;
    char buf[1000];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != (char)('a' + (total + i) % 26))
                return (void *)-1;
        total += r;
        if (total % 50000 < 1000)
            usleep(1000);
    }
    return (void *)total;
}

static void write_all(void)
{
    enum { LEN = 3 << 20 };
    char *data = malloc(LEN);
    for (size_t i = 0; i < LEN; i++)
        data[i] = (char)('a' + i % 26);
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pthread_t t;
    pthread_create(&t, NULL, slow_reader, &p[0]);
    /* Interrupt the writer every millisecond: SA_RESTART off, so write() returns EINTR or short. */
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    errno = 1234;
    int rc = mp_write_all(p[1], data, LEN);
    int err = errno;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    close(p[1]);
    void *got;
    pthread_join(t, &got);
    close(p[0]);
    CHECK_UL(rc, 0);
    CHECK_UL(err, 1234);
    CHECK((intptr_t)got == LEN, "the reader got %ld of %d bytes (or wrong bytes: -1)",
          (long)(intptr_t)got, LEN);
    CHECK(ticks > 0, "the timer never interrupted the writer; the EINTR path was not exercised");
    free(data);

    int q[2];
    pipe(q);
    close(q[0]);
    signal(SIGPIPE, SIG_IGN);
    errno = 77;
    rc = mp_write_all(q[1], "x", 1);
    CHECK(rc == -1 && errno == 77, "write to a pipe without reader: rc %d errno %d", rc, errno);
    close(q[1]);
    rc = mp_write_all(q[1], "x", 1);
    CHECK(rc == -1 && errno == 77, "write to a closed fd: rc %d errno %d", rc, errno);

    int r[2];
    pipe(r);
    mp_fdprintf(r[1], "%s %'lu %d\n", "bytes", 1048576UL, -3);
    char b[64] = {0};
    ssize_t got2 = read(r[0], b, sizeof b - 1);
    CHECK(got2 > 0, "read");
    CHECK_STR(b, "bytes 1,048,576 -3\n");
    close(r[0]);
    close(r[1]);
}

int main(void)
{
    conversions();
    differences();
    truncation();
    write_all();
    return CHECK_DONE();
}
