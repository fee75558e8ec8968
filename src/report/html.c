/* A self-contained HTML report: one page with inline CSS and a little inline JavaScript, no
 * external resources. Summary table per kind; every non-suppressed loss record in a table that can
 * be sorted (click a column head) and filtered (text box, kind check boxes; kinds outside
 * opt.show_kinds start unchecked), each with its stack in a collapsible <details>; heap errors
 * with their stacks. Every piece of program data (command line, names, paths) goes through
 * mp_out_html. Depends on report.h only. */
#include "report/report.h"

#include <stdio.h>

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
    "h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.2em;margin:1.5em 0 .5em}"
    "code,.stack{font-family:ui-monospace,monospace;font-size:13px}"
    "table{border-collapse:collapse}th,td{padding:3px 8px;border-bottom:1px solid #ddd;"
    "text-align:left;vertical-align:top}td.n,th.n{text-align:right}"
    "#leaks th[data-sort]{cursor:pointer;user-select:none}#leaks th[data-sort]:hover{color:#06c}"
    ".stack{margin:.3em 0;padding-left:2.2em}.stack li{white-space:pre-wrap}"
    ".inl{color:#777}.unk{color:#999}.loc{color:#555}"
    ".k0{color:#b00;font-weight:600}.k1{color:#c50}.k2{color:#a80}.k3{color:#080}"
    ".err{border-left:4px solid #b00;padding:.2em .8em;margin:.8em 0;background:#fdf5f5}"
    ".err h3{font-size:1em;margin:.2em 0}.controls{margin:.5em 0}.controls label{margin-right:1em}"
    "#filter{width:24em;padding:3px}.muted{color:#777}";

static const char js[] =
    "(function(){"
    "var t=document.getElementById('leaks');if(!t)return;"
    "var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);"
    "var f=document.getElementById('filter'),boxes=document.querySelectorAll('.kind');"
    "var shown=document.getElementById('shown');"
    "function apply(){var q=f.value.toLowerCase(),on={},n=0;"
    "for(var i=0;i<boxes.length;i++)on[boxes[i].value]=boxes[i].checked;"
    "rows.forEach(function(r){var v=on[r.dataset.kind]&&"
    "(!q||r.textContent.toLowerCase().indexOf(q)>=0);r.style.display=v?'':'none';if(v)n++;});"
    "shown.textContent=n;}"
    "f.addEventListener('input',apply);"
    "for(var i=0;i<boxes.length;i++)boxes[i].addEventListener('change',apply);"
    "var dir={bytes:-1};"
    "t.tHead.addEventListener('click',function(e){var th=e.target.closest('th[data-sort]');"
    "if(!th)return;var k=th.dataset.sort,d=dir[k]=dir[k]?-dir[k]:(k=='kindidx'?1:-1);"
    "rows.sort(function(a,b){var x=+a.dataset[k],y=+b.dataset[k];"
    "return x!=y?(x<y?-d:d):(+a.dataset.rank)-(+b.dataset.rank);});"
    "rows.forEach(function(r){body.appendChild(r);});});"
    "apply();})();";

static void put_frame(struct mp_out *o, const struct mp_frame *f)
{
    mp_out_puts(o, f->inlined ? "<li class=\"inl\"><code>" : "<li><code>");
    mp_out_hex(o, f->pc);
    mp_out_puts(o, "</code> ");
    if (f->function) {
        mp_out_puts(o, "<b>");
        mp_out_html(o, f->function);
        mp_out_puts(o, "</b>");
    } else {
        mp_out_puts(o, "<span class=\"unk\">?\?\?</span>");
    }
    if (f->file) {
        mp_out_puts(o, " <span class=\"loc\" title=\"");
        mp_out_html(o, f->file);
        mp_out_puts(o, "\">");
        mp_out_html(o, mp_report_basename(f->file));
        if (f->line)
            mp_out_printf(o, ":%u", f->line);
        mp_out_puts(o, "</span>");
    } else if (f->module) {
        mp_out_puts(o, " <span class=\"loc\">(in ");
        mp_out_html(o, f->module);
        mp_out_printf(o, "+0x%lx)</span>", (unsigned long)f->offset);
    }
    if (f->inlined)
        mp_out_puts(o, " [inlined]");
    mp_out_puts(o, "</li>");
}

