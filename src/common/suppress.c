/* Suppression files (see suppress.h): parsing into caller-supplied storage, validation, and
 * matching of symbolized stacks. No malloc, no stdio, no static mutable state: messages are built
 * with the small appender below, files are read with raw system calls.
 * Storage layout: structures are carved from the bottom of the caller's block, strings from its
 * top, so that the frame lines of one valgrind suppression form one contiguous array. */
#include "common/suppress.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/kinds.h"

/* ---- messages ---- */

struct msg {
    char *buf;
    size_t cap, len;
};

static void m_putn(struct msg *m, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (m->len + 1 < m->cap)
            m->buf[m->len] = s[i];
        m->len++;
    }
    if (m->cap)
        m->buf[m->len < m->cap ? m->len : m->cap - 1] = 0;
}

static void m_put(struct msg *m, const char *s)
{
    m_putn(m, s, strlen(s));
}

static void m_uint(struct msg *m, unsigned long long v)
{
    char d[24];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        m_putn(m, &d[--n], 1);
}

/* Text from the file, in quotes, cut at 80 bytes, control characters shown as '?'. */
static void m_quote(struct msg *m, const char *s, size_t n)
{
    m_put(m, "'");
    for (size_t i = 0; i < n && i < 80; i++) {
        char c = (unsigned char)s[i] < 0x20 ? '?' : s[i];
        m_putn(m, &c, 1);
    }
    if (n > 80)
        m_put(m, "...");
    m_put(m, "'");
}

/* "FILE:LINE: " */
static void m_where(struct msg *m, const char *file, unsigned line)
{
    m_put(m, file);
    m_put(m, ":");
    m_uint(m, line);
    m_put(m, ": ");
}

static const char *errno_text(int e)
{
    switch (e) {
    case ENOENT: return "No such file or directory";
    case EACCES: return "Permission denied";
    case EPERM: return "Operation not permitted";
    case EISDIR: return "Is a directory";
    case ENOTDIR: return "Not a directory";
    case ELOOP: return "Too many levels of symbolic links";
    case ENAMETOOLONG: return "File name too long";
    case EMFILE: return "Too many open files";
    case ENFILE: return "Too many open files in system";
    case ENOMEM: return "Cannot allocate memory";
    case EIO: return "Input/output error";
    case ENXIO: return "No such device or address";
    case ENODEV: return "No such device";
    default: return NULL;
    }
}

static void m_errno(struct msg *m, int e)
{
    const char *t = errno_text(e);
    if (t) {
        m_put(m, t);
    } else {
        m_put(m, "error ");
        m_uint(m, (unsigned)e);
    }
}

/* ---- glob ---- */

int mp_suppress_glob(const char *g, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*g == '*') {
            star = g++;
            resume = s;
        } else if (*g && (*g == '?' || *g == *s)) {
            g++;
            s++;
        } else if (star) {
            g = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*g == '*')
        g++;
    return *g == 0;
}

/* ---- LeakSanitizer's templates ---- */

/* A template is a list of pieces separated by '*'; the first piece may be anchored by '^' to the
 * start of s, a '$' ends the template and anchors what comes before it to the end of s. Each
 * piece is found at its leftmost place after the previous one (which leaves the most room for
 * the next); the piece before '$' must be a suffix of what is left. */
int mp_suppress_template(const char *t, const char *s)
{
    if (!s || !*s)
        return 0;
    int at_start = *t == '^', star = 0;
    if (at_start)
        t++;
    for (;;) {
        if (*t == '*') {
            t++;
            star = 1;
            at_start = 0;
            continue;
        }
        if (!*t)
            return 1;
        if (*t == '$')
            return star || !*s;
        size_t n = strcspn(t, "*$"), sl = strlen(s);
        if (t[n] == '$') {
            if (sl < n)
                return 0;
            if (at_start)
                return sl == n && memcmp(s, t, n) == 0;
            return memcmp(s + sl - n, t, n) == 0;
        }
        const char *hit = at_start ? (sl >= n && memcmp(s, t, n) == 0 ? s : NULL)
                                   : memmem(s, sl, t, n);
        if (!hit)
            return 0;
        s = hit + n;
        t += n;
        at_start = star = 0;
    }
}

/* ---- storage ---- */

struct store {
    char *base;
    size_t lo, hi;      /* free space is [lo, hi) */
    int dry;            /* validating only: nothing is stored */
    int full;
    struct mp_supp dummy_supp;
    struct mp_supp_pat dummy_pat;
};

static void *st_struct(struct store *st, size_t size, void *dummy)
{
    if (st->dry || st->full)
        return dummy;
    size_t at = (st->lo + 7) & ~(size_t)7;
    if (at > st->hi || st->hi - at < size) {
        st->full = 1;
        return dummy;
    }
    st->lo = at + size;
    memset(st->base + at, 0, size);
    return st->base + at;
}

static const char *st_str(struct store *st, const char *s, size_t n)
{
    if (st->dry || st->full)
        return "";
    if (st->hi - st->lo < n + 1) {
        st->full = 1;
        return "";
    }
    st->hi -= n + 1;
    memcpy(st->base + st->hi, s, n);
    st->base[st->hi + n] = 0;
    return st->base + st->hi;
}

