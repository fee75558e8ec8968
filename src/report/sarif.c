/* SARIF 2.1.0 report for GitHub code scanning, GitLab and other SARIF viewers. One rule per leak
 * kind and per heap-error kind (ids "definitely-lost", "double-free", ...). Results: every
 * non-suppressed heap error, and the loss records of the kinds shown or counted as errors
 * (opt.show_kinds | opt.errors_kinds; none under leak_check=no), so still-reachable records do
 * not flood the list by default. Level: "error" for heap errors and for leak kinds counted as
 * errors (errors_for_leak_kinds), else "warning" (indirectly/possibly lost) or "note" (still
 * reachable).
 * The primary location is the first frame in the program's own code (common/leakkey.h says
 * which frames are the system's), so a leak through strdup() points at its caller; the whole
 * stack follows as a codeFlow, outermost call first, the program's frames "essential", the
 * system's "unimportant". Artifact URIs under the source root (opt.sarif_root, default the
 * current directory at start-up) are relative, with uriBaseId %SRCROOT% resolved by
 * originalUriBaseIds; files outside it are absolute file:// URIs; a system frame whose debug
 * info gives only a relative file name points at its module. partialFingerprints
 * "memplumberKey/v1" is the matching key (kind + the program's own functions and file names),
 * the JSON report's "key", stable across runs, ASLR and line moves. With --baseline, each
 * result has a baselineState ("new" or "unchanged"). Depends on report.h only. */
#include "report/report.h"

#include "common/leakkey.h"

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
     "definite leak that holds it usually fixes this one.", "warning"},
    {"PossiblyLost", "Memory possibly lost",
     "The block is reachable from the roots only through pointers into its interior.", "error"},
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

/* 1 when path is under the source root (then *rel is the rest, without the leading '/'). */
static int under_root(struct mp_report_ctx *ctx, const char *path, const char **rel)
{
    size_t rl = strlen(ctx->root);
    if (!rl || path[0] != '/')
        return 0;
    if (rl == 1 && ctx->root[0] == '/') {
        *rel = path + 1;
        return 1;
    }
    if (strncmp(path, ctx->root, rl) != 0 || path[rl] != '/')
        return 0;
    *rel = path + rl + 1;
    return 1;
}

/* artifactLocation of an absolute path, or of a path relative to the source root (base = 1). */
static void put_artifact(struct mp_report_ctx *ctx, struct mp_out *o, const char *path)
{
    const char *rel = NULL;
    mp_out_puts(o, "\"artifactLocation\": {\"uri\": \"");
    if (path[0] != '/') {
        while (path[0] == '.' && path[1] == '/')
            path += 2;
        mp_out_uri_path(o, path);
        mp_out_puts(o, "\", \"uriBaseId\": \"%SRCROOT%\"}");
    } else if (under_root(ctx, path, &rel)) {
        mp_out_uri_path(o, rel);
        mp_out_puts(o, "\", \"uriBaseId\": \"%SRCROOT%\"}");
    } else {
        mp_out_puts(o, "file://");
        mp_out_uri_path(o, path);
        mp_out_puts(o, "\"}");
    }
}

static int is_users(const struct mp_frame *f)
{
    struct mp_key_frame k = {f->function, f->file, f->module};
    return mp_key_frame_is_users(&k);
}

/* The file a frame's location names: its source file when that is absolute, or relative in the
 * program's own code (relative to the build directory, taken as the source root); NULL when
 * only the module can be named (a system library's relative file names have no known base). */