/* Short text for a stack's summary line: its first frame. */
static void put_frame_short(struct mp_out *o, const struct mp_frame *f)
{
    mp_out_html(o, f->function ? f->function : "???");
    if (f->file) {
        mp_out_puts(o, " <span class=\"loc\">(");
        mp_out_html(o, mp_report_basename(f->file));
        if (f->line)
            mp_out_printf(o, ":%u", f->line);
        mp_out_puts(o, ")</span>");
    } else if (f->module) {
        mp_out_puts(o, " <span class=\"loc\">(in ");
        mp_out_html(o, mp_report_basename(f->module));
        mp_out_puts(o, ")</span>");
    }
}

static void put_stack(struct mp_report_ctx *ctx, struct mp_out *o, uint32_t stack,
                      const char *label, int open)
{
    uint32_t n;
    const struct mp_frame *f = mp_report_ctx_stack(ctx, stack, &n);
    if (!n) {
        mp_out_puts(o, "<span class=\"muted\">(no stack recorded)</span>");
        return;
    }
    mp_out_puts(o, open ? "<details open><summary>" : "<details><summary>");
    if (label)
        mp_out_html(o, label);
    else
        put_frame_short(o, &f[0]);
    mp_out_puts(o, "</summary><ol class=\"stack\">");
    for (uint32_t i = 0; i < n; i++)
        put_frame(o, &f[i]);
    mp_out_puts(o, "</ol></details>");
}

static void put_sum_row(struct mp_out *o, const char *label, const char *cls,
                        const struct mp_count *c)
{
    mp_out_printf(o, "<tr><td%s>%s</td><td class=\"n\">", cls, label);
    mp_out_commas(o, c->bytes);
    mp_out_puts(o, "</td><td class=\"n\">");
    mp_out_commas(o, c->blocks);
    mp_out_puts(o, "</td></tr>\n");
}

static void put_leaks(struct mp_report_ctx *ctx, struct mp_out *o)
{
    const struct mp_report_input *in = ctx->in;
    mp_out_printf(o, "<h2>Loss records (<span id=\"shown\">%zu</span> of %zu shown)</h2>\n",
                  ctx->norder, ctx->norder);
    mp_out_puts(o, "<div class=\"controls\"><input id=\"filter\" type=\"search\" "
                   "placeholder=\"Filter: function, file or module\"> ");
    for (unsigned k = 0; k < MP_LEAK_NKINDS; k++) {
        mp_out_printf(o, "<label><input type=\"checkbox\" class=\"kind\" value=\"%s\"%s> %s"
                         "</label>",
                      mp_leak_kind_name(k), (in->opt.show_kinds & (1u << k)) ? " checked" : "",
                      mp_report_kind_words(k));
    }
    mp_out_puts(o, "</div>\n<table id=\"leaks\"><thead><tr>"
                   "<th class=\"n\" data-sort=\"bytes\" title=\"sort\">Bytes</th>"
                   "<th class=\"n\" data-sort=\"blocks\" title=\"sort\">Blocks</th>"
                   "<th data-sort=\"kindidx\" title=\"sort\">Kind</th><th>Allocator</th>"
                   "<th>Allocation stack</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < ctx->norder; i++) {
        const struct mp_loss_record *r = &in->records[ctx->order[i]];
        unsigned k = r->kind < MP_LEAK_NKINDS ? r->kind : 0;
        mp_out_printf(o, "<tr data-kind=\"%s\" data-kindidx=\"%u\" data-bytes=\"%llu\" "
                         "data-blocks=\"%llu\" data-rank=\"%zu\"><td class=\"n\">",
                      mp_leak_kind_name(r->kind), k, (unsigned long long)r->bytes,
                      (unsigned long long)r->blocks, i);
        mp_out_commas(o, r->bytes);
        if (r->kind == MP_LEAK_DEFINITE && r->indirect_bytes) {
            mp_out_puts(o, "<br><span class=\"muted\" title=\"indirectly lost through it\">+");
            mp_out_commas(o, r->indirect_bytes);
            mp_out_puts(o, "</span>");
        }
        mp_out_puts(o, "</td><td class=\"n\">");
        mp_out_commas(o, r->blocks);
        mp_out_printf(o, "</td><td class=\"k%u\">%s</td><td>", k, mp_report_kind_words(r->kind));
        mp_out_html(o, mp_alloc_kind_name(r->allocator));
        mp_out_puts(o, "</td><td>");
        put_stack(ctx, o, r->stack, NULL, 0);
        mp_out_puts(o, "</td></tr>\n");
    }
    mp_out_puts(o, "</tbody></table>\n");
}

