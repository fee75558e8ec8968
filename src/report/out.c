/* Buffered fd writer and the escaping helpers shared by the report writers (see out.h).
 * write(2) with EINTR retry; nothing here touches stdio streams. libc only. */
#include "report/out.h"
#include "common/fmt.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUT_BUF_SIZE (64 * 1024)

void mp_out_init(struct mp_out *o, int fd)
{
    o->fd = fd;
    o->err = 0;
    o->json_in_html = 0;
    o->lines = 0;
    o->len = 0;
    o->buf = malloc(OUT_BUF_SIZE);
    o->cap = OUT_BUF_SIZE;
    if (!o->buf) {
        o->buf = o->small;
        o->cap = sizeof o->small;
    }
}

static void write_all(struct mp_out *o, const char *p, size_t n)
{
    while (n > 0 && !o->err) {
        ssize_t w = write(o->fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            /* a non-blocking stderr that is full: wait for room (common/fmt.c) */
            if (mp_wait_writable(o->fd))
                continue;
            o->err = errno;
        } else if (w == 0) {
            o->err = EIO;
        } else {
            p += w;
            n -= (size_t)w;
        }
    }
}

/* Write what the buffer holds. A text report (lines set) goes to a stderr or a log file that
 * the processes of a program share (forked children ending together): each write is whole
 * lines, at most PIPE_BUF bytes (what a pipe writes atomically; an O_APPEND file takes each
 * write whole), and a line not finished yet stays in the buffer unless all is set. Written in
 * 64 KiB pieces, two reports were cut into each other mid-line. */
static void flush_some(struct mp_out *o, int all)
{
    size_t end = o->len;
    if (o->lines && !all) {
        while (end > 0 && o->buf[end - 1] != '\n')
            end--;
        if (end == 0)
            end = o->len; /* one line longer than the buffer */
    }
    size_t at = 0;
    while (at < end && !o->err) {
        size_t n = end - at;
        if (o->lines && n > PIPE_BUF) {
            size_t k = PIPE_BUF;
            while (k > 0 && o->buf[at + k - 1] != '\n')
                k--;
            n = k ? k : PIPE_BUF;
        }
        write_all(o, o->buf + at, n);
        at += n;
    }
    memmove(o->buf, o->buf + end, o->len - end);
    o->len -= end;
}

static void flush(struct mp_out *o) { flush_some(o, 1); }

int mp_out_close(struct mp_out *o)
{
    flush(o);
    if (o->buf != o->small)
        free(o->buf);
    o->buf = NULL;
    if (o->err) {
        errno = o->err;
        return -1;
    }
    return 0;
}

void mp_out_write(struct mp_out *o, const void *p, size_t n)
{
    if (o->len + n > o->cap)
        flush_some(o, 0);
    if (o->len + n > o->cap) {
        flush(o);
        if (n > o->cap) {
            write_all(o, p, n);
            return;
        }
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

void mp_out_puts(struct mp_out *o, const char *s)
{
    mp_out_write(o, s, strlen(s));
}

void mp_out_putc(struct mp_out *o, char c)
{
    if (o->len == o->cap)
        flush_some(o, 0);
    if (o->len == o->cap)
        flush(o);
    o->buf[o->len++] = c;
}

void mp_out_printf(struct mp_out *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        mp_out_write(o, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        mp_out_write(o, tmp, sizeof tmp - 1);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    mp_out_write(o, big, (size_t)n);
    free(big);
}

void mp_out_u64(struct mp_out *o, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    mp_out_write(o, tmp + i, sizeof tmp - i);
}

void mp_out_commas(struct mp_out *o, uint64_t v)
{
    char tmp[32];
    size_t i = sizeof tmp;
    int digits = 0;
    do {
        if (digits && digits % 3 == 0)
            tmp[--i] = ',';
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
        digits++;
    } while (v);
    mp_out_write(o, tmp + i, sizeof tmp - i);
}

void mp_out_hex(struct mp_out *o, uint64_t v)
{
    static const char hexd[] = "0123456789abcdef";
    char tmp[20];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = hexd[v & 15];
        v >>= 4;
    } while (v);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    mp_out_write(o, tmp + i, sizeof tmp - i);
}

size_t mp_out_utf8_len(const unsigned char *s, size_t n)
{
    return mp_utf8_len(s, n);
}

size_t mp_out_xml_char_len(const unsigned char *s, size_t n)
{
    size_t len = mp_out_utf8_len(s, n);
    /* U+FFFE and U+FFFF are valid UTF-8 but not XML 1.0 characters: a parser stops there. */
    if (len == 3 && s[0] == 0xef && s[1] == 0xbf && s[2] >= 0xbe)
        return 0;
    return len;
}

void mp_out_json_strn(struct mp_out *o, const char *str, size_t n)
{
    static const char hexd[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0;  /* bytes [run, i) are copied verbatim when the run ends */
    mp_out_putc(o, '"');
    while (i < n) {
        unsigned c = s[i];
        const char *esc = NULL;
        char ubuf[7];
        size_t adv = 1;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c == '\b')
            esc = "\\b";
        else if (c == '\f')
            esc = "\\f";
        else if (c < 0x20 || c == 0x7f ||
                 (o->json_in_html && (c == '<' || c == '>' || c == '&'))) {
            memcpy(ubuf, "\\u00", 4);
            ubuf[4] = hexd[c >> 4];
            ubuf[5] = hexd[c & 15];
            ubuf[6] = 0;
            esc = ubuf;
        } else if (c >= 0x80) {
            adv = mp_out_utf8_len(s + i, n - i);
            if (adv == 0) {
                esc = "\\ufffd";
                adv = 1;
            }
        }
        if (esc) {
            mp_out_write(o, s + run, i - run);
            mp_out_puts(o, esc);
            i += adv;
            run = i;
        } else {
            i += adv;
        }
    }
    mp_out_write(o, s + run, n - run);
    mp_out_putc(o, '"');
}

void mp_out_json_str(struct mp_out *o, const char *s)
{
    if (!s)
        mp_out_puts(o, "null");
    else
        mp_out_json_strn(o, s, strlen(s));
}

void mp_out_html(struct mp_out *o, const char *str)
{
    if (!str)
        return;
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), i = 0, run = 0;
    while (i < n) {
        unsigned c = s[i];
        const char *esc = NULL;
        size_t adv = 1;
        switch (c) {
        case '&': esc = "&amp;"; break;
        case '<': esc = "&lt;"; break;
        case '>': esc = "&gt;"; break;
        case '"': esc = "&quot;"; break;
        case '\'': esc = "&#39;"; break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
                esc = "&#xfffd;";
            } else if (c >= 0x80) {
                adv = mp_out_utf8_len(s + i, n - i);
                if (adv == 0) {
                    esc = "&#xfffd;";
                    adv = 1;
                }
            }
        }
        if (esc) {
            mp_out_write(o, s + run, i - run);
            mp_out_puts(o, esc);
            i += adv;
            run = i;
        } else {
            i += adv;
        }
    }
    mp_out_write(o, s + run, n - run);
}

void mp_out_uri_path(struct mp_out *o, const char *str)
{
    static const char hexd[] = "0123456789ABCDEF";
    for (const unsigned char *s = (const unsigned char *)str; *s; s++) {
        unsigned c = *s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            mp_out_putc(o, (char)c);
        } else {
            char esc[3] = {'%', hexd[c >> 4], hexd[c & 15]};
            mp_out_write(o, esc, 3);
        }
    }
}