size_t mp_suppress_storage_needed(const char *text, size_t len, const char *filename)
{
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    /* Per line at most: one suppression, one pattern, two string copies (a memplumber line's
     * name and pattern), alignment. */
    return 2 * len + lines * (sizeof(struct mp_supp) + sizeof(struct mp_supp_pat) + 2 + 16) +
           (filename ? strlen(filename) : 0) + 1 + 64;
}

/* ---- lines ---- */

struct lines {
    const char *p, *end;
    unsigned no;
};

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next line that is neither blank nor a '#' comment, trimmed. 0 at the end. */
static int next_line(struct lines *l, const char **s, size_t *n)
{
    while (l->p < l->end) {
        const char *a = l->p, *e = memchr(a, '\n', (size_t)(l->end - a));
        if (!e)
            e = l->end;
        l->p = e < l->end ? e + 1 : e;
        l->no++;
        while (a < e && is_space(*a))
            a++;
        while (e > a && is_space(e[-1]))
            e--;
        if (a == e || *a == '#')
            continue;
        *s = a;
        *n = (size_t)(e - a);
        return 1;
    }
    return 0;
}

static int eq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static int has_prefix(const char *s, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n >= k && memcmp(s, lit, k) == 0;
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_space((*s)[*n - 1]))
        (*n)--;
}


/* ---- the parser ---- */

struct parser {
    struct lines l;
    const char *file;       /* display name, for messages */
    const char *file_copy;  /* stored copy, for the suppressions */
    struct store st;
    struct mp_supp *head, **tail;
    size_t count;
    int any_fun;
    struct msg m;
};

static struct mp_supp *add_supp(struct parser *p)
{
    struct mp_supp *s = st_struct(&p->st, sizeof *s, &p->st.dummy_supp);
    s->file = p->file_copy;
    s->kinds = 15;
    if (s != &p->st.dummy_supp) {
        *p->tail = s;
        p->tail = &s->next;
    }
    p->count++;
    return s;
}

static int fail_at(struct parser *p, unsigned line, const char *what)
{
    m_where(&p->m, p->file, line);
    m_put(&p->m, what);
    return -1;
}

static const char KINDS_VALID[] = "expected definite, indirect, possible, reachable, all or none";

/* A frame line of a valgrind suppression into pat; -1 with a message. */
static int frame_line(struct parser *p, const char *s, size_t n, struct mp_supp_pat *pat)
{
    if (eq(s, n, "...")) {
        pat->kind = MP_SUPP_ANY;
        return 0;
    }
    const char *colon = memchr(s, ':', n);
    if (!colon) {
        m_where(&p->m, p->file, p->l.no);
        m_put(&p->m, "expected a frame line (fun:NAME, obj:PATH, src:FILE[:LINE] or ...), found ");
        m_quote(&p->m, s, n);
        return -1;
    }
    size_t kn = (size_t)(colon - s);
    if (eq(s, kn, "fun"))
        pat->kind = MP_SUPP_FUN;
    else if (eq(s, kn, "obj"))
        pat->kind = MP_SUPP_OBJ;
    else if (eq(s, kn, "src"))
        pat->kind = MP_SUPP_SRC;
    else {
        m_where(&p->m, p->file, p->l.no);
        m_put(&p->m, "unknown frame kind ");
        m_quote(&p->m, s, kn + 1);
        m_put(&p->m, "; expected fun:, obj:, src: or ...");
        return -1;
    }
    const char *g = colon + 1;
    size_t gn = n - kn - 1;
    trim(&g, &gn);
    if (pat->kind == MP_SUPP_SRC) {
        /* src:FILE:LINE */
        size_t k = gn;
        while (k > 0 && g[k - 1] >= '0' && g[k - 1] <= '9')
            k--;
        if (k < gn && k > 1 && g[k - 1] == ':' && gn - k < 9) {
            unsigned v = 0;
            for (size_t i = k; i < gn; i++)
                v = v * 10 + (unsigned)(g[i] - '0');
            pat->line = v;
            gn = k - 1;
        }
    }
    if (!gn) {
        m_where(&p->m, p->file, p->l.no);
        m_put(&p->m, "empty pattern after ");
        m_quote(&p->m, s, kn + 1);
        m_put(&p->m, "; write a name or a glob (* and ?), e.g. ");
        m_putn(&p->m, s, kn + 1);
        m_put(&p->m, "*");
        return -1;
    }
    pat->glob = st_str(&p->st, g, gn);
    if (pat->kind == MP_SUPP_FUN)
        p->any_fun = 1;
    return 0;
}

static int is_tool_kind(const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    return colon && has_prefix(s, n, "Memcheck") && colon + 1 < s + n &&
           !memchr(s, ' ', n);
}

/* The suppression kinds memcheck knows (valgrind's memcheck/mc_errors.c,
 * MC_(recognised_suppression)): valgrind 3.19's, plus those later versions added (ReallocZero,
 * BadAlign, BadSize, SizeMismatch, AlignMismatch), so that a file written for a newer valgrind
 * still loads. Any other Memcheck kind is a fatal error in valgrind, and here. */
