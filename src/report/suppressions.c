/* Suppressions inside libmemplumber-report.so: loads the files of opt.suppressions once per
 * process (common/suppress.c parses them; a file that became unreadable since startup is skipped
 * with a warning), matches every loss record and heap error of a report against them, and gives
 * the writers an adjusted copy of the model: suppressed records flagged, their bytes and blocks
 * moved from their kind's total to summary.suppressed, suppressed errors dropped and uncounted
 * (valgrind's accounting). Also writes valgrind suppressions for --gen-suppressions.
 * valgrind suppressions name C++ functions by their mangled names, which the symbolizer does not
 * keep: they are looked up in the modules' ELF symbol tables (libelf), only when needed.
 * Runs under report.c's lock; uses malloc. */
#include "report/report.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/suppress.h"

struct fn_sym {
    uintptr_t lo, hi;
    char *name;             /* mangled C++ name; NULL for other functions */
};

struct symtab {
    const char *path;       /* owned by the symbolizer */
    struct fn_sym *fn;
    size_t n;
};

struct mp_report_supp {
    struct mp_report_input in;      /* the adjusted model, when something matched */
    struct mp_loss_record *records;
    struct mp_error_record *errors;
    struct mp_supp_set *set;        /* the process-wide set (cache below); NULL none */
    uint64_t matched, used;
    /* The ERROR SUMMARY's "(suppressed: N from M)" as valgrind counts it: suppressed heap-error
     * occurrences and loss records counted as errors (leak_check=full, kind in
     * errors_for_leak_kinds), N, from M contexts (each error record, each loss record). */
    uint64_t supp_errors, supp_contexts;
    struct symtab *tabs;
    size_t ntabs;
    struct mp_supp_frame *fbuf;
    size_t fcap;
};

static void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn(const char *fmt, ...)
{
    char buf[1200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    if (mp_report_err_fd < 0 || write(mp_report_err_fd, buf, len) < 0)
        return;
}

/* ---- the files, loaded once per process ---- */

static struct {
    char *spec;
    struct mp_supp_set set;
} cache;

static struct mp_supp_set *load(const char *spec)
{
    if (!spec || !spec[0])
        return NULL;
    if (cache.spec && !strcmp(cache.spec, spec))
        return cache.set.count ? &cache.set : NULL;
    /* A different list (not expected: options are fixed at startup): the old storage stays. */
    free(cache.spec);
    mp_suppress_init(&cache.set);
    cache.spec = strdup(spec);
    char *list = strdup(spec);
    char *buf = malloc(MP_SUPP_FILE_MAX + 1);
    char err[1024];
    if (!cache.spec || !list || !buf) {
        warn("memplumber: warning: out of memory: suppressions not applied\n");
        free(list);
        free(buf);
        return NULL;
    }
    for (char *save = NULL, *item = strtok_r(list, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        size_t len;
        if (mp_suppress_read_file(item, item, buf, MP_SUPP_FILE_MAX + 1, &len, err, sizeof err)) {
            warn("memplumber: warning: %s; its suppressions are not applied\n", err);
            continue;
        }
        size_t need = mp_suppress_storage_needed(buf, len, item);
        void *storage = malloc(need);
        if (!storage) {
            warn("memplumber: warning: out of memory: suppressions of '%s' not applied\n", item);
            continue;
        }
        if (mp_suppress_parse(buf, len, item, &cache.set, storage, need, err, sizeof err)) {
            warn("memplumber: warning: %s; the suppressions of this file are not applied\n", err);
            free(storage);
        }
        /* storage now belongs to cache.set, for the life of the process */
    }
    free(buf);
    free(list);
    return cache.set.count ? &cache.set : NULL;
}

/* ---- mangled names from ELF symbol tables ---- */

static int cmp_fn(const void *a, const void *b)
{
    const struct fn_sym *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void symtab_load(struct symtab *t)
{
    int fd = open(t->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    size_t cap = 0;
    for (Elf_Scn *scn = NULL; e && (scn = elf_nextscn(e, scn)) != NULL;) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) ||
            !sh.sh_entsize)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        size_t cnt = sh.sh_size / sh.sh_entsize;
        for (size_t i = 0; d && i < cnt; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(d, (int)i, &sym))
                break;
            int type = GELF_ST_TYPE(sym.st_info);
            if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym.st_shndx == SHN_UNDEF ||
                !sym.st_value)
                continue;
            const char *name = elf_strptr(e, sh.sh_link, sym.st_name);
            if (t->n == cap) {
                size_t ncap = cap ? cap * 2 : 256;
                struct fn_sym *n = realloc(t->fn, ncap * sizeof *n);
                if (!n)
                    goto done;
                t->fn = n;
                cap = ncap;
            }
            struct fn_sym *f = &t->fn[t->n++];
            f->lo = sym.st_value;
            f->hi = sym.st_value + (sym.st_size ? sym.st_size : 1);
            f->name = name && name[0] == '_' && name[1] == 'Z' ? strdup(name) : NULL;
        }
    }