static void put_errors(struct mp_report_ctx *ctx, struct mp_out *o)
{
    const struct mp_report_input *in = ctx->in;
    size_t nerr = in->errors ? in->nerrors : 0;
    mp_out_printf(o, "<h2>Heap errors (%zu)</h2>\n", nerr);
    if (!nerr)
        mp_out_puts(o, "<p class=\"muted\">None.</p>\n");
    for (size_t i = 0; i < nerr; i++) {
        const struct mp_error_record *e = &in->errors[i];
        mp_out_puts(o, "<div class=\"err\"><h3>");
        mp_out_html(o, mp_report_error_title(e->kind));
        mp_out_puts(o, " <span class=\"muted\">(");
        mp_out_html(o, mp_error_kind_name(e->kind));
        mp_out_puts(o, ")</span></h3><p>Address <code>");
        mp_out_hex(o, e->address);
        mp_out_puts(o, "</code>");
        if (e->size) {
            mp_out_puts(o, ", block of ");
            mp_out_commas(o, e->size);
            mp_out_puts(o, " bytes");
        }
        if (e->kind == MP_ERR_MISMATCHED_FREE) {
            mp_out_puts(o, ", allocated by ");
            mp_out_html(o, mp_alloc_kind_name(e->allocator));
            mp_out_puts(o, ", released by ");
            mp_out_html(o, mp_free_kind_name(e->free_kind));
        }
        if (e->kind == MP_ERR_SIZED_DELETE)
            mp_out_printf(o, ", size given %llu", (unsigned long long)e->size_given);
        mp_out_puts(o, ", ");
        mp_out_commas(o, e->count);
        mp_out_puts(o, e->count == 1 ? " time</p>" : " times</p>");
        put_stack(ctx, o, e->stack, "Bad call", 1);
        if (e->free_stack)
            put_stack(ctx, o, e->free_stack, "Block freed at", 0);
        if (e->alloc_stack)
            put_stack(ctx, o, e->alloc_stack, "Block allocated at", 0);
        mp_out_puts(o, "</div>\n");
    }
}

void mp_html_write(struct mp_report_ctx *ctx, struct mp_out *o)
{
    const struct mp_report_input *in = ctx->in;
    const char *prog = in->argv && in->argc > 0 && in->argv[0] ? in->argv[0] : "?";
    mp_out_puts(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width\">\n<title>memplumber: ");
    mp_out_html(o, mp_report_basename(prog));
    mp_out_printf(o, " (pid %d)</title>\n<style>%s</style></head>\n<body>\n", in->pid, css);
    mp_out_puts(o, "<h1>memplumber report</h1>\n<p>Command: <code>");
    for (int i = 0; in->argv && i < in->argc; i++) {
        if (i)
            mp_out_putc(o, ' ');
        mp_out_html(o, in->argv[i] ? in->argv[i] : "");
    }
    mp_out_printf(o, "</code> &middot; pid %d", in->pid);
    if (in->reason && in->reason[0]) {
        mp_out_puts(o, " &middot; report at ");
        mp_out_html(o, in->reason);
    }
    mp_out_puts(o, "</p>\n<h2>Summary</h2>\n<table><thead><tr><th></th><th class=\"n\">Bytes"
                   "</th><th class=\"n\">Blocks</th></tr></thead><tbody>\n");
    for (unsigned k = 0; k < MP_LEAK_NKINDS; k++) {
        char cls[16];
        snprintf(cls, sizeof cls, " class=\"k%u\"", k);
        put_sum_row(o, mp_report_kind_words(k), cls, &in->lost[k]);
    }
    put_sum_row(o, "suppressed", "", &in->suppressed);
    put_sum_row(o, "total allocated", "", &in->total_allocated);
    put_sum_row(o, "total freed", "", &in->total_freed);
    mp_out_puts(o, "<tr><td>heap errors</td><td></td><td class=\"n\">");
    mp_out_commas(o, in->error_count);
    mp_out_puts(o, "</td></tr>\n</tbody></table>\n");
    put_leaks(ctx, o);
    put_errors(ctx, o);
    mp_out_printf(o, "<script>%s</script>\n</body></html>\n", js);
}
