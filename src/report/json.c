/* The JSON report, format v1: exactly the shape of docs/REPORT-FORMAT.md, which other
 * tools parse. Every non-suppressed loss record of every kind is listed, largest bytes first (then
 * blocks, then kind). Frames: "pc" is the return address - 1 in hex (what addr2line needs);
 * unknown function, file or module are null, and an unknown line (0) is written as null too, so
 * that every frame always has the same six keys. Errors omit unknown (0) stacks and write "size"
 * only when the block size is known. Depends on report.h only. */
#include "report/report.h"

#include "common/leakkey.h"

static void put_count(struct mp_out *o, const char *name, const struct mp_count *c, int last)
{
    mp_out_printf(o, "    \"%s\": {\"bytes\": %llu, \"blocks\": %llu}%s\n", name,
                  (unsigned long long)c->bytes, (unsigned long long)c->blocks, last ? "" : ",");
}

/* "key": the matching key (common/leakkey.h); "baseline": "new" or "known" with --baseline. */
static void put_key_status(struct mp_out *o, uint64_t key, int status)
{
    char hex[17];
    mp_leak_key_hex(key, hex);
    mp_out_printf(o, ", \"key\": \"%s\"", hex);
    if (status)
        mp_out_printf(o, ", \"baseline\": \"%s\"", status == 2 ? "known" : "new");
}

static void put_stack(struct mp_report_ctx *ctx, struct mp_out *o, uint32_t stack)
{
    uint32_t n;
    const struct mp_frame *f = mp_report_ctx_stack(ctx, stack, &n);
    mp_out_putc(o, '[');
    for (uint32_t i = 0; i < n; i++) {
        mp_out_puts(o, i ? ",\n      {\"pc\": \"" : "\n      {\"pc\": \"");
        mp_out_hex(o, f[i].pc);
        mp_out_puts(o, "\", \"function\": ");
        mp_out_json_str(o, f[i].function);
        mp_out_puts(o, ", \"file\": ");
        mp_out_json_str(o, f[i].file);
        if (f[i].line)
            mp_out_printf(o, ", \"line\": %u", f[i].line);
        else
            mp_out_puts(o, ", \"line\": null");
        mp_out_puts(o, ", \"module\": ");
        mp_out_json_str(o, f[i].module);
        mp_out_puts(o, f[i].inlined ? ", \"inlined\": true}" : ", \"inlined\": false}");
    }
    mp_out_puts(o, n ? "\n    ]" : "]");
}