done:
    if (e)
        elf_end(e);
    close(fd);
    if (t->n)
        qsort(t->fn, t->n, sizeof *t->fn, cmp_fn);
}

static const char *mangled_name(struct mp_report_supp *rs, const struct mp_frame *f)
{
    if (f->inlined || !f->module)
        return NULL;
    struct symtab *t = NULL;
    for (size_t i = 0; i < rs->ntabs; i++)
        if (rs->tabs[i].path == f->module || !strcmp(rs->tabs[i].path, f->module)) {
            t = &rs->tabs[i];
            break;
        }
    if (!t) {
        struct symtab *n = realloc(rs->tabs, (rs->ntabs + 1) * sizeof *n);
        if (!n)
            return NULL;
        rs->tabs = n;
        t = &rs->tabs[rs->ntabs++];
        memset(t, 0, sizeof *t);
        t->path = f->module;
        symtab_load(t);
    }
    uintptr_t a = f->offset;
    size_t l = 0, r = t->n;
    while (l < r) {
        size_t mid = l + (r - l) / 2;
        if (t->fn[mid].lo <= a)
            l = mid + 1;
        else
            r = mid;
    }
    /* The symbol containing a; among aliases, one with a C++ name. */
    const char *best = NULL;
    int found = 0;
    for (size_t k = l; k > 0 && l - k < 16; k--) {
        const struct fn_sym *s = &t->fn[k - 1];
        if (s->hi <= a)
            continue;
        found = 1;
        if (s->name) {
            best = s->name;
            break;
        }
    }
    if (!found || !best || (f->function && !strcmp(best, f->function)))
        return NULL;
    return best;
}

/* Frames up to main, as valgrind shows stacks: what runs main (__libc_start_call_main, _start)
 * is one frame "(below main)", which suppressions name as fun:(below main). Returns how many
 * frames to keep; *below: 1 if main was found (a "(below main)" frame follows it). */
static uint32_t upto_main(const struct mp_frame *f, uint32_t n, int *below)
{
    *below = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!f[i].inlined && f[i].function && !strcmp(f[i].function, "main")) {
            /* Something always runs main (the frames below it are dropped from stacks unless
             * show_below_main): valgrind names it "(below main)". */
            *below = 1;
            return i + 1;
        }
    return n;
}

/* The object valgrind shows for the "(below main)" frame: what called main, which is glibc's
 * __libc_start_call_main in libc.so.6, so that suppressions ending "fun:main / obj:*libc.so*"
 * (common in hand-written files) match as in valgrind. The frame after main when the stack has
 * it (show_below_main), else the process's libc: the unwinder stops at main. */
static const char *below_main_module(const struct mp_report_input *in, const struct mp_frame *f,
                                     uint32_t nmain, uint32_t total)
{
    if (nmain < total && f[nmain].module)
        return f[nmain].module;
    for (size_t i = 0; in->modules && i < in->nmodules; i++) {
        const char *p = in->modules[i].path, *b;
        if (!p || in->modules[i].unload_gen)
            continue;
        b = strrchr(p, '/');
        if (!strncmp(b ? b + 1 : p, "libc.so", 7))
            return p;
    }
    return NULL;
}

