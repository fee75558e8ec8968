/* SARIF 2.1.0 report for GitHub code scanning and other SARIF viewers. One rule per leak kind
 * and per heap-error kind (ids "definitely-lost", "double-free", ...). One result per non-suppressed
 * loss record and per error: level error (definitely/indirectly lost, heap errors), warning
 * (possibly lost) or note (still reachable); its location is the first frame with a source file
 * (URI relative to %SRCROOT% = the current directory when the file is under it, else a file://
 * URI); every stack is carried whole as a codeFlow, outermost call first (chronological, as flows
 * are read). A result without any source file points at the module with startLine 1, since GitHub
 * requires a region. partialFingerprints hash the rule and the function names, so alerts survive
 * rebuilds that move addresses and lines. Depends on report.h only. */
#include "report/report.h"

#include <stdio.h>
#include <string.h>

#define NRULES (MP_LEAK_NKINDS + MP_ERR_NKINDS)

struct rule {
    const char *name, *short_text, *full_text, *level;
};

static const struct rule rules[NRULES] = {
    {"DefinitelyLost", "Memory definitely lost",
     "No pointer to the block's start or interior was found from the roots (globals, stacks, "
     "registers, thread-local storage): the memory is leaked.", "error"},
    {"IndirectlyLost", "Memory indirectly lost",
     "The block is reachable only through definitely (or indirectly) lost blocks: fixing the "
     "definite leak that holds it usually fixes this one.", "error"},
    {"PossiblyLost", "Memory possibly lost",
     "The block is reachable from the roots only through pointers into its interior.", "warning"},
    {"StillReachable", "Memory still reachable at exit",
     "A pointer to the block's start is still reachable from the roots when the program exits.",
     "note"},
    {"DoubleFree", "Double free", "A heap block was released twice.", "error"},
    {"InvalidFree", "Invalid free",
     "free(), delete or delete[] of a pointer that is not the start of a heap block.", "error"},
    {"MismatchedFree", "Mismatched allocation and deallocation",
     "A block was released by a function of another family than the one that allocated it "
     "(malloc/free, new/delete, new[]/delete[]).", "error"},
    {"ReallocFreed", "realloc() of a freed block",
     "realloc() was called on a block that had already been freed.", "error"},
    {"ReallocInvalid", "realloc() of an invalid pointer",
     "realloc() was called on a pointer that is not the start of a heap block.", "error"},
    {"MismatchedSize", "Wrong size in sized delete",
     "A sized operator delete was given a size other than the size of the block.", "error"},
    {"UsableSizeInvalid", "malloc_usable_size() of an invalid pointer",
     "malloc_usable_size() was called on a pointer that is not a heap block.", "error"},
};

/* "definitely_lost" -> "definitely-lost" */
static void put_rule_id(struct mp_out *o, unsigned rule)
{
    const char *n = rule < MP_LEAK_NKINDS ? mp_leak_kind_name(rule)
                                          : mp_error_kind_name(rule - MP_LEAK_NKINDS);
    mp_out_putc(o, '"');
    for (; *n; n++)
        mp_out_putc(o, *n == '_' ? '-' : *n);
    mp_out_putc(o, '"');
}

/* artifactLocation for a path: relative to %SRCROOT% when under the current directory. */
static void put_artifact(struct mp_report_ctx *ctx, struct mp_out *o, const char *path)
{
    size_t cl = strlen(ctx->cwd);
    mp_out_puts(o, "\"artifactLocation\": {\"uri\": \"");
    if (cl && path[0] == '/' && strncmp(path, ctx->cwd, cl) == 0 &&
        (path[cl] == '/' || ctx->cwd[cl - 1] == '/')) {
        const char *rel = path + cl + (path[cl] == '/');
        mp_out_uri_path(o, rel);
        mp_out_puts(o, "\", \"uriBaseId\": \"%SRCROOT%\"}");
    } else if (path[0] == '/') {
        mp_out_puts(o, "file://");
        mp_out_uri_path(o, path);
        mp_out_puts(o, "\"}");
    } else {
        mp_out_uri_path(o, path);
        mp_out_puts(o, "\"}");
    }
}

/* "make_node (list.c:12)", "??? (in /lib/libfoo.so+0x1234)": a frame as one line of text. */
static void put_frame_text(struct mp_out *o, const struct mp_frame *f)
{
    char buf[1024];
    int n;
    const char *fn = f->function ? f->function : "???";
    if (f->file && f->line)
        n = snprintf(buf, sizeof buf, "%s (%s:%u)", fn, mp_report_basename(f->file), f->line);
    else if (f->file)
        n = snprintf(buf, sizeof buf, "%s (%s)", fn, mp_report_basename(f->file));
    else if (f->module)
        n = snprintf(buf, sizeof buf, "%s (in %s+0x%lx)", fn, f->module, (unsigned long)f->offset);
    else
        n = snprintf(buf, sizeof buf, "%s (0x%lx)", fn, (unsigned long)f->pc);
    if (n < 0)
        buf[0] = 0;
    if (f->inlined)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " [inlined]");
    mp_out_json_str(o, buf);
}