static const char *const MEMCHECK_KINDS[] = {
    "Param",   "User",    "CoreMem", "Addr1",  "Addr2",      "Addr4",       "Addr8",
    "Addr16",  "Addr32",  "Jump",    "Free",   "Leak",       "Overlap",     "Mempool",
    "Cond",    "Value0",  "Value1",  "Value2", "Value4",     "Value8",      "Value16",
    "Value32", "FishyValue", "ReallocZero", "BadAlign", "BadSize", "SizeMismatch",
    "AlignMismatch",
};

/* ASCII only: the library calls this too, before the program's locale exists. */
static int eq_nocase(const char *s, size_t n, const char *lit)
{
    if (strlen(lit) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char a = s[i], b = lit[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (char)(b + 32);
        if (a != b)
            return 0;
    }
    return 1;
}

static int memcheck_kind(const char *k, size_t n)
{
    for (size_t i = 0; i < sizeof MEMCHECK_KINDS / sizeof MEMCHECK_KINDS[0]; i++)
        if (eq(k, n, MEMCHECK_KINDS[i]))
            return 1;
    return 0;
}

static int parse_valgrind(struct parser *p)
{
    enum { OUT, NAME, KIND, BODY, OPAQUE } state = OUT;
    const char *s;
    size_t n;
    unsigned open_line = 0, name_line = 0, npats = 0, nframes = 0;
    int param_line = 0, body_started = 0;
    struct mp_supp *cur = NULL;
    struct mp_supp_pat *first_pat = NULL;
    const char *name = NULL;
    size_t name_n = 0;

    while (next_line(&p->l, &s, &n)) {
        int open = eq(s, n, "{"), close = eq(s, n, "}");
        if (state != OUT && open)
            return fail_at(p, open_line, "'{' without a matching '}'");
        switch (state) {
        case OUT:
            if (open) {
                open_line = p->l.no;
                state = NAME;
                break;
            }
            if (close)
                return fail_at(p, p->l.no, "'}' without a matching '{'");
            m_where(&p->m, p->file, p->l.no);
            m_put(&p->m, "expected '{' to start a suppression, found ");
            m_quote(&p->m, s, n);
            if (has_prefix(s, n, "leak:") || has_prefix(s, n, "error:"))
                m_put(&p->m, "; this file is in valgrind's format (it starts with '{'): put "
                             "memplumber lines (leak:, error:) in a file of their own");
            return -1;
        case NAME:
            if (close)
                return fail_at(p, p->l.no,
                               "empty suppression; write '{', a name, Tool:Kind (e.g. "
                               "Memcheck:Leak), frame lines (fun:, obj:, src:, ...), '}'");
            if (is_tool_kind(s, n)) {
                m_where(&p->m, p->file, p->l.no);
                m_put(&p->m, "the suppression has no name: ");
                m_quote(&p->m, s, n);
                m_put(&p->m, " stands where the name belongs; write a name on the line after '{'");
                return -1;
            }
            name = s;
            name_n = n;
            name_line = p->l.no;
            state = KIND;
            break;
        case KIND: {
            if (close) {
                m_where(&p->m, p->file, p->l.no);
                m_put(&p->m, "suppression ");
                m_quote(&p->m, name, name_n);
                m_put(&p->m, " has no Tool:Kind line; expected e.g. Memcheck:Leak after the name");
                return -1;
            }
            const char *colon = memchr(s, ':', n);
            size_t tn = colon ? (size_t)(colon - s) : 0;
            if (!colon || tn == 0 || colon + 1 == s + n || eq(s, tn, "fun") || eq(s, tn, "obj") ||
                eq(s, tn, "src")) {
                m_where(&p->m, p->file, p->l.no);
                m_put(&p->m, "expected Tool:Kind (e.g. Memcheck:Leak or Memcheck:Free) after "
                             "the name, found ");
                m_quote(&p->m, s, n);
                return -1;
            }
            const char *kind = colon + 1;
            size_t kn = n - tn - 1;
            trim(&kind, &kn);
            /* "Memcheck", or a comma list of tools ("Memcheck,Addrcheck"). */
            int memcheck = 0;
            for (size_t i = 0; i < tn;) {
                size_t j = i;
                while (j < tn && s[j] != ',')
                    j++;
                const char *t = s + i;
                size_t ln = j - i;
                trim(&t, &ln);
                if (eq(t, ln, "Memcheck"))
                    memcheck = 1;
                i = j + 1;
            }
            if (memcheck && !memcheck_kind(kind, kn)) {
                m_where(&p->m, p->file, p->l.no);
                m_put(&p->m, "unknown Memcheck suppression kind ");
                m_quote(&p->m, kind, kn);
                for (size_t i = 0; i < sizeof MEMCHECK_KINDS / sizeof MEMCHECK_KINDS[0]; i++)
                    if (eq_nocase(kind, kn, MEMCHECK_KINDS[i])) {
                        m_put(&p->m, " (did you mean '");
                        m_put(&p->m, MEMCHECK_KINDS[i]);
                        m_put(&p->m, "'?)");
                    }
                m_put(&p->m, "; valgrind stops on it too. Memcheck's kinds are:");
                for (size_t i = 0; i < sizeof MEMCHECK_KINDS / sizeof MEMCHECK_KINDS[0]; i++) {
                    m_put(&p->m, i ? ", " : " ");
                    m_put(&p->m, MEMCHECK_KINDS[i]);
                }
                m_put(&p->m, " (memplumber uses Leak and Free)");
                return -1;
            }
            cur = add_supp(p);
            cur->format = MP_SUPP_VALGRIND;
            cur->name = st_str(&p->st, name, name_n);
            cur->line = name_line;
            cur->type = !memcheck          ? MP_SUPP_OTHER
                        : eq(kind, kn, "Leak") ? MP_SUPP_LEAK
                        : eq(kind, kn, "Free") ? MP_SUPP_ERROR
                                               : MP_SUPP_OTHER;
            /* Param names the system call parameter on the next line, FishyValue the
             * function and argument ("malloc(size)"); neither is a frame. */
            param_line = memcheck && (eq(kind, kn, "Param") || eq(kind, kn, "FishyValue"));
            npats = 0;
            nframes = 0;
            first_pat = NULL;
            body_started = 0;
            state = memcheck ? BODY : OPAQUE;
            break;
        }
        case OPAQUE:
            /* Another tool's suppression (Helgrind:Race ...): its body is that tool's
             * business; keep it, it never matches. */
            if (close)
                state = OUT;
            break;
        case BODY:
            if (close) {
                if (npats == 0) {
                    m_where(&p->m, p->file, p->l.no);
                    m_put(&p->m, "suppression ");
                    m_quote(&p->m, name, name_n);
                    m_put(&p->m, " has no frame lines; give at least one (fun:NAME, obj:PATH, "
                                 "src:FILE or ...)");
                    return -1;
                }
                if (!nframes) {
                    /* Only "...": it would match every stack. valgrind stops on it ("must
                     * contain at least one location line which is not ..."), so a file that
                     * works here must not hide every leak where valgrind refuses it. */
                    m_where(&p->m, p->file, p->l.no);
                    m_put(&p->m, "suppression ");
                    m_quote(&p->m, name, name_n);
                    m_put(&p->m, " has only '...' frame lines, which would match every stack "
                                 "(valgrind refuses it too); give at least one fun:NAME, "
                                 "obj:PATH or src:FILE line (fun:* to match any function)");
                    return -1;
                }
                cur->pats = first_pat;
                cur->npats = npats;
                state = OUT;
                break;
            }
            if (param_line) {
                /* Memcheck:Param names the system call parameter on the next line. */
                param_line = 0;
                body_started = 1;
                break;
            }
            if (has_prefix(s, n, "match-leak-kinds:")) {
                if (cur->type != MP_SUPP_LEAK)
                    return fail_at(p, p->l.no,
                                   "match-leak-kinds: is only valid in Memcheck:Leak suppressions");
                if (body_started)
                    return fail_at(p, p->l.no,
                                   "match-leak-kinds: must come right after the Memcheck:Leak "
                                   "line, before the frame lines");
                const char *v = s + 17, *bad = NULL;
                size_t vn = n - 17, badn = 0;
                trim(&v, &vn);
                unsigned k;
                if (!vn) {
                    m_where(&p->m, p->file, p->l.no);
                    m_put(&p->m, "match-leak-kinds: has no value; ");
                    m_put(&p->m, KINDS_VALID);
                    return -1;
                }
                if (mp_leak_kinds_parse(v, vn, &k, &bad, &badn)) {
                    m_where(&p->m, p->file, p->l.no);
                    m_put(&p->m, "match-leak-kinds: unknown leak kind ");
                    m_quote(&p->m, bad, badn);
                    m_put(&p->m, "; ");
                    m_put(&p->m, KINDS_VALID);
                    return -1;
                }
                cur->kinds = k;
                body_started = 1;
                break;
            }
            body_started = 1;
            {
                struct mp_supp_pat *pat = st_struct(&p->st, sizeof *pat, &p->st.dummy_pat);
                memset(pat, 0, sizeof *pat);
                if (frame_line(p, s, n, pat))
                    return -1;
                if (!first_pat)
                    first_pat = pat;
                npats++;
                nframes += pat->kind != MP_SUPP_ANY;
            }
            break;
        }
    }
    if (state != OUT)
        return fail_at(p, open_line, "'{' without a matching '}'");
    return 0;
}

/* Suppression types of the other sanitizers (AddressSanitizer, ThreadSanitizer, UBSan), which
 * LeakSanitizer does not read either. */
static int is_sanitizer_type(const char *s, size_t n)
{
    static const char *const types[] = {
        "interceptor_name", "interceptor_via_fun", "interceptor_via_lib", "odr_violation",
        "race", "race_top", "mutex", "thread", "signal", "deadlock", "called_from_lib",
        "vptr_check", "alignment", "bool", "bounds", "enum", "float-cast-overflow",
        "function", "implicit-conversion", "nonnull-attribute", "null", "object-size",
        "pointer-overflow", "return", "returns-nonnull-attribute", "shift", "shift-base",
        "shift-exponent", "signed-integer-overflow", "unreachable",
        "unsigned-integer-overflow", "vla-bound", "vptr", NULL};
    for (const char *const *t = types; *t; t++)
        if (eq(s, n, *t))
            return 1;
    return 0;
}

static int parse_native(struct parser *p, unsigned first_line)
{
    const char *s;
    size_t n;
    while (next_line(&p->l, &s, &n)) {
        if (eq(s, n, "{") || eq(s, n, "}")) {
            m_where(&p->m, p->file, p->l.no);
            m_put(&p->m, "valgrind-style ");
            m_quote(&p->m, s, n);
            m_put(&p->m, " in a memplumber-format file (line ");
            m_uint(&p->m, first_line);
            m_put(&p->m, " is a leak:/error: line); put valgrind suppressions in a file of "
                         "their own");
            return -1;
        }
        const char *colon = memchr(s, ':', n);
        if (!colon) {
            m_where(&p->m, p->file, p->l.no);
            m_put(&p->m, "expected leak:PATTERN or error:PATTERN, found ");
            m_quote(&p->m, s, n);
            return -1;
        }
        size_t tn = (size_t)(colon - s);
        unsigned type;
        if (eq(s, tn, "leak"))
            type = MP_SUPP_LEAK;
        else if (eq(s, tn, "error"))
            type = MP_SUPP_ERROR;
        else {
            m_where(&p->m, p->file, p->l.no);
            m_put(&p->m, "unknown suppression type ");
            m_quote(&p->m, s, tn + 1);
            m_put(&p->m, "; expected leak: (LeakSanitizer's) or error:");
            if (is_sanitizer_type(s, tn))
                m_put(&p->m, " (the other sanitizers' types belong in their own files)");
            return -1;
        }
        const char *pat = colon + 1;
        size_t pn = n - tn - 1;
        trim(&pat, &pn);
        unsigned kinds = 15;
        /* An optional last word kinds=LIST (patterns may hold spaces: "operator new*"). */
        size_t w = pn;
        while (w > 0 && !is_space(pat[w - 1]))
            w--;
        if (has_prefix(pat + w, pn - w, "kinds=")) {
            const char *v = pat + w + 6, *bad = NULL;
            size_t vn = pn - w - 6, badn = 0;
            if (type != MP_SUPP_LEAK)
                return fail_at(p, p->l.no, "kinds= only applies to leak: lines");
            if (!vn || mp_leak_kinds_parse(v, vn, &kinds, &bad, &badn)) {
                m_where(&p->m, p->file, p->l.no);
                if (!vn) {
                    m_put(&p->m, "kinds= has no value; ");
                } else {
                    m_put(&p->m, "kinds=: unknown leak kind ");
                    m_quote(&p->m, bad, badn);
                    m_put(&p->m, "; ");
                }
                m_put(&p->m, KINDS_VALID);
                return -1;
            }
            pn = w;
            trim(&pat, &pn);
        }
        if (!pn) {
            m_where(&p->m, p->file, p->l.no);
            m_put(&p->m, "empty pattern after ");
            m_quote(&p->m, s, tn + 1);
            m_put(&p->m, "; write ");
            m_putn(&p->m, s, tn + 1);
            m_put(&p->m, "FUNCTION, ");
            m_putn(&p->m, s, tn + 1);
            m_put(&p->m, "FILE or ");
            m_putn(&p->m, s, tn + 1);
            m_put(&p->m, "MODULE (a part of the name: * any characters, ^ its start, $ its "
                         "end)");
            return -1;
        }
        struct mp_supp *sp = add_supp(p);
        struct mp_supp_pat *pt = st_struct(&p->st, sizeof *pt, &p->st.dummy_pat);
        memset(pt, 0, sizeof *pt);
        pt->kind = MP_SUPP_FUN;
        pt->glob = st_str(&p->st, pat, pn);
        sp->format = MP_SUPP_NATIVE;
        sp->type = type;
        sp->kinds = kinds;
        sp->name = st_str(&p->st, s, n);
        sp->line = p->l.no;
        sp->pats = pt;
        sp->npats = 1;
    }
    return 0;
}

void mp_suppress_init(struct mp_supp_set *set)
{
    memset(set, 0, sizeof *set);
    set->tail = &set->head;
}

int mp_suppress_parse(const char *text, size_t len, const char *filename, struct mp_supp_set *out,
                      void *storage, size_t storage_len, char *err, size_t errlen)
{
    struct parser p;
    memset(&p, 0, sizeof p);
    p.m = (struct msg){err, errlen, 0};
    if (errlen)
        err[0] = 0;
    p.file = filename ? filename : "(suppressions)";
    p.l = (struct lines){text, text + len, 0};
    p.st.base = storage;
    p.st.hi = storage ? storage_len : 0;
    p.st.dry = storage == NULL;
    p.tail = &p.head;
    p.file_copy = st_str(&p.st, p.file, strlen(p.file));

    const char *nul = memchr(text, 0, len);
    if (nul) {
        unsigned line = 1;
        for (const char *c = text; c < nul; c++)
            line += *c == '\n';
        return fail_at(&p, line, "contains a NUL byte; is this a text file?");
    }

    /* The format, from the first line that says something. */
    struct lines probe = p.l;
    const char *s;
    size_t n;
    int rc = 0;
    if (next_line(&probe, &s, &n)) {
        if (eq(s, n, "{")) {
            rc = parse_valgrind(&p);
        } else if (has_prefix(s, n, "leak:") || has_prefix(s, n, "error:")) {
            rc = parse_native(&p, probe.no);
        } else {
            m_where(&p.m, p.file, probe.no);
            m_put(&p.m, "cannot tell the format from ");
            m_quote(&p.m, s, n);
            m_put(&p.m, ": a valgrind suppression starts with '{', a memplumber one with "
                        "leak: or error:");
            rc = -1;
        }
    }
    if (rc)
        return -1;
    if (p.st.full) {
        m_put(&p.m, p.file);
        m_put(&p.m, ": internal error: the storage for its suppressions is too small");
        return -1;
    }
    if (!p.st.dry && out) {
        if (!out->tail)
            out->tail = &out->head;
        if (p.head) {
            *out->tail = p.head;
            out->tail = p.tail;
        }
        out->count += p.count;
        out->any_fun |= p.any_fun;
    }
    return 0;
}

/* ---- files ---- */

int mp_suppress_read_file(const char *path, const char *display, char *buf, size_t cap,
                          size_t *len, char *err, size_t errlen)
{
    struct msg m = {err, errlen, 0};
    if (errlen)
        err[0] = 0;
    *len = 0;
    if (!display)
        display = path;
    /* O_NONBLOCK: opening a FIFO nobody writes to would wait forever; the pipe is refused
     * below anyway. It changes nothing for regular files. */
    long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        m_put(&m, "cannot read the suppression file '");
        m_put(&m, display);
        m_put(&m, "': ");
        m_errno(&m, e);
        return -1;
    }
    struct stat sb;
    if (syscall(SYS_fstat, fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        syscall(SYS_close, fd);
        m_put(&m, "cannot read the suppression file '");
        m_put(&m, display);
        m_put(&m, "': it is a directory");
        return -1;
    }
    if (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)) {
        syscall(SYS_close, fd);
        m_put(&m, "cannot read the suppression file '");
        m_put(&m, display);
        m_put(&m, "': " MP_SUPP_PIPE_WHY);
        return -1;
    }
    size_t got = 0;
    int rc = 0;
    for (;;) {
        char extra;
        char *dst = got + 1 < cap ? buf + got : &extra;
        size_t want = got + 1 < cap ? cap - 1 - got : 1;
        long r = syscall(SYS_read, fd, dst, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            m_put(&m, "cannot read the suppression file '");
            m_put(&m, display);
            m_put(&m, "': ");
            m_errno(&m, e);
            rc = -1;
            break;
        }
        if (r == 0)
            break;
        if (dst == &extra) {
            m_put(&m, "the suppression file '");
            m_put(&m, display);
            m_put(&m, "' is larger than ");
            size_t lim = cap ? cap - 1 : 0;
            if (lim && lim % (1u << 20) == 0) {
                m_uint(&m, lim >> 20);
                m_put(&m, " MiB");
            } else {
                m_uint(&m, lim);
                m_put(&m, " bytes");
            }
            m_put(&m, ", the most memplumber reads; split it into several files "
                      "(suppressions=a.supp,b.supp)");
            rc = -1;
            break;
        }
        got += (size_t)r;
    }
    syscall(SYS_close, fd);
    if (rc)
        return -1;
    if (cap)
        buf[got] = 0;
    *len = got;
    return 0;
}