/* The matcher's view of a stack; valid until the next call. */
static const struct mp_supp_frame *frames_of(struct mp_report_ctx *ctx, uint32_t stack,
                                             size_t *n, int want_mangled)
{
    struct mp_report_supp *rs = ctx->supp;
    uint32_t nf;
    int below;
    const struct mp_frame *f = mp_report_ctx_stack(ctx, stack, &nf);
    uint32_t total = nf;
    *n = 0;
    nf = upto_main(f, nf, &below);
    if (!nf)
        return NULL;
    if (nf + 1 > rs->fcap) {
        struct mp_supp_frame *b = realloc(rs->fbuf, (nf + 1) * sizeof *b);
        if (!b)
            return NULL;
        rs->fbuf = b;
        rs->fcap = nf + 1;
    }
    for (uint32_t i = 0; i < nf; i++)
        rs->fbuf[i] = (struct mp_supp_frame){f[i].function,
                                             want_mangled ? mangled_name(rs, &f[i]) : NULL,
                                             f[i].file, f[i].line, f[i].module};
    if (below)
        rs->fbuf[nf++] = (struct mp_supp_frame){"(below main)", NULL, NULL, 0,
                                                below_main_module(ctx->in, f, nf, total)};
    *n = nf;
    return rs->fbuf;
}

/* ---- applying them to a report ---- */

/* A suppressed loss record of this kind counts in the ERROR SUMMARY's suppressed part only when
 * an unsuppressed one would count as an error (as mp_report_leak_errors): valgrind writes
 * "suppressed: 3 from 3" for three definite or possible records, not for indirect or reachable
 * ones under the default errors_for_leak_kinds, nor for any under leak_check=summary. */
static void count_leak(struct mp_report_supp *rs, const struct mp_report_input *in, unsigned kind)
{
    if (in->opt.leak_check < 2 || !in->opt.leak_errors || kind >= 32 ||
        !(in->opt.errors_kinds & (1u << kind)))
        return;
    rs->supp_errors++;
    rs->supp_contexts++;
}

int mp_report_supp_apply(struct mp_report_ctx *ctx)
{
    const struct mp_report_input *in = ctx->in;
    struct mp_report_supp *rs = calloc(1, sizeof *rs);
    if (!rs)
        return -1;
    ctx->supp = rs;
    size_t nrec = in->records ? in->nrecords : 0, nerr = in->errors ? in->nerrors : 0;
    for (size_t i = 0; i < nrec; i++)
        if (in->records[i].suppressed) {  /* suppressed by the model already */
            rs->matched++;
            count_leak(rs, in, in->records[i].kind);
        }
    rs->set = load(in->opt.suppressions);
    if (!rs->set)
        return 0;
    for (struct mp_supp *s = rs->set->head; s; s = s->next)
        s->used = s->bytes = s->blocks = 0;
    rs->records = malloc((nrec ? nrec : 1) * sizeof *rs->records);
    rs->errors = malloc((nerr ? nerr : 1) * sizeof *rs->errors);
    if (!rs->records || !rs->errors)
        return -1;
    struct mp_report_input *adj = &rs->in;
    *adj = *in;
    uint64_t before = rs->matched;
    int mangle = rs->set->any_fun;
    for (size_t i = 0; i < nrec; i++) {
        struct mp_loss_record *r = &rs->records[i];
        *r = in->records[i];
        if (r->suppressed)
            continue;
        size_t n;
        const struct mp_supp_frame *f = frames_of(ctx, r->stack, &n, mangle);
        struct mp_supp *s = mp_suppress_match_leak(rs->set, r->kind, r->allocator, f, n);
        if (!s)
            continue;
        r->suppressed = 1;
        count_leak(rs, in, r->kind);
        s->used++;
        s->bytes += r->bytes;
        s->blocks += r->blocks;
        rs->matched++;
        if (r->kind < MP_LEAK_NKINDS) {
            struct mp_count *c = &adj->lost[r->kind];
            c->bytes -= r->bytes < c->bytes ? r->bytes : c->bytes;
            c->blocks -= r->blocks < c->blocks ? r->blocks : c->blocks;
        }
        adj->suppressed.bytes += r->bytes;
        adj->suppressed.blocks += r->blocks;
    }
    size_t kept = 0;
    for (size_t i = 0; i < nerr; i++) {
        const struct mp_error_record *e = &in->errors[i];
        size_t n;
        const struct mp_supp_frame *f = frames_of(ctx, e->stack, &n, mangle);
        struct mp_supp *s = mp_suppress_match_error(rs->set, e->kind, e->free_kind, f, n);
        if (!s) {
            rs->errors[kept++] = *e;
            continue;
        }
        uint64_t c = e->count ? e->count : 1;
        s->used += c;
        rs->matched += c;
        rs->supp_errors += c;
        rs->supp_contexts++;
        adj->error_count -= c < adj->error_count ? c : adj->error_count;
    }
    adj->records = rs->records;
    adj->errors = rs->errors;
    adj->nerrors = kept;
    for (struct mp_supp *s = rs->set->head; s; s = s->next)
        rs->used += s->used != 0;
    if (rs->matched != before)
        ctx->in = adj;
    return 0;
}

