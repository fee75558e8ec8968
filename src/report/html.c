/* The HTML report: one self-contained page (no network, no external scripts or fonts). The page's
 * style and script live in html_page.css and html_page.js, built into the library by
 * html_page.S (.incbin); this file writes only the page skeleton and the report as JSON inside
 * <script type="application/json">, which the script renders: summary, an icicle graph of bytes by
 * allocation stack (click to zoom, hover for function and file:line), the sortable and filterable
 * loss-record table with full stacks, heap-misuse errors and, when the report has snapshots, the
 * growth timeline with its growth suspects.
 *
 * The data (all strings JSON-escaped with < > & as \u003c..., so nothing can close the script
 * element):
 *   {"pid", "command": [...], "reason", "summary": {<kind>: {"bytes","blocks"}, ..., "errors"},
 *    "show_kinds": [kind names shown by default],
 *    "strings": [...]                           functions, files, modules, by index
 *    "frames": [[pc, function, file, line, module, inlined], ...]   string indices, -1 = unknown
 *    "stacks": [[frame index, ...], ...]        innermost first; stack 0 is the empty stack
 *    "report_seq", "only_new", "new_since_report", "min_age_s"   as in the JSON report
 *    "leaks": [[kind, allocator, bytes, blocks, indirect_bytes, stack, oldest_age_s,
 *               newest_age_s(, bytes_increase, blocks_increase when only_new)], ...]   largest first
 *    "errors": [{"kind", "title", "address", "count", "size", "size_given", "allocator",
 *                "free_kind", "stack", "alloc_stack", "free_stack"}, ...]
 *    "kinds": [...], "allocators": [...]        names for the numbers above
 *    "snapshot_interval_s", "snapshots": [{"t", "live_bytes", "live_blocks"}],
 *    "growth": [{"bytes_per_second", "live_bytes", "live_blocks", "stack": stack index}]
 *                                               only when snapshots were recorded}
 * Depends on report.h, containers.h and the page (html_page.S). */
#include "common/containers.h"
#include "report/report.h"

#include <errno.h>
#include <stdio.h>

/* html_page.S: the page's style sheet and script, NUL-terminated. */
extern const char mp_html_page_css[];
extern const char mp_html_page_js[];

struct html {
    struct mp_report_ctx *ctx;
    struct mp_out *o;
    struct strtab str;
    struct u64map frame;        /* (pc << 6 | position in its inline chain) + 1 -> frame index */
    struct u64map stack;        /* model stack index + 1 -> page stack index */
    uint32_t nframes, nstacks;
    int oom;
};

static long str_index(struct html *h, const char *s)
{
    if (!s)
        return -1;
    int added;
    long i = strtab_index(&h->str, s, &added);
    if (i < 0)
        h->oom = 1;
    return i;
}

/* Pass 1: number the strings, frames and stacks the page needs, in order of first use. */
static void index_stack(struct html *h, uint32_t stack)
{
    uint64_t v;
    if (!stack || map_get(&h->stack, (uint64_t)stack + 1, &v))
        return;
    if (map_put(&h->stack, (uint64_t)stack + 1, ++h->nstacks))
        h->oom = 1;
    uint32_t n;
    const struct mp_frame *f = mp_report_ctx_stack(h->ctx, stack, &n);
    for (uint32_t i = 0, pos = 0; i < n; i++) {
        pos = i && f[i].pc == f[i - 1].pc && f[i - 1].inlined ? pos + 1 : 0;
        uint64_t key = ((uint64_t)f[i].pc << 6 | (pos & 63)) + 1;
        if (map_get(&h->frame, key, &v))
            continue;
        if (map_put(&h->frame, key, h->nframes++))
            h->oom = 1;
        str_index(h, f[i].function);
        str_index(h, f[i].file);
        str_index(h, f[i].module);
    }
}

static void put_strings(struct html *h)
{
    mp_out_puts(h->o, ",\n\"strings\": [");
    for (size_t i = 0; i < h->str.n; i++) {
        if (i)
            mp_out_puts(h->o, i % 8 ? "," : ",\n");
        mp_out_json_str(h->o, h->str.s[i]);
    }
    mp_out_puts(h->o, "]");
}