int mp_suppress_check_file(const char *path, const char *display, char *buf, size_t cap,
                           char *err, size_t errlen)
{
    size_t len;
    if (mp_suppress_read_file(path, display, buf, cap, &len, err, errlen))
        return -1;
    return mp_suppress_parse(buf, len, display ? display : path, NULL, NULL, 0, err, errlen);
}

/* ---- matching ---- */

static const char *basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int fun_match(const char *glob, const struct mp_supp_frame *f)
{
    if (f->mangled && mp_suppress_glob(glob, f->mangled))
        return 1;
    if (!f->function)
        return !f->mangled && mp_suppress_glob(glob, "???");
    return mp_suppress_glob(glob, f->function);
}

static int path_match(const char *glob, const char *path, int allow_base)
{
    if (!path)
        return mp_suppress_glob(glob, "???");
    return mp_suppress_glob(glob, path) || (allow_base && mp_suppress_glob(glob, basename_of(path)));
}

static int frame_match(const struct mp_supp_pat *p, const struct mp_supp_frame *f)
{
    switch (p->kind) {
    case MP_SUPP_FUN:
        return fun_match(p->glob, f);
    case MP_SUPP_OBJ:
        return path_match(p->glob, f->module, 0);
    case MP_SUPP_SRC:
        return path_match(p->glob, f->file, 1) && (!p->line || p->line == f->line);
    default:
        return 1;
    }
}