void mp_json_write(struct mp_report_ctx *ctx, struct mp_out *o)
{
    const struct mp_report_input *in = ctx->in;
    mp_out_printf(o, "{\n  \"format\": \"memplumber-report\",\n  \"version\": 1,\n"
                     "  \"pid\": %d,\n  \"report_seq\": %u,\n  \"command\": [",
                  in->pid, (unsigned)in->report_seq);
    for (int i = 0; in->argv && i < in->argc; i++) {
        if (i)
            mp_out_puts(o, ", ");
        mp_out_json_str(o, in->argv[i] ? in->argv[i] : "");
    }
    mp_out_puts(o, "],\n  \"summary\": {\n");
    for (unsigned k = 0; k < MP_LEAK_NKINDS; k++)
        put_count(o, mp_leak_kind_name(k), &in->lost[k], 0);
    put_count(o, "suppressed", &in->suppressed, 0);
    put_count(o, "total_allocated", &in->total_allocated, 0);
    put_count(o, "total_freed", &in->total_freed, 0);
    mp_out_printf(o, "    \"errors\": %llu\n  },\n", (unsigned long long)in->error_count);
    /* What the records hold: all, or what is new since report new_since_report (0: none). */
    mp_out_printf(o, "  \"only_new\": %s,\n", in->only_new ? "true" : "false");
    if (in->only_new)
        mp_out_printf(o, "  \"new_since_report\": %u,\n", (unsigned)in->prev_seq);
    mp_out_printf(o, "  \"min_age_s\": %llu,\n", (unsigned long long)in->min_age_s);
    if (ctx->baseline_on) {
        mp_out_puts(o, "  \"baseline\": {\"file\": ");
        mp_out_json_str(o, in->opt.baseline);
        mp_out_printf(o, ", \"new_leaks\": %zu, \"known_leaks\": %zu, \"new_errors\": %zu, "
                         "\"known_errors\": %zu},\n",
                      ctx->new_records, ctx->known_records, ctx->new_errors, ctx->known_errors);
    } else {
        mp_out_puts(o, "  \"baseline\": null,\n");
    }
    mp_out_puts(o, "  \"leaks\": [");

    for (size_t i = 0; i < ctx->norder; i++) {
        const struct mp_loss_record *r = &in->records[ctx->order[i]];
        mp_out_puts(o, i ? ",\n    {\"kind\": " : "\n    {\"kind\": ");
        mp_out_json_str(o, mp_leak_kind_name(r->kind));
        mp_out_printf(o, ", \"bytes\": %llu, \"blocks\": %llu, \"allocator\": ",
                      (unsigned long long)r->bytes, (unsigned long long)r->blocks);
        mp_out_json_str(o, mp_alloc_kind_name(r->allocator));
        mp_out_printf(o, ", \"oldest_age_s\": %llu, \"newest_age_s\": %llu",
                      (unsigned long long)r->oldest_age_s, (unsigned long long)r->newest_age_s);
        if (in->only_new)
            mp_out_printf(o, ", \"bytes_increase\": %lld, \"blocks_increase\": %lld",
                          (long long)r->bytes_increase, (long long)r->blocks_increase);
        put_key_status(o, mp_report_record_key(ctx, r), mp_report_record_status(ctx, r));
        mp_out_puts(o, ", \"stack\": ");
        put_stack(ctx, o, r->stack);
        mp_out_putc(o, '}');
    }
    mp_out_puts(o, ctx->norder ? "\n  ],\n  \"errors\": [" : "],\n  \"errors\": [");

    size_t nerr = in->errors ? in->nerrors : 0;
    for (size_t i = 0; i < nerr; i++) {
        const struct mp_error_record *e = &in->errors[i];
        mp_out_puts(o, i ? ",\n    {\"kind\": " : "\n    {\"kind\": ");
        mp_out_json_str(o, mp_error_kind_name(e->kind));
        mp_out_puts(o, ", \"address\": \"");
        mp_out_hex(o, e->address);
        mp_out_printf(o, "\", \"count\": %llu", (unsigned long long)e->count);
        if (e->size)
            mp_out_printf(o, ", \"size\": %llu", (unsigned long long)e->size);
        put_key_status(o, mp_report_error_key(ctx, e), mp_report_error_status(ctx, e));
        static const char *const names[] = {"stack", "alloc_stack", "free_stack"};
        const uint32_t stacks[] = {e->stack, e->alloc_stack, e->free_stack};
        for (int k = 0; k < 3; k++) {
            if (!stacks[k])
                continue;
            mp_out_printf(o, ", \"%s\": ", names[k]);
            put_stack(ctx, o, stacks[k]);
        }
        mp_out_putc(o, '}');
    }
    mp_out_puts(o, nerr ? "\n  ],\n" : "],\n");

    /* Snapshots (t: seconds since start-up) and the stacks whose live bytes keep growing. */
    mp_out_printf(o, "  \"snapshot_interval_s\": %llu,\n  \"snapshots\": [",
                  (unsigned long long)in->snapshot_interval_s);
    size_t ns = in->snapshots ? in->nsnapshots : 0;
    for (size_t i = 0; i < ns; i++) {
        const struct mp_snapshot *sn = &in->snapshots[i];
        mp_out_printf(o, "%s{\"t\": %llu.%03llu, \"live_bytes\": %llu, \"live_blocks\": %llu}",
                      i ? ",\n    " : "\n    ", (unsigned long long)(sn->t_ms / 1000),
                      (unsigned long long)(sn->t_ms % 1000), (unsigned long long)sn->live_bytes,
                      (unsigned long long)sn->live_blocks);
    }
    mp_out_puts(o, ns ? "\n  ],\n  \"growth\": [" : "],\n  \"growth\": [");
    size_t ng = in->growth ? in->ngrowth : 0;
    for (size_t i = 0; i < ng; i++) {
        const struct mp_growth *g = &in->growth[i];
        double bps = g->bytes_per_second;
        unsigned long long whole = (unsigned long long)bps;
        unsigned milli = (unsigned)((bps - (double)whole) * 1000.0);
        mp_out_printf(o, "%s{\"bytes_per_second\": %llu.%03u, \"live_bytes\": %llu, "
                         "\"live_blocks\": %llu, \"stack\": ",
                      i ? ",\n    " : "\n    ", whole, milli > 999 ? 999 : milli,
                      (unsigned long long)g->live_bytes, (unsigned long long)g->live_blocks);
        put_stack(ctx, o, g->stack);
        mp_out_putc(o, '}');
    }
    mp_out_puts(o, ng ? "\n  ]\n}\n" : "]\n}\n");
}
