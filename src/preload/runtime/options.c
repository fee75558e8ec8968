/* Option parsing without malloc or stdio (see options.h). Shared by the preload library and
 * the CLI, so that both accept and reject exactly the same spellings. */
#include "preload/runtime/options.h"

#include <string.h>

#include "common/kinds.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

const struct mp_option_desc mp_option_table[] = {
#define MP_OPTION(type, name, def, alias, help) {#name, MP_OT_##type, STRINGIFY(def), alias, help},
#include "preload/runtime/options.inc"
#undef MP_OPTION
};
const unsigned mp_option_count = sizeof(mp_option_table) / sizeof(mp_option_table[0]);

static void set_default_str(char *dst, const char *s)
{
    size_t n = strlen(s);
    if (n >= MP_OPT_STR_MAX)
        n = MP_OPT_STR_MAX - 1;
    memcpy(dst, s, n);
    dst[n] = 0;
}

void mp_options_defaults(struct mp_options *o)
{
    memset(o, 0, sizeof(*o));
#define MP_DEF_STR(name, def) set_default_str(o->name, def);
#define MP_DEF_BOOL(name, def) o->name = (def);
#define MP_DEF_UINT(name, def) o->name = (def);
#define MP_DEF_SIZE(name, def) o->name = (def);
#define MP_DEF_LEAKCHECK(name, def) o->name = (def);
#define MP_DEF_KINDS(name, def) o->name = (def);
#define MP_DEF_HEUR(name, def) o->name = (def);
#define MP_OPTION(type, name, def, alias, help) MP_DEF_##type(name, def)
#include "preload/runtime/options.inc"
#undef MP_OPTION
}

/* ---- small allocation-free helpers ---- */

static size_t cat(char *dst, size_t cap, size_t at, const char *s, size_t n)
{
    if (!cap)
        return at;
    for (size_t i = 0; i < n && s[i] && at + 1 < cap; i++)
        dst[at++] = s[i];
    dst[at < cap ? at : cap - 1] = 0;
    return at;
}

static void errmsg(char *err, size_t errlen, const char *name, size_t namelen, const char *val,
                   size_t vallen, const char *what)
{
    size_t at = 0;
    at = cat(err, errlen, at, "option '", 64);
    at = cat(err, errlen, at, name, namelen);
    at = cat(err, errlen, at, "': '", 8);
    at = cat(err, errlen, at, val, vallen > 200 ? 200 : vallen);
    at = cat(err, errlen, at, "' ", 4);
    at = cat(err, errlen, at, what, strlen(what));
}

static int eq(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++) {
        char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return 0;
    }
    return 1;
}

