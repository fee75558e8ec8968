/* valgrind's XML output, protocol 4 (what valgrind writes with --xml=yes; IDEs, Jenkins' valgrind
 * plugin, ValgrindCI and CTest read it): <valgrindoutput> with the preamble, pid, ppid, tool,
 * args, status RUNNING then FINISHED, one <error> per heap-misuse error (<kind> InvalidFree or
 * MismatchedFree, <what>, the stacks with <auxwhat>) and, under leak_check=full, one per loss
 * record of a kind shown (<kind> Leak_DefinitelyLost..., <xwhat> with <text>, <leakedbytes>,
 * <leakedblocks>), each with valgrind's <suppression> element under opt.gen_suppressions, then
 * <errorcounts> (heap errors: count per unique) and <suppcounts>.
 * Frames carry <ip>, <obj>, <fn>, <dir>, <file>, <line> as far as they are known. Records come
 * in valgrind's order (increasing total size), numbered as the text report numbers them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "common/summary.h"

/* XML character data: escapes, and no control characters (not allowed in XML 1.0). Names,
 * paths and arguments are bytes: what is not UTF-8 (or not an XML character) becomes U+FFFD,
 * as in the JSON report, or the whole document would not parse. */
static void put_text(struct mp_out *o, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = s ? strlen(str) : 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t len = 1;
        if (c == '&')
            mp_out_puts(o, "&amp;");
        else if (c == '<')
            mp_out_puts(o, "&lt;");
        else if (c == '>')
            mp_out_puts(o, "&gt;");
        else if (c < 0x20 && c != '\t')
            mp_out_putc(o, '?');
        else if (c < 0x80)
            mp_out_putc(o, (char)c);
        else if ((len = mp_out_xml_char_len(s + i, n - i)) != 0)
            mp_out_write(o, s + i, len);
        else {
            mp_out_puts(o, "\xef\xbf\xbd");  /* U+FFFD */
            len = 1;
        }
        i += len;
    }
}

static void put_elem(struct mp_out *o, const char *indent, const char *tag, const char *text)
{
    mp_out_printf(o, "%s<%s>", indent, tag);
    put_text(o, text);
    mp_out_printf(o, "</%s>\n", tag);
}

static void put_stack(struct mp_report_ctx *ctx, struct mp_out *o, uint32_t stack)
{
    uint32_t n;
    const struct mp_frame *f = mp_report_ctx_stack(ctx, stack, &n);
    mp_out_puts(o, "  <stack>\n");
    for (uint32_t i = 0; i < n; i++) {
        mp_out_puts(o, "    <frame>\n");
        mp_out_printf(o, "      <ip>0x%llX</ip>\n", (unsigned long long)f[i].pc);
        if (f[i].module)
            put_elem(o, "      ", "obj", f[i].module);
        if (f[i].function)
            put_elem(o, "      ", "fn", f[i].function);
        if (f[i].file) {
            const char *base = mp_report_basename(f[i].file);
            if (base != f[i].file) {
                size_t dl = (size_t)(base - f[i].file);
                while (dl > 1 && f[i].file[dl - 1] == '/')
                    dl--;
                char *dir = malloc(dl + 1);
                if (dir) {
                    memcpy(dir, f[i].file, dl);
                    dir[dl] = 0;
                    put_elem(o, "      ", "dir", dir);
                    free(dir);
                }
            }
            put_elem(o, "      ", "file", base);
            if (f[i].line)
                mp_out_printf(o, "      <line>%u</line>\n", f[i].line);
        }
        mp_out_puts(o, "    </frame>\n");
    }
    mp_out_puts(o, "  </stack>\n");
}

static const char *error_kind(unsigned k)
{
    return k == MP_ERR_MISMATCHED_FREE || k == MP_ERR_SIZED_DELETE ? "MismatchedFree"
                                                                     : "InvalidFree";
}

static const char *leak_kind(unsigned k)
{
    static const char *const n[] = {"Leak_DefinitelyLost", "Leak_IndirectlyLost",
                                    "Leak_PossiblyLost", "Leak_StillReachable"};
    return k < MP_LEAK_NKINDS ? n[k] : "Leak_DefinitelyLost";
}

