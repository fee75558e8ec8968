/* The human-readable report, shaped like valgrind memcheck's so its users feel at home: loss
 * records in increasing size (the biggest ends up next to the summary, as in valgrind), numbered
 * "loss record i of N" over all non-suppressed records; only kinds in opt.show_kinds get a
 * detailed record, the LEAK SUMMARY counts everything. Heap errors (mp_text_write_error) use
 * valgrind's headlines plus our kind name. Every line starts with "==PID== " when
 * opt.text_prefix_pid (an empty line is just "==PID=="). The ERROR SUMMARY ends with valgrind's
 * "(suppressed: N from M)" as valgrind counts it (suppressions.c: mp_report_supp_counts);
 * opt.gen_suppressions follows each record / error with a valgrind suppression (unprefixed,
 * ready to paste) and verbosity 2 lists the suppressions used. Depends on report.h only. */
#include "report/report.h"

#include "common/summary.h"

#include <stdlib.h>
#include <string.h>

static void line_begin(struct mp_report_ctx *ctx, struct mp_out *o)
{
    if (ctx->in->opt.text_prefix_pid)
        mp_out_printf(o, "==%d== ", ctx->in->pid);
}

static void line_empty(struct mp_report_ctx *ctx, struct mp_out *o)
{
    if (ctx->in->opt.text_prefix_pid)
        mp_out_printf(o, "==%d==", ctx->in->pid);
    mp_out_putc(o, '\n');
}

/* Names and paths may hold anything; keep one frame on one line. */
static void put_clean(struct mp_out *o, const char *s)
{
    for (; *s; s++)
        mp_out_putc(o, (unsigned char)*s < 0x20 ? '?' : *s);
}

static void put_frame(struct mp_report_ctx *ctx, struct mp_out *o, const struct mp_frame *f,
                      int first)
{
    line_begin(ctx, o);
    mp_out_puts(o, first ? "   at " : "   by ");
    mp_out_hex(o, f->pc);
    mp_out_puts(o, ": ");
    put_clean(o, f->function ? f->function : "???");
    if (f->file) {
        mp_out_puts(o, " (");
        put_clean(o, mp_report_basename(f->file));
        if (f->line)
            mp_out_printf(o, ":%u", f->line);
        mp_out_putc(o, ')');
    } else if (f->module) {
        mp_out_puts(o, " (in ");
        put_clean(o, f->module);
        if (!f->function)
            mp_out_printf(o, "+0x%lx", (unsigned long)f->offset);
        mp_out_putc(o, ')');
    }
    if (f->inlined)
        mp_out_puts(o, " [inlined]");
    mp_out_putc(o, '\n');
}

