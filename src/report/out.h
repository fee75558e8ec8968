/* Buffered output to a file descriptor for the report writers (text, JSON, SARIF, HTML).
 * Uses write(2) only, never the observed program's stdio objects; the first error is sticky and
 * reported by mp_out_close(). Also holds the escaping every writer needs: JSON strings (control
 * characters, quotes, invalid UTF-8 -> U+FFFD), HTML text, URI paths, and valgrind-style numbers
 * with thousands separators. Depends on libc only; allocates one buffer with malloc. */
#ifndef MP_REPORT_OUT_H
#define MP_REPORT_OUT_H

#include <stddef.h>
#include <stdint.h>

struct mp_out {
    int fd;
    int err;            /* first errno seen, 0 = none */
    int json_in_html;   /* JSON strings also escape < > & (\u003c...): JSON inside <script> */
    int lines;          /* text for a stream others share: written in whole lines (see out.c) */
    size_t len, cap;
    char *buf;
    char small[256];    /* used when the buffer cannot be allocated */
};

/* Start writing to fd (not owned: mp_out_close does not close it). */
void mp_out_init(struct mp_out *o, int fd);
/* Flush and release the buffer. Returns 0, or -1 with errno set to the first write error. */
int mp_out_close(struct mp_out *o);

void mp_out_write(struct mp_out *o, const void *p, size_t n);
void mp_out_puts(struct mp_out *o, const char *s);
void mp_out_putc(struct mp_out *o, char c);
void mp_out_printf(struct mp_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mp_out_u64(struct mp_out *o, uint64_t v);
/* 72704 -> "72,704" (valgrind's style for byte and block counts). */
void mp_out_commas(struct mp_out *o, uint64_t v);
/* "0x401136" */
void mp_out_hex(struct mp_out *o, uint64_t v);

/* A JSON string literal with its quotes; NULL writes null. */
void mp_out_json_str(struct mp_out *o, const char *s);
/* Same, for the first n bytes of s (no NUL needed). */
void mp_out_json_strn(struct mp_out *o, const char *s, size_t n);
/* Text escaped for HTML element content and attribute values (& < > " '); invalid UTF-8 and
 * control characters become U+FFFD. NULL writes nothing. */
void mp_out_html(struct mp_out *o, const char *s);
/* A path as URI path characters: unreserved characters and '/' kept, everything else %XX. */
void mp_out_uri_path(struct mp_out *o, const char *s);

/* Length of the valid UTF-8 sequence starting at s (at most n bytes available), 0 if invalid. */
size_t mp_out_utf8_len(const unsigned char *s, size_t n);
/* The same for XML 1.0 character data: also 0 for U+FFFE and U+FFFF, which XML forbids (control
 * characters are the caller's to replace). Names and paths are bytes; a report that copied
 * them as they are was not well-formed XML, and its readers rejected all of it. */
size_t mp_out_xml_char_len(const unsigned char *s, size_t n);

#endif