/* Frames and stacks, in the order pass 1 numbered them (the same walk again). */
static void put_frames_stacks(struct html *h, const uint32_t *stacks, size_t nst)
{
    struct mp_out *o = h->o;
    uint64_t v;
    uint32_t next = 0;
    mp_out_puts(o, ",\n\"frames\": [");
    for (size_t s = 0; s < nst; s++) {
        uint32_t n;
        const struct mp_frame *f = mp_report_ctx_stack(h->ctx, stacks[s], &n);
        for (uint32_t i = 0, pos = 0; i < n; i++) {
            pos = i && f[i].pc == f[i - 1].pc && f[i - 1].inlined ? pos + 1 : 0;
            uint64_t key = ((uint64_t)f[i].pc << 6 | (pos & 63)) + 1;
            if (!map_get(&h->frame, key, &v) || v != next)
                continue;   /* numbered earlier (or lost to an out-of-memory) */
            mp_out_puts(o, next ? ",\n[\"" : "\n[\"");
            next++;
            mp_out_hex(o, f[i].pc);
            mp_out_printf(o, "\",%ld,%ld,%u,%ld,%d]", str_index(h, f[i].function),
                          str_index(h, f[i].file), f[i].line, str_index(h, f[i].module),
                          f[i].inlined ? 1 : 0);
        }
    }
    mp_out_puts(o, "],\n\"stacks\": [[]");
    for (size_t s = 0; s < nst; s++) {
        uint32_t n;
        const struct mp_frame *f = mp_report_ctx_stack(h->ctx, stacks[s], &n);
        mp_out_puts(o, ",\n[");
        for (uint32_t i = 0, pos = 0; i < n; i++) {
            pos = i && f[i].pc == f[i - 1].pc && f[i - 1].inlined ? pos + 1 : 0;
            uint64_t key = ((uint64_t)f[i].pc << 6 | (pos & 63)) + 1;
            v = 0;
            map_get(&h->frame, key, &v);
            mp_out_printf(o, i ? ",%u" : "%u", (unsigned)v);
        }
        mp_out_putc(o, ']');
    }
    mp_out_putc(o, ']');
}

static unsigned page_stack(struct html *h, uint32_t stack)
{
    uint64_t v = 0;
    if (stack)
        map_get(&h->stack, (uint64_t)stack + 1, &v);
    return (unsigned)v;
}

static void put_count(struct mp_out *o, const char *name, const struct mp_count *c)
{
    mp_out_printf(o, "\"%s\": {\"bytes\": %llu, \"blocks\": %llu}, ", name,
                  (unsigned long long)c->bytes, (unsigned long long)c->blocks);
}