int mp_report_supp_error_suppressed(struct mp_report_ctx *ctx, const struct mp_error_record *e)
{
    struct mp_report_supp *rs = ctx->supp;
    if (!rs || !rs->set)
        return 0;
    size_t n;
    const struct mp_supp_frame *f = frames_of(ctx, e->stack, &n, rs->set->any_fun);
    return mp_suppress_match_error(rs->set, e->kind, e->free_kind, f, n) != NULL;
}

void mp_report_supp_free(struct mp_report_ctx *ctx)
{
    struct mp_report_supp *rs = ctx->supp;
    if (!rs)
        return;
    for (size_t i = 0; i < rs->ntabs; i++) {
        for (size_t k = 0; k < rs->tabs[i].n; k++)
            free(rs->tabs[i].fn[k].name);
        free(rs->tabs[i].fn);
    }
    free(rs->tabs);
    free(rs->fbuf);
    free(rs->records);
    free(rs->errors);
    free(rs);
    ctx->supp = NULL;
}

void mp_report_supp_counts(const struct mp_report_ctx *ctx, uint64_t *matched, uint64_t *used)
{
    *matched = ctx->supp ? ctx->supp->supp_errors : 0;
    *used = ctx->supp ? ctx->supp->supp_contexts : 0;
}

void mp_report_supp_used(struct mp_report_ctx *ctx, struct mp_out *o,
                         void (*line_begin)(struct mp_report_ctx *, struct mp_out *))
{
    struct mp_report_supp *rs = ctx->supp;
    if (!rs || !rs->set)
        return;
    for (const struct mp_supp *s = rs->set->head; s; s = s->next) {
        if (!s->used)
            continue;
        line_begin(ctx, o);
        mp_out_printf(o, "used_suppression: %6llu ", (unsigned long long)s->used);
        for (const char *c = s->name; *c; c++)
            mp_out_putc(o, (unsigned char)*c < 0x20 ? '?' : *c);
        mp_out_printf(o, " %s:%u", s->file, s->line);
        if (s->type == MP_SUPP_LEAK) {
            mp_out_puts(o, " suppressed: ");
            mp_out_commas(o, s->bytes);
            mp_out_puts(o, " bytes in ");
            mp_out_commas(o, s->blocks);
            mp_out_puts(o, " blocks");
        }
        mp_out_putc(o, '\n');
    }
}

int mp_report_supp_used_at(struct mp_report_ctx *ctx, size_t i, const char **name,
                           uint64_t *count)
{
    struct mp_report_supp *rs = ctx->supp;
    if (!rs || !rs->set)
        return 0;
    for (const struct mp_supp *s = rs->set->head; s; s = s->next) {
        if (!s->used)
            continue;
        if (i-- == 0) {
            *name = s->name;
            *count = s->used;
            return 1;
        }
    }
    return 0;
}

/* Is s the same suppression (kind, leak kinds, frame lines) as an earlier one that matched? Then
 * s never gets a chance: the first match wins. Pasted --gen-suppressions output has such copies
 * (one per error context, and contexts may share their frames); they are not stale entries, and
 * valgrind does not mention them either. */