static void put_stack(struct mp_report_ctx *ctx, struct mp_out *o, uint32_t stack)
{
    uint32_t n;
    const struct mp_frame *f = mp_report_ctx_stack(ctx, stack, &n);
    if (!n) {
        line_begin(ctx, o);
        mp_out_puts(o, "   (no stack recorded)\n");
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        put_frame(ctx, o, &f[i], i == 0);
}

/* " (+N)" / " (-N)": growth since the previous check, in a report of what is new. */
static void put_increase(struct mp_out *o, int64_t d)
{
    mp_out_puts(o, d < 0 ? " (-" : " (+");
    mp_out_commas(o, d < 0 ? (uint64_t)-d : (uint64_t)d);
    mp_out_putc(o, ')');
}

static void put_record(struct mp_report_ctx *ctx, struct mp_out *o,
                       const struct mp_loss_record *r, size_t num, size_t total)
{
    line_begin(ctx, o);
    if (ctx->in->only_new) {
        /* valgrind's leak_check ... new: "48 (+16) bytes in 3 (+1) blocks" */
        mp_out_commas(o, r->bytes);
        put_increase(o, r->bytes_increase);
        mp_out_puts(o, " bytes in ");
        mp_out_commas(o, r->blocks);
        put_increase(o, r->blocks_increase);
    } else if (r->kind == MP_LEAK_DEFINITE && r->indirect_bytes > 0) {
        mp_out_commas(o, r->bytes + r->indirect_bytes);
        mp_out_puts(o, " (");
        mp_out_commas(o, r->bytes);
        mp_out_puts(o, " direct, ");
        mp_out_commas(o, r->indirect_bytes);
        mp_out_puts(o, " indirect) bytes in ");
    } else {
        mp_out_commas(o, r->bytes);
        mp_out_puts(o, " bytes in ");
    }
    if (!ctx->in->only_new)
        mp_out_commas(o, r->blocks);
    int st = mp_report_record_status(ctx, r);
    mp_out_printf(o, " blocks are %s in loss record %zu of %zu (allocated by %s)%s\n",
                  mp_report_kind_words(r->kind), num, total, mp_alloc_kind_name(r->allocator),
                  st == 1 ? " [new: not in the baseline]" : st == 2 ? " [known: in the baseline]" : "");
    put_stack(ctx, o, r->stack);
    line_empty(ctx, o);
}

/* valgrind's order reversed (the loop below counts down), then the report's own order. */
static int by_total(const void *a, const void *b, void *arg)
{
    const struct mp_loss_record *r = arg;
    int c = mp_summary_record_cmp(&r[*(const uint32_t *)b], &r[*(const uint32_t *)a]);
    if (c)
        return c;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static void out_put(void *sink, const char *s, size_t n)
{
    mp_out_write(sink, s, n);
}

void mp_text_write(struct mp_report_ctx *ctx, struct mp_out *o)
{
    const struct mp_report_input *in = ctx->in;
    const struct mp_report_options *opt = &in->opt;
    struct mp_summary sum;
    mp_summary_from_model(&sum, in);
    mp_summary_head(&sum, out_put, o);
    if (opt->leak_check >= 2) {
        /* valgrind numbers loss records in increasing total size (direct + indirect), ties by
         * kind (mp_summary_record_cmp): a definitely lost record that owns indirect blocks comes
         * after them. */
        uint32_t *order = malloc((ctx->norder ? ctx->norder : 1) * sizeof *order);
        if (order) {
            memcpy(order, ctx->order, ctx->norder * sizeof *order);
            qsort_r(order, ctx->norder, sizeof *order, by_total, (void *)in->records);
        } else {
            order = ctx->order;
        }
        for (size_t i = ctx->norder; i > 0; i--) {
            const struct mp_loss_record *r = &in->records[order[i - 1]];
            if (r->kind < 32 && (opt->show_kinds & (1u << r->kind))) {
                put_record(ctx, o, r, ctx->norder - i + 1, ctx->norder);
                if (opt->gen_suppressions)
                    mp_report_supp_gen_leak(ctx, o, r, 0);
            } else {
                sum.hidden_records++;
                sum.hidden_bytes += r->bytes;
            }
        }
        if (order != ctx->order)
            free(order);
        mp_summary_hidden(&sum, out_put, o);
    }
    mp_summary_counts(&sum, out_put, o);
    if (opt->verbosity >= 2)
        mp_report_supp_used(ctx, o, line_begin);
    mp_report_supp_unused(ctx, o, line_begin);
    mp_report_supp_counts(ctx, &sum.supp_matched, &sum.supp_used);
    uint64_t leak_errors = mp_report_leak_errors(ctx);
    if (ctx->baseline_on) {
        /* Known records and errors do not count for error_exitcode. */
        line_begin(ctx, o);
        mp_out_printf(o, "BASELINE: %zu new loss record%s, %zu known; %zu new error context%s, "
                         "%zu known (baseline ", ctx->new_records, ctx->new_records == 1 ? "" : "s",
                      ctx->known_records, ctx->new_errors, ctx->new_errors == 1 ? "" : "s",
                      ctx->known_errors);
        mp_out_puts(o, in->opt.baseline);
        mp_out_puts(o, ")\n");
    }
    sum.errors = in->error_count + leak_errors;
    sum.error_contexts += (size_t)leak_errors;
    mp_summary_errors(&sum, out_put, o);
}

/* What our kind name adds to valgrind's headline. */
static void put_error_detail(struct mp_out *o, const struct mp_error_record *e)
{
    mp_out_printf(o, " (%s", mp_error_kind_name(e->kind));
    switch (e->kind) {
    case MP_ERR_DOUBLE_FREE:
        mp_out_puts(o, ": the block was already freed");
        break;
    case MP_ERR_INVALID_FREE:
        mp_out_puts(o, ": not the start of a heap block");
        break;
    case MP_ERR_MISMATCHED_FREE:
        mp_out_printf(o, ": allocated by %s, released by %s", mp_alloc_kind_name(e->allocator),
                      mp_free_kind_name(e->free_kind));
        break;
    case MP_ERR_REALLOC_FREED:
        mp_out_puts(o, ": realloc() of a freed block");
        break;
    case MP_ERR_REALLOC_INVALID:
        mp_out_puts(o, ": realloc() of a pointer that is not a heap block");
        break;
    case MP_ERR_SIZED_DELETE:
        if (e->size)
            mp_out_printf(o, ": the block has %llu bytes", (unsigned long long)e->size);
        break;
    case MP_ERR_USABLE_SIZE_INVALID:
        mp_out_puts(o, e->free_stack ? ": a freed block" : ": not a heap block");
        break;
    default:
        break;
    }
    mp_out_putc(o, ')');
    if (e->count > 1)
        mp_out_printf(o, " [%llu times]", (unsigned long long)e->count);
}

void mp_text_write_error(struct mp_report_ctx *ctx, struct mp_out *o,
                         const struct mp_error_record *e)
{
    line_begin(ctx, o);
    mp_out_puts(o, mp_report_error_title(e->kind));
    if (e->kind == MP_ERR_SIZED_DELETE)
        mp_out_printf(o, ": %llu", (unsigned long long)e->size_given);
    put_error_detail(o, e);
    int st = mp_report_error_status(ctx, e);
    mp_out_puts(o, st == 1 ? " [new: not in the baseline]\n"
                   : st == 2 ? " [known: in the baseline]\n" : "\n");
    put_stack(ctx, o, e->stack);

    line_begin(ctx, o);
    mp_out_puts(o, " Address ");
    mp_out_hex(o, e->address);
    if (e->free_stack) {
        if (e->size) {
            mp_out_puts(o, " is 0 bytes inside a block of size ");
            mp_out_commas(o, e->size);
            mp_out_puts(o, " free'd\n");
        } else {
            mp_out_puts(o, " is 0 bytes inside a block free'd\n");
        }
        put_stack(ctx, o, e->free_stack);
        if (e->alloc_stack) {
            line_begin(ctx, o);
            mp_out_puts(o, " Block was alloc'd at\n");
            put_stack(ctx, o, e->alloc_stack);
        }
    } else if (e->alloc_stack || e->size) {
        if (e->size && e->block > e->address) {
            /* just before the block (misuse.c): valgrind's words for its red zone */
            mp_out_puts(o, " is ");
            mp_out_commas(o, e->block - e->address);
            mp_out_puts(o, " bytes before a block of size ");
            mp_out_commas(o, e->size);
            mp_out_puts(o, " alloc'd\n");
        } else if (e->size && e->block && e->address >= e->block + e->size) {
            /* just past the block's end (misuse.c): valgrind's words for its red zone */
            mp_out_puts(o, " is ");
            mp_out_commas(o, e->address - (e->block + e->size));
            mp_out_puts(o, " bytes after a block of size ");
            mp_out_commas(o, e->size);
            mp_out_puts(o, " alloc'd\n");
        } else if (e->size) {
            mp_out_puts(o, " is ");
            mp_out_commas(o, e->block && e->address > e->block ? e->address - e->block : 0);
            mp_out_puts(o, " bytes inside a block of size ");
            mp_out_commas(o, e->size);
            mp_out_puts(o, " alloc'd\n");
        } else {
            mp_out_puts(o, " is 0 bytes inside a block alloc'd\n");
        }
        if (e->alloc_stack)
            put_stack(ctx, o, e->alloc_stack);
    } else {
        mp_out_puts(o, " is not stack'd, malloc'd or (recently) free'd\n");
    }
    line_empty(ctx, o);
    if (ctx->in->opt.gen_suppressions)
        mp_report_supp_gen_error(ctx, o, e, 0);
}
