/* A small JSON reader (jsonread.h): recursive descent over the text, depth-limited. */
#include "report/jsonread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 64

struct parser {
    const char *s, *end, *p;
    char *err;
    size_t errlen;
    int failed;
};

static void fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct parser *ps, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = 1;
    unsigned line = 1, col = 1;
    for (const char *q = ps->s; q < ps->p && q < ps->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (ps->errlen)
        snprintf(ps->err, ps->errlen, "line %u, column %u: %s", line, col, what);
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static struct mp_json *node(struct parser *ps, enum mp_json_type t)
{
    struct mp_json *j = calloc(1, sizeof *j);
    if (!j)
        fail(ps, "out of memory");
    else
        j->type = t;
    return j;
}

static void put_utf8(char *out, size_t *o, unsigned cp)
{
    if (cp < 0x80) {
        out[(*o)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*o)++] = (char)(0xc0 | (cp >> 6));
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        out[(*o)++] = (char)(0xe0 | (cp >> 12));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        out[(*o)++] = (char)(0xf0 | (cp >> 18));
        out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*o)++] = (char)(0x80 | (cp & 0x3f));
    }
}

static int hex4(struct parser *ps, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        if (ps->p >= ps->end) {
            fail(ps, "unfinished \\u escape");
            return -1;
        }
        char c = *ps->p++;
        unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) : 16;
        if (d == 16) {
            fail(ps, "bad hex digit in a \\u escape");
            return -1;
        }
        *v = *v * 16 + d;
    }
    return 0;
}

/* At the opening quote. */
static char *string(struct parser *ps)
{
    ps->p++;
    const char *q = ps->p;
    while (q < ps->end && *q != '"')
        q += *q == '\\' ? 2 : 1;
    if (q >= ps->end) {
        fail(ps, "unterminated string");
        return NULL;
    }
    char *out = malloc((size_t)(q - ps->p) + 1);
    if (!out) {
        fail(ps, "out of memory");
        return NULL;
    }
    size_t o = 0;
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) {
            fail(ps, "control character in a string");
            free(out);
            return NULL;
        }
        if (c != '\\') {
            out[o++] = (char)c;
            ps->p++;
            continue;
        }
        ps->p++;
        char e = *ps->p++;
        unsigned cp, lo;
        switch (e) {
        case '"': out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; break;
        case '/': out[o++] = '/'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u':
            if (hex4(ps, &cp)) {
                free(out);
                return NULL;
            }
            if (cp >= 0xd800 && cp < 0xdc00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
                ps->p[1] == 'u') {
                ps->p += 2;
                if (hex4(ps, &lo)) {
                    free(out);
                    return NULL;
                }
                if (lo >= 0xdc00 && lo < 0xe000)
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                else
                    cp = 0xfffd;
            } else if (cp >= 0xd800 && cp < 0xe000) {
                cp = 0xfffd;
            }
            /* 6 escape characters always hold the (at most 4) bytes of one code point */
            put_utf8(out, &o, cp);
            break;
        default:
            ps->p--;
            fail(ps, "unknown escape \\%c in a string", e);
            free(out);
            return NULL;
        }
    }
    ps->p++;
    out[o] = 0;
    return out;
}

static struct mp_json *value(struct parser *ps, int depth);

static int append(struct parser *ps, struct mp_json *j, char *key, struct mp_json *v)
{
    if ((j->n & (j->n - 1)) == 0) { /* grow at powers of two */
        size_t cap = j->n ? j->n * 2 : 4;
        struct mp_json **ni = realloc(j->items, cap * sizeof *ni);
        if (ni)
            j->items = ni;
        char **nk = j->type == MP_JSON_OBJECT ? realloc(j->keys, cap * sizeof *nk) : NULL;
        if (nk)
            j->keys = nk;
        if (!ni || (j->type == MP_JSON_OBJECT && !nk)) {
            fail(ps, "out of memory");
            free(key);
            mp_json_free(v);
            return -1;
        }
    }
    j->items[j->n] = v;
    if (j->type == MP_JSON_OBJECT)
        j->keys[j->n] = key;
    j->n++;
    return 0;
}

static struct mp_json *container(struct parser *ps, int depth, int object)
{
    char close = object ? '}' : ']';
    struct mp_json *j = node(ps, object ? MP_JSON_OBJECT : MP_JSON_ARRAY);
    if (!j)
        return NULL;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return j;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (object) {
            if (ps->p >= ps->end || *ps->p != '"') {
                fail(ps, "expected a member name in quotes");
                break;
            }
            if (!(key = string(ps)))
                break;
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                fail(ps, "expected ':' after the member name \"%.64s\"", key);
                free(key);
                break;
            }
            ps->p++;
        }
        struct mp_json *v = value(ps, depth + 1);
        if (!v) {
            free(key);
            break;
        }
        if (append(ps, j, key, v))
            break;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return j;
        }
        if (ps->p >= ps->end)
            fail(ps, "unexpected end of the text (expected ',' or '%c')", close);
        else
            fail(ps, "expected ',' or '%c'", close);
        break;
    }
    mp_json_free(j);
    return NULL;
}