static void put_data(struct html *h)
{
    struct mp_report_ctx *ctx = h->ctx;
    const struct mp_report_input *in = ctx->in;
    struct mp_out *o = h->o;
    size_t nerr = in->errors ? in->nerrors : 0;
    size_t ngrowth = in->growth ? in->ngrowth : 0, nsnap = in->snapshots ? in->nsnapshots : 0;

    /* Pass 1, in the order the page lists them: records, errors, growth suspects. */
    uint32_t *stacks = NULL;
    size_t nst = 0, cap = 0;
    for (size_t i = 0; i < ctx->norder + 3 * nerr + ngrowth; i++) {
        uint32_t st;
        if (i < ctx->norder) {
            st = in->records[ctx->order[i]].stack;
        } else if (i < ctx->norder + 3 * nerr) {
            const struct mp_error_record *e = &in->errors[(i - ctx->norder) / 3];
            unsigned k = (unsigned)((i - ctx->norder) % 3);
            st = k == 0 ? e->stack : k == 1 ? e->free_stack : e->alloc_stack;
        } else {
            st = in->growth[i - ctx->norder - 3 * nerr].stack;
        }
        uint32_t before = h->nstacks;
        index_stack(h, st);
        if (h->nstacks != before) {
            if (grow((void **)&stacks, &cap, nst + 1, sizeof *stacks))
                h->oom = 1;
            else
                stacks[nst++] = st;
        }
    }

    o->json_in_html = 1;
    mp_out_printf(o, "{\"pid\": %d, \"command\": [", in->pid);
    for (int i = 0; in->argv && i < in->argc; i++) {
        if (i)
            mp_out_puts(o, ", ");
        mp_out_json_str(o, in->argv[i] ? in->argv[i] : "");
    }
    mp_out_puts(o, "], \"reason\": ");
    mp_out_json_str(o, in->reason && in->reason[0] ? in->reason : "exit");
    mp_out_printf(o, ", \"report_seq\": %u, \"only_new\": %s, \"new_since_report\": %u, "
                     "\"min_age_s\": %llu",
                  (unsigned)in->report_seq, in->only_new ? "true" : "false",
                  (unsigned)in->prev_seq, (unsigned long long)in->min_age_s);
    mp_out_puts(o, ",\n\"summary\": {");
    for (unsigned k = 0; k < MP_LEAK_NKINDS; k++)
        put_count(o, mp_leak_kind_name(k), &in->lost[k]);
    put_count(o, "suppressed", &in->suppressed);
    put_count(o, "total_allocated", &in->total_allocated);
    put_count(o, "total_freed", &in->total_freed);
    mp_out_printf(o, "\"errors\": %llu},\n\"kinds\": [", (unsigned long long)in->error_count);
    for (unsigned k = 0; k < MP_LEAK_NKINDS; k++)
        mp_out_printf(o, "%s\"%s\"", k ? ", " : "", mp_leak_kind_name(k));
    mp_out_puts(o, "],\n\"kind_words\": [");
    for (unsigned k = 0; k < MP_LEAK_NKINDS; k++)
        mp_out_printf(o, "%s\"%s\"", k ? ", " : "", mp_report_kind_words(k));
    mp_out_puts(o, "],\n\"allocators\": [");
    for (unsigned k = 0; k < MP_ALLOC_NKINDS; k++) {
        if (k)
            mp_out_puts(o, ", ");
        mp_out_json_str(o, mp_alloc_kind_name(k));
    }
    mp_out_puts(o, "],\n\"show_kinds\": [");
    for (unsigned k = 0, first = 1; k < MP_LEAK_NKINDS; k++)
        if (in->opt.show_kinds & (1u << k)) {
            mp_out_printf(o, "%s\"%s\"", first ? "" : ", ", mp_leak_kind_name(k));
            first = 0;
        }
    mp_out_putc(o, ']');
    put_strings(h);
    put_frames_stacks(h, stacks, nst);
    free(stacks);

    mp_out_puts(o, ",\n\"leaks\": [");
    for (size_t i = 0; i < ctx->norder; i++) {
        const struct mp_loss_record *r = &in->records[ctx->order[i]];
        mp_out_printf(o, "%s[%u,%u,%llu,%llu,%llu,%u,%llu,%llu", i ? (i % 4 ? "," : ",\n") : "\n",
                      r->kind < MP_LEAK_NKINDS ? r->kind : 0,
                      r->allocator < MP_ALLOC_NKINDS ? r->allocator : 0,
                      (unsigned long long)r->bytes, (unsigned long long)r->blocks,
                      (unsigned long long)(r->kind == MP_LEAK_DEFINITE ? r->indirect_bytes : 0),
                      page_stack(h, r->stack), (unsigned long long)r->oldest_age_s,
                      (unsigned long long)r->newest_age_s);
        if (in->only_new)
            mp_out_printf(o, ",%lld,%lld", (long long)r->bytes_increase,
                          (long long)r->blocks_increase);
        mp_out_putc(o, ']');
    }
    mp_out_puts(o, "],\n\"errors\": [");
    for (size_t i = 0; i < nerr; i++) {
        const struct mp_error_record *e = &in->errors[i];
        mp_out_puts(o, i ? ",\n{\"kind\": " : "\n{\"kind\": ");
        mp_out_json_str(o, mp_error_kind_name(e->kind));
        mp_out_puts(o, ", \"title\": ");
        mp_out_json_str(o, mp_report_error_title(e->kind));
        mp_out_puts(o, ", \"address\": \"");
        mp_out_hex(o, e->address);
        mp_out_printf(o, "\", \"count\": %llu, \"size\": %llu, \"size_given\": %llu, "
                         "\"allocator\": ",
                      (unsigned long long)e->count, (unsigned long long)e->size,
                      (unsigned long long)(e->kind == MP_ERR_SIZED_DELETE ? e->size_given : 0));
        mp_out_json_str(o, e->kind == MP_ERR_MISMATCHED_FREE ? mp_alloc_kind_name(e->allocator)
                                                             : NULL);
        mp_out_puts(o, ", \"free_kind\": ");
        mp_out_json_str(o, e->kind == MP_ERR_MISMATCHED_FREE ? mp_free_kind_name(e->free_kind)
                                                             : NULL);
        mp_out_printf(o, ", \"stack\": %u, \"free_stack\": %u, \"alloc_stack\": %u}",
                      page_stack(h, e->stack), page_stack(h, e->free_stack),
                      page_stack(h, e->alloc_stack));
    }
    mp_out_puts(o, "]");
    /* Snapshots (t: seconds since start-up) and growth suspects, as in the JSON report. */
    if (in->snapshots_on || nsnap || ngrowth) {
        mp_out_printf(o, ",\n\"snapshot_interval_s\": %llu, \"snapshots\": [",
                      (unsigned long long)in->snapshot_interval_s);
        for (size_t i = 0; i < nsnap; i++) {
            const struct mp_snapshot *sn = &in->snapshots[i];
            mp_out_printf(o, "%s{\"t\": %llu.%03llu, \"live_bytes\": %llu, \"live_blocks\": %llu}",
                          i ? (i % 4 ? ", " : ",\n") : "\n", (unsigned long long)(sn->t_ms / 1000),
                          (unsigned long long)(sn->t_ms % 1000), (unsigned long long)sn->live_bytes,
                          (unsigned long long)sn->live_blocks);
        }
        mp_out_puts(o, "],\n\"growth\": [");
        for (size_t i = 0; i < ngrowth; i++) {
            const struct mp_growth *g = &in->growth[i];
            double bps = g->bytes_per_second > 0 ? g->bytes_per_second : 0;
            mp_out_printf(o, "%s{\"bytes_per_second\": %llu.%03u, \"live_bytes\": %llu, "
                             "\"live_blocks\": %llu, \"stack\": %u}",
                          i ? ",\n" : "\n", (unsigned long long)bps,
                          (unsigned)((bps - (double)(unsigned long long)bps) * 999.0),
                          (unsigned long long)g->live_bytes, (unsigned long long)g->live_blocks,
                          page_stack(h, g->stack));
        }
        mp_out_putc(o, ']');
    }
    mp_out_puts(o, "}");
    o->json_in_html = 0;
}