static int copy_of_used(const struct mp_supp_set *set, const struct mp_supp *s)
{
    for (const struct mp_supp *e = set->head; e && e != s; e = e->next) {
        if (!e->used || e->format != s->format || e->type != s->type || e->kinds != s->kinds ||
            e->npats != s->npats)
            continue;
        unsigned i = 0;
        for (; i < s->npats; i++) {
            const struct mp_supp_pat *a = &e->pats[i], *b = &s->pats[i];
            if (a->kind != b->kind || a->line != b->line || !a->glob != !b->glob ||
                (a->glob && strcmp(a->glob, b->glob)))
                break;
        }
        if (i == s->npats)
            return 1;
    }
    return 0;
}

/* Suppressions that matched nothing, at the exit report only (an on-demand report sees part of
 * the run): a warning each, at most 10, then how many more. Into the text report (o), else to
 * memplumber's messages. LeakSanitizer lists the suppressions used, valgrind -v too; an entry
 * that never matches is usually a typo, a renamed function, or a library no longer loaded. */
void mp_report_supp_unused(struct mp_report_ctx *ctx, struct mp_out *o,
                           void (*line_begin)(struct mp_report_ctx *, struct mp_out *))
{
    struct mp_report_supp *rs = ctx->supp;
    const char *reason = ctx->in->reason;
    if (!rs || !rs->set || (reason && strcmp(reason, "exit")))
        return;
    size_t shown = 0, more = 0;
    for (const struct mp_supp *s = rs->set->head; s; s = s->next) {
        if (s->used || s->type == MP_SUPP_OTHER || copy_of_used(rs->set, s))
            continue;
        if (shown == 10) {
            more++;
            continue;
        }
        shown++;
        char name[256];
        size_t k = 0;
        for (const char *c = s->name; *c && k + 1 < sizeof name; c++)
            name[k++] = (unsigned char)*c < 0x20 ? '?' : *c;
        name[k] = 0;
        if (o) {
            line_begin(ctx, o);
            mp_out_printf(o, "memplumber: warning: suppression '%s' (%s:%u) matched nothing\n",
                          name, s->file, s->line);
        } else {
            warn("memplumber: warning: suppression '%s' (%s:%u) matched nothing\n", name, s->file,
                 s->line);
        }
    }
    if (!more)
        return;
    if (o) {
        line_begin(ctx, o);
        mp_out_printf(o, "memplumber: warning: and %zu more suppressions matched nothing\n", more);
    } else {
        warn("memplumber: warning: and %zu more suppressions matched nothing\n", more);
    }
}

/* ---- --gen-suppressions ---- */

/* How a suppression's names are written: as text to paste (control characters as '?'), as XML
 * character data, or inside the XML's <![CDATA[...]]> (which a "]]>" would end early). In XML,
 * each byte that is not part of an XML character (not UTF-8, U+FFFE, U+FFFF) is a '?' too:
 * the document stays well-formed, and '?', valgrind's one-character wildcard, still matches
 * the byte it stands for when the suppression is used. */
enum gen_mode { GEN_TEXT, GEN_XML, GEN_CDATA };

static void gen_name(struct mp_out *o, const char *prefix, const char *str, enum gen_mode m)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), len;
    mp_out_puts(o, prefix);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c < 0x20) {
            mp_out_putc(o, '?');
        } else if (c >= 0x80 && m != GEN_TEXT) {
            len = mp_out_xml_char_len(s + i, n - i);
            if (len) {
                mp_out_write(o, s + i, len);
                i += len - 1;
            } else {
                mp_out_putc(o, '?');
            }
        } else if (m == GEN_XML && c == '&') {
            mp_out_puts(o, "&amp;");
        } else if (m == GEN_XML && c == '<') {
            mp_out_puts(o, "&lt;");
        } else if (m == GEN_XML && c == '>') {
            mp_out_puts(o, "&gt;");
        } else if (m == GEN_CDATA && !strncmp(str + i, "]]>", 3)) {
            mp_out_puts(o, "]]]]><![CDATA[>");  /* split the terminator across two sections */
            i += 2;
        } else {
            mp_out_putc(o, (char)c);
        }
    }
}

/* One frame line of a generated suppression: "fun:NAME", "obj:PATH" or "..." (tag NULL). Text:
 * "   fun:NAME"; XML: "    <sframe> <fun>NAME</fun> </sframe>", as valgrind writes them. */