static void put_error(struct mp_report_ctx *ctx, struct mp_out *o, const struct mp_error_record *e,
                      size_t unique)
{
    char buf[256];
    mp_out_printf(o, "<error>\n  <unique>0x%zx</unique>\n  <tid>%u</tid>\n", unique,
                  e->tid ? e->tid : 1);
    mp_out_printf(o, "  <kind>%s</kind>\n", error_kind(e->kind));
    int st = mp_report_error_status(ctx, e);
    if (st) {
        /* --baseline: whether the error is new, in the text readers show */
        snprintf(buf, sizeof buf, "%s [%s]", mp_report_error_title(e->kind),
                 st == 2 ? "known: in the baseline" : "new: not in the baseline");
        put_elem(o, "  ", "what", buf);
    } else {
        put_elem(o, "  ", "what", mp_report_error_title(e->kind));
    }
    put_stack(ctx, o, e->stack);
    if (e->free_stack) {
        snprintf(buf, sizeof buf, "Address 0x%llx is 0 bytes inside a block of size %llu free'd",
                 (unsigned long long)e->address, (unsigned long long)e->size);
        put_elem(o, "  ", "auxwhat", buf);
        put_stack(ctx, o, e->free_stack);
        if (e->alloc_stack) {
            put_elem(o, "  ", "auxwhat", "Block was alloc'd at");
            put_stack(ctx, o, e->alloc_stack);
        }
    } else if (e->alloc_stack && e->size && e->block > e->address) {
        snprintf(buf, sizeof buf, "Address 0x%llx is %llu bytes before a block of size %llu alloc'd",
                 (unsigned long long)e->address, (unsigned long long)(e->block - e->address),
                 (unsigned long long)e->size);
        put_elem(o, "  ", "auxwhat", buf);
        put_stack(ctx, o, e->alloc_stack);
    } else if (e->alloc_stack && e->size && e->block && e->address >= e->block + e->size) {
        snprintf(buf, sizeof buf, "Address 0x%llx is %llu bytes after a block of size %llu alloc'd",
                 (unsigned long long)e->address,
                 (unsigned long long)(e->address - (e->block + e->size)),
                 (unsigned long long)e->size);
        put_elem(o, "  ", "auxwhat", buf);
        put_stack(ctx, o, e->alloc_stack);
    } else if (e->alloc_stack) {
        snprintf(buf, sizeof buf, "Address 0x%llx is %llu bytes inside a block of size %llu alloc'd",
                 (unsigned long long)e->address,
                 (unsigned long long)(e->block && e->address > e->block ? e->address - e->block : 0),
                 (unsigned long long)e->size);
        put_elem(o, "  ", "auxwhat", buf);
        put_stack(ctx, o, e->alloc_stack);
    } else {
        snprintf(buf, sizeof buf, "Address 0x%llx is not stack'd, malloc'd or (recently) free'd",
                 (unsigned long long)e->address);
        put_elem(o, "  ", "auxwhat", buf);
    }
    if (ctx->in->opt.gen_suppressions)
        mp_report_supp_gen_error(ctx, o, e, 1);
    mp_out_puts(o, "</error>\n\n");
}

static void put_leak(struct mp_report_ctx *ctx, struct mp_out *o, const struct mp_loss_record *r,
                     size_t num, size_t total, size_t unique)
{
    char text[256];
    int n;
    if (r->kind == MP_LEAK_DEFINITE && r->indirect_bytes)
        n = snprintf(text, sizeof text, "%llu (%llu direct, %llu indirect) bytes",
                     (unsigned long long)(r->bytes + r->indirect_bytes),
                     (unsigned long long)r->bytes, (unsigned long long)r->indirect_bytes);
    else
        n = snprintf(text, sizeof text, "%llu bytes", (unsigned long long)r->bytes);
    int st = mp_report_record_status(ctx, r);
    snprintf(text + n, sizeof text - (size_t)n, " in %llu blocks are %s in loss record %zu of %zu%s",
             (unsigned long long)r->blocks, mp_report_kind_words(r->kind), num, total,
             st == 1 ? " [new: not in the baseline]" : st == 2 ? " [known: in the baseline]" : "");
    /* valgrind reports leaks from the thread that runs the leak check: the main thread, 1. */
    mp_out_printf(o, "<error>\n  <unique>0x%zx</unique>\n  <tid>1</tid>\n", unique);
    mp_out_printf(o, "  <kind>%s</kind>\n  <xwhat>\n", leak_kind(r->kind));
    put_elem(o, "    ", "text", text);
    mp_out_printf(o, "    <leakedbytes>%llu</leakedbytes>\n    <leakedblocks>%llu</leakedblocks>\n",
                  (unsigned long long)(r->bytes + r->indirect_bytes), (unsigned long long)r->blocks);
    mp_out_puts(o, "  </xwhat>\n");
    put_stack(ctx, o, r->stack);
    if (ctx->in->opt.gen_suppressions)
        mp_report_supp_gen_leak(ctx, o, r, 1);
    mp_out_puts(o, "</error>\n\n");
}