/* Frame lines against the top of the stack: each line one frame, "..." any number of frames
 * (also none); frames after the last line do not matter (valgrind's rule). */
static int frames_match(const struct mp_supp_pat *pats, unsigned np, const struct mp_supp_frame *f,
                        size_t nf)
{
    unsigned pi = 0, star = ~0u;
    size_t fi = 0, resume = 0;
    while (pi < np) {
        if (pats[pi].kind == MP_SUPP_ANY) {
            star = pi++;
            resume = fi;
        } else if (fi < nf && frame_match(&pats[pi], &f[fi])) {
            pi++;
            fi++;
        } else if (star != ~0u && resume < nf) {
            pi = star + 1;
            fi = ++resume;
        } else {
            return 0;
        }
    }
    return 1;
}

/* Does the first frame line name one of the functions valgrind would show as frame 0? */
static int names_allocator(const struct mp_supp_pat *p, const char *const *names)
{
    if (p->kind == MP_SUPP_OBJ) {
        /* valgrind's own replacement library, where its allocator frame is: named, or matched
         * by a wider glob (obj:* or obj:/usr/...) at one of the places distributions install it. */
        static const char *const vgpreload[] = {
            "/usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so",
            "/usr/lib/x86_64-linux-gnu/valgrind/vgpreload_memcheck-amd64-linux.so",
            "/usr/lib/valgrind/vgpreload_memcheck-amd64-linux.so",
            "/usr/lib64/valgrind/vgpreload_memcheck-amd64-linux.so",
            "/usr/local/libexec/valgrind/vgpreload_memcheck-amd64-linux.so",
            "/usr/local/lib/valgrind/vgpreload_memcheck-amd64-linux.so", NULL};
        if (strstr(p->glob, "vgpreload"))
            return 1;
        for (const char *const *v = vgpreload; *v; v++)
            if (mp_suppress_glob(p->glob, *v))
                return 1;
        return 0;
    }
    if (p->kind != MP_SUPP_FUN)
        return 0;
    for (; *names; names++)
        if (mp_suppress_glob(p->glob, *names))
            return 1;
    return 0;
}