static struct mp_json *number(struct parser *ps)
{
    const char *q = ps->p;
    if (q < ps->end && *q == '-')
        q++;
    const char *digits = q;
    while (q < ps->end && *q >= '0' && *q <= '9')
        q++;
    if (q == digits || (*digits == '0' && q - digits > 1)) {
        fail(ps, "bad number");
        return NULL;
    }
    if (q < ps->end && *q == '.') {
        const char *f = ++q;
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
        if (q == f) {
            fail(ps, "bad number (no digits after '.')");
            return NULL;
        }
    }
    if (q < ps->end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < ps->end && (*q == '+' || *q == '-'))
            q++;
        const char *f = q;
        while (q < ps->end && *q >= '0' && *q <= '9')
            q++;
        if (q == f) {
            fail(ps, "bad number (no exponent digits)");
            return NULL;
        }
    }
    struct mp_json *j = node(ps, MP_JSON_NUMBER);
    if (j && !(j->text = strndup(ps->p, (size_t)(q - ps->p)))) {
        fail(ps, "out of memory");
        free(j);
        return NULL;
    }
    ps->p = q;
    return j;
}

static int word(struct parser *ps, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, w, n)) {
        ps->p += n;
        return 1;
    }
    return 0;
}

static struct mp_json *value(struct parser *ps, int depth)
{
    skip_ws(ps);
    if (depth > MAX_DEPTH) {
        fail(ps, "nested more than %d levels deep", MAX_DEPTH);
        return NULL;
    }
    if (ps->p >= ps->end) {
        fail(ps, "unexpected end of the text");
        return NULL;
    }
    struct mp_json *j;
    switch (*ps->p) {
    case '{':
        return container(ps, depth, 1);
    case '[':
        return container(ps, depth, 0);
    case '"':
        if (!(j = node(ps, MP_JSON_STRING)))
            return NULL;
        if (!(j->text = string(ps))) {
            free(j);
            return NULL;
        }
        return j;
    case 't':
    case 'f':
        if (word(ps, "true") || word(ps, "false")) {
            if ((j = node(ps, MP_JSON_BOOL)))
                j->boolean = ps->p[-1] == 'e' && ps->p[-2] == 'u';
            return j;
        }
        break;
    case 'n':
        if (word(ps, "null"))
            return node(ps, MP_JSON_NULL);
        break;
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return number(ps);
    }
    fail(ps, "unexpected character '%c'", *ps->p);
    return NULL;
}

struct mp_json *mp_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    struct parser ps = {text, text + len, text, err, errlen, 0};
    if (errlen)
        err[0] = 0;
    struct mp_json *j = value(&ps, 0);
    if (j) {
        skip_ws(&ps);
        if (ps.p < ps.end) {
            fail(&ps, "text after the end of the JSON value");
            mp_json_free(j);
            j = NULL;
        }
    }
    return j;
}

void mp_json_free(struct mp_json *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->n; i++) {
        mp_json_free(j->items[i]);
        if (j->keys)
            free(j->keys[i]);
    }
    free(j->items);
    free(j->keys);
    free(j->text);
    free(j);
}

struct mp_json *mp_json_parse_file(const char *path, size_t max, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot read it: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "not a regular file");
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size > max) {
        snprintf(err, errlen, "larger than %zu bytes", max);
        close(fd);
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return NULL;
    }
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "cannot read it: %s", strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == cap) { /* the file grew since fstat */
            snprintf(err, errlen, "it changed while being read");
            free(buf);
            close(fd);
            return NULL;
        }
    }
    close(fd);
    struct mp_json *j = NULL;
    if (!len)
        snprintf(err, errlen, "empty file (not a JSON report)");
    else
        j = mp_json_parse(buf, len, err, errlen);
    free(buf);
    return j;
}

const struct mp_json *mp_json_get(const struct mp_json *j, const char *key)
{
    if (!j || j->type != MP_JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < j->n; i++)
        if (!strcmp(j->keys[i], key))
            return j->items[i];
    return NULL;
}

const char *mp_json_str(const struct mp_json *j, const char *key)
{
    const struct mp_json *v = mp_json_get(j, key);
    return v && v->type == MP_JSON_STRING ? v->text : NULL;
}

int mp_json_u64(const struct mp_json *j, uint64_t *v)
{
    if (!j || j->type != MP_JSON_NUMBER || !j->text[0])
        return -1;
    uint64_t x = 0;
    for (const char *p = j->text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned d = (unsigned)(*p - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}