static int by_total(const void *a, const void *b, void *arg)
{
    const struct mp_loss_record *r = arg;
    int c = mp_summary_record_cmp(&r[*(const uint32_t *)a], &r[*(const uint32_t *)b]);
    if (c)
        return c;
    return *(const uint32_t *)a > *(const uint32_t *)b ? -1 : 1;
}

void mp_xml_write(struct mp_report_ctx *ctx, struct mp_out *o)
{
    const struct mp_report_input *in = ctx->in;
    mp_out_puts(o, "<?xml version=\"1.0\"?>\n\n<valgrindoutput>\n\n"
                   "<protocolversion>4</protocolversion>\n<protocoltool>memcheck</protocoltool>\n\n"
                   "<preamble>\n  <line>memplumber, a memory leak detector (valgrind memcheck's "
                   "XML format)</line>\n");
    mp_out_puts(o, "  <line>Command:");
    for (int i = 0; in->argv && i < in->argc && in->argv[i]; i++) {
        mp_out_putc(o, ' ');
        put_text(o, in->argv[i]);
    }
    mp_out_puts(o, "</line>\n</preamble>\n\n");
    mp_out_printf(o, "<pid>%d</pid>\n<ppid>%d</ppid>\n<tool>memcheck</tool>\n\n", in->pid,
                  (int)getppid());
    mp_out_puts(o, "<args>\n  <vargv>\n    <exe>memplumber</exe>\n  </vargv>\n  <argv>\n");
    for (int i = 0; in->argv && i < in->argc && in->argv[i]; i++)
        put_elem(o, "    ", i == 0 ? "exe" : "arg", in->argv[i]);
    mp_out_puts(o, "  </argv>\n</args>\n\n<status>\n  <state>RUNNING</state>\n"
                   "  <time>00:00:00:00.000 </time>\n</status>\n\n");

    size_t nerr = in->errors ? in->nerrors : 0;
    size_t unique = 0;
    for (size_t i = 0; i < nerr; i++)
        if (!mp_report_supp_error_suppressed(ctx, &in->errors[i]))
            put_error(ctx, o, &in->errors[i], i);
    unique = nerr;
    mp_out_puts(o, "\n<status>\n  <state>FINISHED</state>\n  <time>00:00:00:00.000 </time>\n"
                   "</status>\n\n");

    if (in->opt.leak_check >= 2 && ctx->norder) {
        uint32_t *order = malloc(ctx->norder * sizeof *order);
        if (order) {
            memcpy(order, ctx->order, ctx->norder * sizeof *order);
            qsort_r(order, ctx->norder, sizeof *order, by_total, (void *)in->records);
            for (size_t i = 0; i < ctx->norder; i++) {
                const struct mp_loss_record *r = &in->records[order[i]];
                if (r->kind < 32 && (in->opt.show_kinds & (1u << r->kind)))
                    put_leak(ctx, o, r, i + 1, ctx->norder, unique++);
            }
            free(order);
        }
    }

    mp_out_puts(o, "<errorcounts>\n");
    for (size_t i = 0; i < nerr; i++)
        if (!mp_report_supp_error_suppressed(ctx, &in->errors[i]))
            mp_out_printf(o, "  <pair>\n    <count>%llu</count>\n    <unique>0x%zx</unique>\n  </pair>\n",
                      (unsigned long long)in->errors[i].count, i);
    mp_out_puts(o, "</errorcounts>\n\n<suppcounts>\n");
    /* Every suppression used, with how many loss records / error occurrences it hid. */
    const char *name;
    uint64_t count;
    for (size_t i = 0; mp_report_supp_used_at(ctx, i, &name, &count); i++) {
        mp_out_printf(o, "  <pair>\n    <count>%llu</count>\n", (unsigned long long)count);
        put_elem(o, "    ", "name", name);
        mp_out_puts(o, "  </pair>\n");
    }
    mp_out_puts(o, "</suppcounts>\n\n</valgrindoutput>\n\n");
}