/* A memplumber/LeakSanitizer line (leak:TEMPLATE, error:TEMPLATE), as LeakSanitizer matches it:
 * for each frame from the innermost, the module's path, then the function's (demangled) name,
 * then the source file's path, each against the template. The allocator's own frame, which
 * LeakSanitizer's stacks start with, is its function name (names). Not the frames below main
 * (see docs/MANUAL.md: "leak:libc.so" would otherwise match every stack). */
static int native_match(const char *t, const char *const *names, const struct mp_supp_frame *f,
                        size_t nf)
{
    for (; *names; names++)
        if (((*names)[0] != '_' || (*names)[1] != 'Z') && mp_suppress_template(t, *names))
            return 1;
    for (size_t i = 0; i < nf; i++) {
        if (f[i].function && !f[i].file && !strcmp(f[i].function, "(below main)"))
            continue;
        if (mp_suppress_template(t, f[i].module) || mp_suppress_template(t, f[i].function) ||
            mp_suppress_template(t, f[i].file))
            return 1;
    }
    return 0;
}

static int supp_match(const struct mp_supp *s, const char *const *names,
                      const struct mp_supp_frame *f, size_t nf)
{
    if (s->format == MP_SUPP_NATIVE)
        return native_match(s->pats[0].glob, names, f, nf);
    if (!s->npats)
        return 0;
    /* valgrind's stacks start at the allocator (fun:malloc), ours at its caller: a first line
     * naming the allocator stands for the frame we do not have. If the rest does not match,
     * the line may still be meant for the caller (fun:*). */
    if (names_allocator(&s->pats[0], names) && frames_match(s->pats + 1, s->npats - 1, f, nf))
        return 1;
    return frames_match(s->pats, s->npats, f, nf);
}