void mp_html_write(struct mp_report_ctx *ctx, struct mp_out *o)
{
    const struct mp_report_input *in = ctx->in;
    const char *prog = in->argv && in->argc > 0 && in->argv[0] ? in->argv[0] : "?";
    struct html h;
    memset(&h, 0, sizeof h);
    h.ctx = ctx;
    h.o = o;
    mp_out_puts(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width\">\n<title>memplumber: ");
    mp_out_html(o, mp_report_basename(prog));
    mp_out_printf(o, " (pid %d)</title>\n<style>\n", in->pid);
    mp_out_puts(o, mp_html_page_css);
    mp_out_puts(o, "</style></head>\n<body>\n<noscript><p>This report is drawn by the script in "
                   "the page: allow JavaScript for this file, or read the same data in the "
                   "JSON report (--json).</p></noscript>\n<div id=\"app\"></div>\n"
                   "<script type=\"application/json\" id=\"mp-data\">");
    put_data(&h);
    mp_out_puts(o, "</script>\n<script>\n");
    mp_out_puts(o, mp_html_page_js);
    mp_out_puts(o, "</script>\n</body></html>\n");
    if (h.oom && !o->err)
        o->err = ENOMEM;
    strtab_free(&h.str);
    map_free(&h.frame);
    map_free(&h.stack);
}
