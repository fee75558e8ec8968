/* Allocation-free formatting and output for tool messages (usable inside hooks and at exit,
 * never touching stdio). Supports %s %c %d %i %u %ld %lu %lld %llu %zu %zd %x %lx %p %%, and
 * a ' flag (thousands separators) for unsigned values. */
#ifndef MP_FMT_H
#define MP_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Like snprintf: returns the length that was needed; always NUL-terminates when n > 0. */
size_t mp_fmt(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
size_t mp_vfmt(char *buf, size_t n, const char *fmt, va_list ap);

/* Write the whole buffer to fd, retrying on EINTR and short writes. 0 or -1. */
int mp_write_all(int fd, const char *buf, size_t len);
/* After a write that failed: 1 when errno is EAGAIN and fd has room again (write again), else 0
 * with errno kept (see fmt.c). */
int mp_wait_writable(int fd);

/* Format and write to fd (at most 4 KiB per call). */
void mp_fdprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Length of the valid UTF-8 sequence starting at s (at most n bytes available, n >= 1), 0 if
 * invalid (overlong forms, surrogates and code points above U+10FFFF are invalid). */
size_t mp_utf8_len(const unsigned char *s, size_t n);

#endif
