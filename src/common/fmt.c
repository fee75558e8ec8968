/* Allocation-free formatter (see fmt.h). */
#include "common/fmt.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

struct out {
    char *buf;
    size_t n, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->n)
        o->buf[o->len] = c;
    o->len++;
}

static void put_str(struct out *o, const char *s)
{
    if (!s)
        s = "(null)";
    while (*s)
        put(o, *s++);
}

static void put_num(struct out *o, unsigned long long v, unsigned base, int neg, int group,
                    int width, char pad)
{
    char tmp[64];
    int k = 0, digits = 0;
    do {
        if (group && digits && digits % 3 == 0)
            tmp[k++] = ',';
        tmp[k++] = "0123456789abcdef"[v % base];
        v /= base;
        digits++;
    } while (v);
    /* The sign goes before zero padding ("-0042") and after space padding ("  -42"). */
    if (neg && pad == '0')
        put(o, '-');
    else if (neg)
        tmp[k++] = '-';
    for (int i = k + (neg && pad == '0'); i < width; i++)
        put(o, pad);
    while (k)
        put(o, tmp[--k]);
}

size_t mp_vfmt(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct out o = {buf, n, 0};
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            put(&o, *f);
            continue;
        }
        f++;
        int group = 0, width = 0, lng = 0, sz = 0;
        char pad = ' ';
        if (*f == '\'') {
            group = 1;
            f++;
        }
        if (*f == '0') {
            pad = '0';
            f++;
        }
        while (*f >= '0' && *f <= '9')
            width = width * 10 + (*f++ - '0');
        while (*f == 'l') {
            lng++;
            f++;
        }
        if (*f == 'z') {
            sz = 1;
            f++;
        }
        switch (*f) {
        case 's':
            put_str(&o, va_arg(ap, const char *));
            break;
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 'd':
        case 'i': {
            long long v = sz ? (long long)va_arg(ap, ptrdiff_t)
                          : lng ? va_arg(ap, long long) : va_arg(ap, int);
            put_num(&o, v < 0 ? -(unsigned long long)v : (unsigned long long)v, 10, v < 0, group,
                    width, pad);
            break;
        }
        case 'u':
        case 'x': {
            unsigned long long v = sz ? va_arg(ap, size_t)
                                   : lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
            put_num(&o, v, *f == 'x' ? 16 : 10, 0, group, width, pad);
            break;
        }
        case 'p':
            put_str(&o, "0x");
            put_num(&o, (uintptr_t)va_arg(ap, void *), 16, 0, 0, 0, ' ');
            break;
        case '%':
            put(&o, '%');
            break;
        default:
            put(&o, '%');
            if (*f)
                put(&o, *f);
            else
                f--;
        }
    }
    if (n)
        buf[o.len < n ? o.len : n - 1] = 0;
    return o.len;
}

size_t mp_fmt(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t r = mp_vfmt(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

/* A stderr the program made O_NONBLOCK (or stdout under 2>&1: the same open file, so our copy
 * of it too), with a slow reader: a write says EAGAIN when the pipe is full. Wait for room, as a
 * blocking write would; giving up there cut the report mid-way. A reader that takes nothing for
 * 3 seconds is given up on for good (every later write of this process gives up at once), so
 * that the program still ends, as it would natively. */
int mp_wait_writable(int fd)
{
    static int gave_up;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
        return 0;
    if (__atomic_load_n(&gave_up, __ATOMIC_RELAXED))
        return 0;
    struct pollfd pf = {.fd = fd, .events = POLLOUT};
    int r = poll(&pf, 1, 3000);
    if (r > 0 || (r < 0 && errno == EINTR))
        return 1;
    __atomic_store_n(&gave_up, 1, __ATOMIC_RELAXED);
    errno = EAGAIN;
    return 0;
}

int mp_write_all(int fd, const char *buf, size_t len)
{
    int saved = errno;
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (mp_wait_writable(fd))
                continue;
            errno = saved;
            return -1;
        }
        buf += w;
        len -= (size_t)w;
    }
    errno = saved;
    return 0;
}

void mp_fdprintf(int fd, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    size_t n = mp_vfmt(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    mp_write_all(fd, buf, n);
}

size_t mp_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;  /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;          /* no overlong forms */
        else if (c == 0xed)
            hi = 0x9f;          /* no UTF-16 surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;          /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}