static const char *const N_MALLOC[] = {"malloc", NULL};
static const char *const N_CALLOC[] = {"calloc", NULL};
static const char *const N_REALLOC[] = {"realloc", "reallocarray", NULL};
static const char *const N_MEMALIGN[] = {"memalign", "posix_memalign", "aligned_alloc", "valloc",
                                         "pvalloc", NULL};
static const char *const N_NEW[] = {
    "_Znwm", "_ZnwmRKSt9nothrow_t", "operator new(unsigned long)",
    "operator new(unsigned long, std::nothrow_t const&)", NULL};
static const char *const N_NEW_ARRAY[] = {
    "_Znam", "_ZnamRKSt9nothrow_t", "operator new[](unsigned long)",
    "operator new[](unsigned long, std::nothrow_t const&)", NULL};
static const char *const N_NEW_ALIGNED[] = {
    "_ZnwmSt11align_val_t", "_ZnwmSt11align_val_tRKSt9nothrow_t",
    "operator new(unsigned long, std::align_val_t)",
    "operator new(unsigned long, std::align_val_t, std::nothrow_t const&)", NULL};
static const char *const N_NEW_ARRAY_ALIGNED[] = {
    "_ZnamSt11align_val_t", "_ZnamSt11align_val_tRKSt9nothrow_t",
    "operator new[](unsigned long, std::align_val_t)",
    "operator new[](unsigned long, std::align_val_t, std::nothrow_t const&)", NULL};
static const char *const N_FREE[] = {"free", "cfree", NULL};
static const char *const N_USABLE[] = {"malloc_usable_size", NULL};
static const char *const N_DELETE[] = {
    "_ZdlPv", "_ZdlPvm", "_ZdlPvRKSt9nothrow_t", "operator delete(void*)",
    "operator delete(void*, unsigned long)", "operator delete(void*, std::nothrow_t const&)", NULL};
static const char *const N_DELETE_ARRAY[] = {
    "_ZdaPv", "_ZdaPvm", "_ZdaPvRKSt9nothrow_t", "operator delete[](void*)",
    "operator delete[](void*, unsigned long)", "operator delete[](void*, std::nothrow_t const&)",
    NULL};