static const char *frame_file(const struct mp_frame *f)
{
    if (!f->file || !f->file[0])
        return NULL;
    if (f->file[0] == '/' || is_users(f))
        return f->file;
    return NULL;
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

/* A location: the frame's file and line, else its module (no region, or startLine 1 for a
 * primary location, since GitHub requires a region there). */
static void put_location(struct mp_report_ctx *ctx, struct mp_out *o, const struct mp_frame *f,
                         int primary)
{
    const char *file = frame_file(f);
    mp_out_puts(o, "{");
    if (file || (f->module && f->module[0] == '/')) {
        mp_out_puts(o, "\"physicalLocation\": {");
        put_artifact(ctx, o, file ? file : f->module);
        if (file && f->line)
            mp_out_printf(o, ", \"region\": {\"startLine\": %u}", f->line);
        else if (primary)
            mp_out_puts(o, ", \"region\": {\"startLine\": 1}");
        mp_out_puts(o, "}, ");
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
        mp_out_printf(o, "%u, \"importance\": \"%s\", \"location\": ", n - i,
                      is_users(&f[i - 1]) ? "essential" : "unimportant");
        put_location(ctx, o, &f[i - 1], 0);
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

/* The primary location: the first frame of the program's own code that names a file, else its
 * first frame, else the first frame naming a file, else the first with a module. */
static const struct mp_frame *primary_frame(const struct mp_frame *f, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (is_users(&f[i]) && frame_file(&f[i]))
            return &f[i];
    for (uint32_t i = 0; i < n; i++)
        if (is_users(&f[i]))
            return &f[i];
    for (uint32_t i = 0; i < n; i++)
        if (frame_file(&f[i]))
            return &f[i];
    for (uint32_t i = 0; i < n; i++)
        if (f[i].module)
            return &f[i];
    return NULL;
}

/* locations (the primary location), partialFingerprints and baselineState. */
static void put_primary(struct mp_report_ctx *ctx, struct mp_out *o, uint32_t stack,
                        uint64_t key, int status)
{
    uint32_t n;
    const struct mp_frame *f = mp_report_ctx_stack(ctx, stack, &n);
    const struct mp_frame *at = primary_frame(f, n);
    if (at) {
        mp_out_puts(o, ", \"locations\": [");
        put_location(ctx, o, at, 1);
        mp_out_putc(o, ']');
    }
    char hex[17];
    mp_leak_key_hex(key, hex);
    mp_out_printf(o, ", \"partialFingerprints\": {\"memplumberKey/v1\": \"%s\"}", hex);
    if (status)
        mp_out_printf(o, ", \"baselineState\": \"%s\"", status == 2 ? "unchanged" : "new");
}

static void put_result_head(struct mp_out *o, unsigned rule, const char *level, int first)
{
    mp_out_puts(o, first ? "\n      {\"ruleId\": " : ",\n      {\"ruleId\": ");
    put_rule_id(o, rule);
    mp_out_printf(o, ", \"ruleIndex\": %u, \"level\": \"%s\", \"message\": {\"text\": ", rule,
                  level);
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
    if (ctx->root[0] == '/') {
        mp_out_puts(o, "    \"originalUriBaseIds\": {\"%SRCROOT%\": {\"uri\": \"file://");
        mp_out_uri_path(o, ctx->root);
        if (ctx->root[strlen(ctx->root) - 1] != '/')
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
    unsigned kinds = in->opt.leak_check ? in->opt.show_kinds | in->opt.errors_kinds : 0;
    for (size_t i = 0; i < ctx->norder; i++) {
        const struct mp_loss_record *r = &in->records[ctx->order[i]];
        unsigned rule = r->kind < MP_LEAK_NKINDS ? r->kind : MP_LEAK_DEFINITE;
        if (!(kinds & (1u << rule)))
            continue;
        const char *level = (in->opt.errors_kinds & (1u << rule)) ? "error"
                            : rule == MP_LEAK_REACHABLE ? "note" : "warning";
        put_result_head(o, rule, level, first);
        first = 0;
        snprintf(msg, sizeof msg, "%llu bytes in %llu blocks are %s (%s)",
                 (unsigned long long)r->bytes, (unsigned long long)r->blocks,
                 mp_report_kind_words(r->kind), mp_alloc_kind_name(r->allocator));
        mp_out_json_str(o, msg);
        mp_out_putc(o, '}');
        put_primary(ctx, o, r->stack, mp_report_record_key(ctx, r), mp_report_record_status(ctx, r));
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
        put_result_head(o, rule, "error", first);
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
        put_primary(ctx, o, e->stack, mp_report_error_key(ctx, e), mp_report_error_status(ctx, e));
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