static int parse_uint(const char *s, size_t n, unsigned long *out)
{
    unsigned long v = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned long d = (unsigned long)(s[i] - '0');
        if (v > (~0UL - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int parse_size(const char *s, size_t n, unsigned long *out)
{
    unsigned long mult = 1;
    if (n > 0) {
        char c = s[n - 1];
        if (c == 'k' || c == 'K')
            mult = 1UL << 10;
        else if (c == 'm' || c == 'M')
            mult = 1UL << 20;
        else if (c == 'g' || c == 'G')
            mult = 1UL << 30;
        if (mult != 1)
            n--;
    }
    unsigned long v;
    if (parse_uint(s, n, &v))
        return -1;
    if (v > ~0UL / mult)
        return -1;
    *out = v * mult;
    return 0;
}

static int parse_bool(const char *s, size_t n, int *out)
{
    static const char *const yes[] = {"1", "yes", "true", "on"};
    static const char *const no[] = {"0", "no", "false", "off"};
    for (unsigned i = 0; i < 4; i++) {
        if (eq(s, n, yes[i])) {
            *out = 1;
            return 0;
        }
        if (eq(s, n, no[i])) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}


/* Ranges of the numeric options that have one. Returns 1 if u is valid. */
static int range_ok(const char *nm, unsigned long u, char *err, size_t errlen, const char *val,
                    size_t vallen)
{
    size_t n = strlen(nm);
    if (!strcmp(nm, "depth") && (u < 1 || u > MP_MAX_DEPTH)) {
        errmsg(err, errlen, nm, n, val, vallen, "is out of range; use 1 to 500");
        return 0;
    }
    if (!strcmp(nm, "error_exitcode") && u > 255) {
        errmsg(err, errlen, nm, n, val, vallen, "is out of range; use 0 to 255");
        return 0;
    }
    if (!strcmp(nm, "report_signal") && u > 64) {
        errmsg(err, errlen, nm, n, val, vallen, "is not a signal number; use 1 to 64 (e.g. 12 for SIGUSR2), or 0 for none");
        return 0;
    }
    if (!strcmp(nm, "report_signal") && (u == 9 || u == 19)) {
        errmsg(err, errlen, nm, n, val, vallen, "cannot be caught (SIGKILL/SIGSTOP); use e.g. 12 for SIGUSR2");
        return 0;
    }
    /* glibc keeps 32 and 33 for thread cancellation and set*id: sigaction refuses them, so
     * the signal would kill the program (32) or do nothing (33) instead of writing a report. */
    if (!strcmp(nm, "report_signal") && (u == 32 || u == 33)) {
        errmsg(err, errlen, nm, n, val, vallen,
               "is kept by glibc for its threads (no handler can be installed); use e.g. 12 for "
               "SIGUSR2, or a real-time signal from 34");
        return 0;
    }
    if (!strcmp(nm, "verbosity") && u > 2) {
        errmsg(err, errlen, nm, n, val, vallen, "is out of range; use 0, 1 or 2");
        return 0;
    }
    return 1;
}

/* Values of text options that can be checked before the program starts. */
static int str_ok(const char *nm, size_t nmlen, const char *val, size_t vallen, char *err,
                  size_t errlen)
{
    if (!strcmp(nm, "symbol_cache") && vallen && !eq(val, vallen, "no") && val[0] != '/') {
        errmsg(err, errlen, nm, nmlen, val, vallen,
               "is not valid; use an absolute directory path, or no to turn the cache off");
        return 0;
    }
    if (!strcmp(nm, "keep_stacktraces") && !eq(val, vallen, "alloc") &&
        !eq(val, vallen, "alloc-and-free") && !eq(val, vallen, "alloc-then-free")) {
        errmsg(err, errlen, nm, nmlen, val, vallen,
               eq(val, vallen, "none") || eq(val, vallen, "free")
                   ? "is not supported: leak reports need allocation stacks; use alloc, alloc-and-free or alloc-then-free"
                   : "is not valid; use alloc, alloc-and-free or alloc-then-free");
        return 0;
    }
    if (!strcmp(nm, "stack_cache") && !eq(val, vallen, "auto") && !eq(val, vallen, "yes") &&
        !eq(val, vallen, "no")) {
        errmsg(err, errlen, nm, nmlen, val, vallen, "is not valid; use auto, yes or no");
        return 0;
    }
    if (!strcmp(nm, "report_mode") && mp_options_octal(val, vallen, NULL)) {
        errmsg(err, errlen, nm, nmlen, val, vallen,
               "is not a file mode; use octal digits from 0 to 0777, e.g. 0600 or 644");
        return 0;
    }
    /* none: the documented way to say "no fill" (mp_options_byte leaves the fill off) */
    if ((!strcmp(nm, "malloc_fill") || !strcmp(nm, "free_fill")) && vallen &&
        !eq(val, vallen, "none") && mp_options_byte(val, vallen, NULL)) {
        errmsg(err, errlen, nm, nmlen, val, vallen,
               "is not a byte; use 0x00 to 0xff (hexadecimal) or 0 to 255");
        return 0;
    }
    return 1;
}

int mp_options_octal(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    if (!n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '7' || v > 0777)
            return -1;
        v = v * 8 + (unsigned)(s[i] - '0');
    }
    if (v > 0777)
        return -1;
    if (out)
        *out = v;
    return 0;
}

int mp_options_byte(const char *s, size_t n, int *out)
{
    unsigned long v = 0;
    if (!n)
        return -1;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (n > 4)
            return -1;
        for (size_t i = 2; i < n; i++) {
            char c = s[i];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
                    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0)
                return -1;
            v = v * 16 + (unsigned long)d;
        }
    } else if (parse_uint(s, n, &v) || v > 255) {
        return -1;
    }
    if (out)
        *out = (int)v;
    return 0;
}

const struct mp_option_desc *mp_options_find(const char *name, size_t namelen, int allow_alias)
{
    for (unsigned i = 0; i < mp_option_count; i++) {
        if (eq(name, namelen, mp_option_table[i].name))
            return &mp_option_table[i];
        if (allow_alias && mp_option_table[i].alias && eq(name, namelen, mp_option_table[i].alias))
            return &mp_option_table[i];
    }
    return NULL;
}

static int set_one(struct mp_options *o, const char *name, size_t namelen, const char *val,
                   size_t vallen, char *err, size_t errlen)
{
    const struct mp_option_desc *d = mp_options_find(name, namelen, 1);
    if (!d) {
        size_t at = 0;
        at = cat(err, errlen, at, "unknown option '", 32);
        at = cat(err, errlen, at, name, namelen > 100 ? 100 : namelen);
        at = cat(err, errlen, at, "'; valid options are:", 32);
        for (unsigned i = 0; i < mp_option_count; i++) {
            at = cat(err, errlen, at, " ", 1);
            at = cat(err, errlen, at, mp_option_table[i].name, 64);
        }
        return -1;
    }
    const char *nm = d->name;
    size_t nmlen = strlen(nm);
    unsigned long u;
    int b;
    unsigned k;
    const char *bad_word;
    size_t bad_len;

#define MP_SET_STR(field)                                                                   \
    if (vallen >= MP_OPT_STR_MAX) {                                                       \
        errmsg(err, errlen, nm, nmlen, val, vallen, "is too long (at most 1023 bytes)");   \
        return -1;                                                                        \
    }                                                                                     \
    if (!str_ok(nm, nmlen, val, vallen, err, errlen))                                     \
        return -1;                                                                        \
    memcpy(o->field, val, vallen);                                                        \
    o->field[vallen] = 0;                                                                 \
    return 0;
#define MP_SET_BOOL(field)                                                                  \
    if (parse_bool(val, vallen, &b)) {                                                     \
        errmsg(err, errlen, nm, nmlen, val, vallen, "is not a boolean; use yes or no (also 1/0, true/false, on/off)"); \
        return -1;                                                                        \
    }                                                                                     \
    o->field = b;                                                                         \
    return 0;
#define MP_SET_UINT(field)                                                                  \
    if (parse_uint(val, vallen, &u)) {                                                     \
        errmsg(err, errlen, nm, nmlen, val, vallen, "is not a non-negative integer");      \
        return -1;                                                                        \
    }                                                                                     \
    if (!check_range(nm, u, err, errlen, val, vallen))                                    \
        return -1;                                                                        \
    o->field = u;                                                                         \
    return 0;
#define MP_SET_SIZE(field)                                                                  \
    if (parse_size(val, vallen, &u)) {                                                     \
        errmsg(err, errlen, nm, nmlen, val, vallen, "is not a size; use bytes with an optional K, M or G suffix"); \
        return -1;                                                                        \
    }                                                                                     \
    o->field = u;                                                                         \
    return 0;
#define MP_SET_LEAKCHECK(field)                                                             \
    if (eq(val, vallen, "full") || eq(val, vallen, "yes"))                                 \
        o->field = 2;                                                                     \
    else if (eq(val, vallen, "summary"))                                                  \
        o->field = 1;                                                                     \
    else if (eq(val, vallen, "no"))                                                       \
        o->field = 0;                                                                     \
    else {                                                                                \
        errmsg(err, errlen, nm, nmlen, val, vallen, "is not valid; use full, summary or no"); \
        return -1;                                                                        \
    }                                                                                     \
    return 0;
#define MP_SET_KINDS(field)                                                                 \
    if (mp_leak_kinds_parse(val, vallen, &k, &bad_word, &bad_len)) {                                                    \
        errmsg(err, errlen, nm, nmlen, val, vallen, "is not valid; use a comma-separated list of definite, indirect, possible, reachable, or all, or none"); \
        return -1;                                                                        \
    }                                                                                     \
    o->field = k;                                                                         \
    return 0;
#define MP_SET_HEUR(field)                                                                  \
    if (mp_heuristics_parse(val, vallen, &k)) {                                            \
        errmsg(err, errlen, nm, nmlen, val, vallen, "is not valid; use a comma-separated list of stdstring, length64, newarray, multipleinheritance, or all, or none"); \
        return -1;                                                                        \
    }                                                                                     \
    o->field = k;                                                                         \
    return 0;

#define MP_OPTION(type, name, def, alias, help)                                             \
    if (d == mp_options_find(#name, sizeof(#name) - 1, 0)) {                               \
        MP_SET_##type(name)                                                                \
    }
    (void)u; (void)b; (void)k; (void)bad_word; (void)bad_len;
#define check_range(nm, u, err, errlen, val, vallen) range_ok(nm, u, err, errlen, val, vallen)
#include "preload/runtime/options.inc"
#undef MP_OPTION
    return -1;
}

int mp_options_set(struct mp_options *o, const char *name, size_t namelen, const char *val,
                   size_t vallen, char *err, size_t errlen)
{
    if (set_one(o, name, namelen, val, vallen, err, errlen))
        return -1; /* a refused value leaves o as it was */
    o->given[mp_options_find(name, namelen, 1) - mp_option_table] = 1;
    return 0;
}

int mp_options_parse(struct mp_options *o, const char *spec, char *err, size_t errlen)
{
    const char *p = spec;
    if (!p)
        return 0;
    while (*p) {
        const char *item = p;
        while (*p && *p != ':')
            p++;
        size_t len = (size_t)(p - item);
        if (*p == ':')
            p++;
        if (len == 0)
            continue;
        size_t eqpos = 0;
        while (eqpos < len && item[eqpos] != '=')
            eqpos++;
        if (eqpos == len && !mp_options_find(item, len, 1)) {
            (void)mp_options_set(o, item, len, "", 0, err, errlen); /* writes "unknown option" */
            return -1;
        }
        if (eqpos == len) {
            size_t at = 0;
            at = cat(err, errlen, at, "option '", 16);
            at = cat(err, errlen, at, item, len > 100 ? 100 : len);
            cat(err, errlen, at, "' has no value; write name=value (items separated by ':')", 80);
            return -1;
        }
        if (mp_options_set(o, item, eqpos, item + eqpos + 1, len - eqpos - 1, err, errlen))
            return -1;
    }
    return 0;
}

int mp_options_expand_path(const char *in, int pid, char *out, size_t outlen)
{
    size_t at = 0;
    char num[16];
    int nl = 0;
    unsigned v = (unsigned)pid;
    do {
        num[nl++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && nl < 15);
    for (const char *s = in; *s; s++) {
        if (s[0] == '%' && s[1] == 'p') {
            for (int i = nl - 1; i >= 0; i--) {
                if (at + 1 >= outlen)
                    return -1;
                out[at++] = num[i];
            }
            s++;
            continue;
        }
        if (at + 1 >= outlen)
            return -1;
        out[at++] = *s;
    }
    if (!outlen)
        return -1;
    out[at] = 0;
    return 0;
}