static void gen_frame(struct mp_out *o, const char *tag, const char *name, enum gen_mode m)
{
    if (m != GEN_XML) {
        if (!tag) {
            mp_out_puts(o, "   ...\n");
            return;
        }
        mp_out_printf(o, "   %s:", tag);
        gen_name(o, "", name, m);
        mp_out_putc(o, '\n');
        return;
    }
    mp_out_printf(o, "    <sframe> <%s>", tag ? tag : "obj");
    gen_name(o, "", tag ? name : "...", m);
    mp_out_printf(o, "</%s> </sframe>\n", tag ? tag : "obj");
}

/* Valgrind's layout. Text (and the XML's rawtext): no ==pid== prefix, so that it can be pasted
 * as it is. XML (--xml=yes with --gen-suppressions): the <suppression> element valgrind puts in
 * each <error>, which IDEs (Qt Creator, CLion, KDevelop) read to offer "suppress this error". */
static void gen(struct mp_report_ctx *ctx, struct mp_out *o, const char *kind_line,
                const char *leak_kind, const char *first, uint32_t stack, enum gen_mode m)
{
    struct mp_report_supp *rs = ctx->supp;
    uint32_t n;
    int below;
    const struct mp_frame *f = mp_report_ctx_stack(ctx, stack, &n);
    n = upto_main(f, n, &below);
    if (m == GEN_XML) {
        mp_out_printf(o, "  <suppression>\n    <sname>insert_a_suppression_name_here</sname>\n"
                         "    <skind>%s</skind>\n", kind_line);
        if (leak_kind)
            mp_out_printf(o, "    <skaux>match-leak-kinds: %s</skaux>\n", leak_kind);
    } else {
        mp_out_printf(o, "{\n   <insert_a_suppression_name_here>\n   %s\n", kind_line);
        if (leak_kind)
            mp_out_printf(o, "   match-leak-kinds: %s\n", leak_kind);
    }
    /* first is "fun:malloc", "fun:_Znwm*", ...: the allocator or free function valgrind shows */
    const char *colon = strchr(first, ':');
    char tag[8] = "fun";
    if (colon && (size_t)(colon - first) < sizeof tag) {
        memcpy(tag, first, (size_t)(colon - first));
        tag[colon - first] = 0;
    }
    gen_frame(o, tag, colon ? colon + 1 : first, m);
    for (uint32_t i = 0; i < n; i++) {
        const char *mg = rs ? mangled_name(rs, &f[i]) : NULL;
        if (mg)
            gen_frame(o, "fun", mg, m);
        else if (f[i].function)
            gen_frame(o, "fun", f[i].function, m);
        else if (f[i].module)
            gen_frame(o, "obj", f[i].module, m);
        else
            gen_frame(o, "obj", "*", m);
    }
    if (below)
        gen_frame(o, "fun", "(below main)", m);
    if (!n)
        gen_frame(o, NULL, NULL, m);
    if (m != GEN_XML) {
        mp_out_puts(o, "}\n");
        return;
    }
    mp_out_puts(o, "    <rawtext>\n<![CDATA[\n");
    gen(ctx, o, kind_line, leak_kind, first, stack, GEN_CDATA);
    mp_out_puts(o, "]]>\n    </rawtext>\n  </suppression>\n");
}

static const char *leak_word(unsigned kind)
{
    static const char *const words[] = {"definite", "indirect", "possible", "reachable"};
    return kind < MP_LEAK_NKINDS ? words[kind] : "all";
}

void mp_report_supp_gen_leak(struct mp_report_ctx *ctx, struct mp_out *o,
                             const struct mp_loss_record *r, int xml)
{
    gen(ctx, o, "Memcheck:Leak", leak_word(r->kind), mp_suppress_alloc_frame(r->allocator),
        r->stack, xml ? GEN_XML : GEN_TEXT);
}

void mp_report_supp_gen_error(struct mp_report_ctx *ctx, struct mp_out *o,
                              const struct mp_error_record *e, int xml)
{
    gen(ctx, o, "Memcheck:Free", NULL, mp_suppress_free_frame(e->kind, e->free_kind), e->stack,
        xml ? GEN_XML : GEN_TEXT);
}