static void put_location(struct mp_report_ctx *ctx, struct mp_out *o, const struct mp_frame *f)
{
    mp_out_puts(o, "{");
    if (f->file || f->module) {
        mp_out_puts(o, "\"physicalLocation\": {");
        put_artifact(ctx, o, f->file ? f->file : f->module);
        mp_out_printf(o, ", \"region\": {\"startLine\": %u}}, ", f->file && f->line ? f->line : 1);
    }
    if (f->function) {
        mp_out_puts(o, "\"logicalLocations\": [{\"fullyQualifiedName\": ");
        mp_out_json_str(o, f->function);
        mp_out_puts(o, ", \"kind\": \"function\"}], ");
    }
    mp_out_puts(o, "\"message\": {\"text\": ");
    put_frame_text(o, f);
    mp_out_puts(o, "}}");
}

static void put_code_flow(struct mp_report_ctx *ctx, struct mp_out *o, uint32_t stack,
                          const char *what, int *first)
{
    uint32_t n;
    const struct mp_frame *f = mp_report_ctx_stack(ctx, stack, &n);
    if (!n)
        return;
    mp_out_puts(o, *first ? "{\"message\": {\"text\": " : ", {\"message\": {\"text\": ");
    *first = 0;
    mp_out_json_str(o, what);
    mp_out_puts(o, "}, \"threadFlows\": [{\"locations\": [");
    for (uint32_t i = n; i > 0; i--) {
        mp_out_puts(o, i == n ? "\n          {\"nestingLevel\": " : ",\n          {\"nestingLevel\": ");
        mp_out_printf(o, "%u, \"location\": ", n - i);
        put_location(ctx, o, &f[i - 1]);
        mp_out_putc(o, '}');
    }
    mp_out_puts(o, "]}]}");
}

static int has_frames(struct mp_report_ctx *ctx, uint32_t stack)
{
    uint32_t n;
    mp_report_ctx_stack(ctx, stack, &n);
    return n > 0;
}

static uint64_t fnv(uint64_t h, const char *s)
{
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    h ^= 0xff;
    h *= 0x100000001b3ULL;
    return h;
}

/* locations (the primary location) and partialFingerprints from the main stack. */
static void put_primary(struct mp_report_ctx *ctx, struct mp_out *o, unsigned rule,
                        uint32_t stack)
{
    uint32_t n;
    const struct mp_frame *f = mp_report_ctx_stack(ctx, stack, &n);
    const struct mp_frame *at = NULL;
    for (uint32_t i = 0; i < n && !at; i++)
        if (f[i].file)
            at = &f[i];
    for (uint32_t i = 0; i < n && !at; i++)
        if (f[i].module)
            at = &f[i];
    if (at) {
        mp_out_puts(o, ", \"locations\": [");
        put_location(ctx, o, at);
        mp_out_putc(o, ']');
    }
    uint64_t h = fnv(0xcbf29ce484222325ULL, rule < MP_LEAK_NKINDS
                                                ? mp_leak_kind_name(rule)
                                                : mp_error_kind_name(rule - MP_LEAK_NKINDS));
    for (uint32_t i = 0; i < n; i++)
        h = fnv(h, f[i].function ? f[i].function
                                 : (f[i].module ? mp_report_basename(f[i].module) : "?"));
    mp_out_printf(o, ", \"partialFingerprints\": {\"memplumberStack/v1\": \"%016llx\"}",
                  (unsigned long long)h);
}

static void put_result_head(struct mp_out *o, unsigned rule, int first)
{
    mp_out_puts(o, first ? "\n      {\"ruleId\": " : ",\n      {\"ruleId\": ");
    put_rule_id(o, rule);
    mp_out_printf(o, ", \"ruleIndex\": %u, \"level\": \"%s\", \"message\": {\"text\": ", rule,
                  rules[rule].level);
}