static const char *const N_DELETE_ALIGNED[] = {
    "_ZdlPvSt11align_val_t", "_ZdlPvmSt11align_val_t", "_ZdlPvSt11align_val_tRKSt9nothrow_t",
    "operator delete(void*, std::align_val_t)",
    "operator delete(void*, unsigned long, std::align_val_t)",
    "operator delete(void*, std::align_val_t, std::nothrow_t const&)", NULL};
static const char *const N_DELETE_ARRAY_ALIGNED[] = {
    "_ZdaPvSt11align_val_t", "_ZdaPvmSt11align_val_t", "_ZdaPvSt11align_val_tRKSt9nothrow_t",
    "operator delete[](void*, std::align_val_t)",
    "operator delete[](void*, unsigned long, std::align_val_t)",
    "operator delete[](void*, std::align_val_t, std::nothrow_t const&)", NULL};
static const char *const N_NONE[] = {NULL};

static const char *const *alloc_names(unsigned alloc_kind)
{
    switch (alloc_kind) {
    case MP_ALLOC_MALLOC: return N_MALLOC;
    case MP_ALLOC_CALLOC: return N_CALLOC;
    case MP_ALLOC_REALLOC: return N_REALLOC;
    case MP_ALLOC_MEMALIGN: return N_MEMALIGN;
    case MP_ALLOC_NEW: return N_NEW;
    case MP_ALLOC_NEW_ARRAY: return N_NEW_ARRAY;
    case MP_ALLOC_NEW_ALIGNED: return N_NEW_ALIGNED;
    case MP_ALLOC_NEW_ARRAY_ALIGNED: return N_NEW_ARRAY_ALIGNED;
    default: return N_NONE;
    }
}

static const char *const *free_names(unsigned err_kind, unsigned free_kind)
{
    if (err_kind == MP_ERR_REALLOC_FREED || err_kind == MP_ERR_REALLOC_INVALID)
        return N_REALLOC;
    if (err_kind == MP_ERR_USABLE_SIZE_INVALID)
        return N_USABLE;
    switch (free_kind) {
    case MP_FREE_FREE: return N_FREE;
    case MP_FREE_DELETE: return N_DELETE;
    case MP_FREE_DELETE_ARRAY: return N_DELETE_ARRAY;
    case MP_FREE_DELETE_ALIGNED: return N_DELETE_ALIGNED;
    case MP_FREE_DELETE_ARRAY_ALIGNED: return N_DELETE_ARRAY_ALIGNED;
    case MP_FREE_REALLOC: return N_REALLOC;
    default: return N_NONE;
    }
}

struct mp_supp *mp_suppress_match_leak(const struct mp_supp_set *set, unsigned leak_kind,
                                       unsigned alloc_kind, const struct mp_supp_frame *frames,
                                       size_t n)
{
    if (!set || leak_kind >= MP_LEAK_NKINDS)
        return NULL;
    const char *const *names = alloc_names(alloc_kind);
    for (struct mp_supp *s = set->head; s; s = s->next)
        if (s->type == MP_SUPP_LEAK && (s->kinds & (1u << leak_kind)) &&
            supp_match(s, names, frames, n))
            return s;
    return NULL;
}

struct mp_supp *mp_suppress_match_error(const struct mp_supp_set *set, unsigned err_kind,
                                        unsigned free_kind, const struct mp_supp_frame *frames,
                                        size_t n)
{
    if (!set)
        return NULL;
    const char *const *names = free_names(err_kind, free_kind);
    for (struct mp_supp *s = set->head; s; s = s->next)
        if (s->type == MP_SUPP_ERROR && supp_match(s, names, frames, n))
            return s;
    return NULL;
}

/* Globs where the exact function is not known: the family (nothrow or not, sized or not).
 * The memalign family has no common spelling; valgrind's frame 0 is always the allocator. */
const char *mp_suppress_alloc_frame(unsigned alloc_kind)
{
    switch (alloc_kind) {
    case MP_ALLOC_MALLOC: return "fun:malloc";
    case MP_ALLOC_CALLOC: return "fun:calloc";
    case MP_ALLOC_REALLOC: return "fun:realloc*";
    case MP_ALLOC_NEW: return "fun:_Znwm*";
    case MP_ALLOC_NEW_ARRAY: return "fun:_Znam*";
    case MP_ALLOC_NEW_ALIGNED: return "fun:_ZnwmSt11align_val_t*";
    case MP_ALLOC_NEW_ARRAY_ALIGNED: return "fun:_ZnamSt11align_val_t*";
    default: return "fun:*";
    }
}

const char *mp_suppress_free_frame(unsigned err_kind, unsigned free_kind)
{
    if (err_kind == MP_ERR_REALLOC_FREED || err_kind == MP_ERR_REALLOC_INVALID)
        return "fun:realloc*";
    if (err_kind == MP_ERR_USABLE_SIZE_INVALID)
        return "fun:malloc_usable_size";
    switch (free_kind) {
    case MP_FREE_FREE: return "fun:free";
    case MP_FREE_DELETE:
    case MP_FREE_DELETE_ALIGNED: return "fun:_ZdlPv*";
    case MP_FREE_DELETE_ARRAY:
    case MP_FREE_DELETE_ARRAY_ALIGNED: return "fun:_ZdaPv*";
    case MP_FREE_REALLOC: return "fun:realloc*";
    default: return "fun:*";
    }
}