void mp_sarif_write(struct mp_report_ctx *ctx, struct mp_out *o)
{
    const struct mp_report_input *in = ctx->in;
    char msg[512];
    mp_out_puts(o, "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
                   "  \"version\": \"2.1.0\",\n  \"runs\": [{\n"
                   "    \"tool\": {\"driver\": {\"name\": \"memplumber\", \"rules\": [");
    for (unsigned r = 0; r < NRULES; r++) {
        mp_out_puts(o, r ? ",\n      {\"id\": " : "\n      {\"id\": ");
        put_rule_id(o, r);
        mp_out_printf(o, ", \"name\": \"%s\", \"shortDescription\": {\"text\": ", rules[r].name);
        mp_out_json_str(o, rules[r].short_text);
        mp_out_puts(o, "}, \"fullDescription\": {\"text\": ");
        mp_out_json_str(o, rules[r].full_text);
        mp_out_puts(o, "}, \"help\": {\"text\": ");
        mp_out_json_str(o, rules[r].full_text);
        mp_out_printf(o, "}, \"defaultConfiguration\": {\"level\": \"%s\"}, "
                         "\"properties\": {\"tags\": [\"memory\", \"%s\"]}}",
                      rules[r].level, r < MP_LEAK_NKINDS ? "leak" : "heap-misuse");
    }
    mp_out_puts(o, "]}},\n");
    if (ctx->cwd[0]) {
        mp_out_puts(o, "    \"originalUriBaseIds\": {\"%SRCROOT%\": {\"uri\": \"file://");
        mp_out_uri_path(o, ctx->cwd);
        if (ctx->cwd[strlen(ctx->cwd) - 1] != '/')
            mp_out_putc(o, '/');
        mp_out_puts(o, "\"}},\n");
    }
    mp_out_puts(o, "    \"invocations\": [{\"executionSuccessful\": true, \"arguments\": [");
    for (int i = 0; in->argv && i < in->argc; i++) {
        if (i)
            mp_out_puts(o, ", ");
        mp_out_json_str(o, in->argv[i] ? in->argv[i] : "");
    }
    mp_out_printf(o, "], \"properties\": {\"pid\": %d}}],\n    \"results\": [", in->pid);

    int first = 1;
    for (size_t i = 0; i < ctx->norder; i++) {
        const struct mp_loss_record *r = &in->records[ctx->order[i]];
        unsigned rule = r->kind < MP_LEAK_NKINDS ? r->kind : MP_LEAK_DEFINITE;
        put_result_head(o, rule, first);
        first = 0;
        snprintf(msg, sizeof msg, "%llu bytes in %llu blocks are %s (%s)",
                 (unsigned long long)r->bytes, (unsigned long long)r->blocks,
                 mp_report_kind_words(r->kind), mp_alloc_kind_name(r->allocator));
        mp_out_json_str(o, msg);
        mp_out_putc(o, '}');
        put_primary(ctx, o, rule, r->stack);
        if (has_frames(ctx, r->stack)) {
            int ff = 1;
            mp_out_puts(o, ", \"codeFlows\": [");
            put_code_flow(ctx, o, r->stack, "allocation stack", &ff);
            mp_out_putc(o, ']');
        }
        mp_out_putc(o, '}');
    }
    size_t nerr = in->errors ? in->nerrors : 0;
    for (size_t i = 0; i < nerr; i++) {
        const struct mp_error_record *e = &in->errors[i];
        unsigned rule = MP_LEAK_NKINDS + (e->kind < MP_ERR_NKINDS ? e->kind : 0);
        put_result_head(o, rule, first);
        first = 0;
        int len = snprintf(msg, sizeof msg, "%s (%s) at address 0x%lx",
                           mp_report_error_title(e->kind), mp_error_kind_name(e->kind),
                           (unsigned long)e->address);
        if (e->kind == MP_ERR_MISMATCHED_FREE && len > 0 && (size_t)len < sizeof msg)
            len += snprintf(msg + len, sizeof msg - (size_t)len, ": allocated by %s, released by %s",
                            mp_alloc_kind_name(e->allocator), mp_free_kind_name(e->free_kind));
        if (e->kind == MP_ERR_SIZED_DELETE && len > 0 && (size_t)len < sizeof msg)
            len += snprintf(msg + len, sizeof msg - (size_t)len, ": size %llu given, block has %llu",
                            (unsigned long long)e->size_given, (unsigned long long)e->size);
        if (e->count > 1 && len > 0 && (size_t)len < sizeof msg)
            snprintf(msg + len, sizeof msg - (size_t)len, " (%llu times)",
                     (unsigned long long)e->count);
        mp_out_json_str(o, msg);
        mp_out_putc(o, '}');
        put_primary(ctx, o, rule, e->stack);
        if (has_frames(ctx, e->stack) || has_frames(ctx, e->free_stack) ||
            has_frames(ctx, e->alloc_stack)) {
            int ff = 1;
            mp_out_puts(o, ", \"codeFlows\": [");
            put_code_flow(ctx, o, e->stack, "the bad call", &ff);
            put_code_flow(ctx, o, e->free_stack, "where the block was freed", &ff);
            put_code_flow(ctx, o, e->alloc_stack, "where the block was allocated", &ff);
            mp_out_putc(o, ']');
        }
        mp_out_putc(o, '}');
    }
    mp_out_puts(o, first ? "]\n  }]\n}\n" : "\n    ]\n  }]\n}\n");
}
