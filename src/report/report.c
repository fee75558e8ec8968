/* Entry points of libmemplumber-report.so (model.h): mp_report_write() symbolizes the model once and
 * writes the text report to opt.text_fd and the JSON / SARIF / HTML files; mp_report_error_now()
 * prints one heap error as it happens. Also the shared report context (report.h).
 * The caller (libmemplumber.so) holds its re-entry guard, so malloc here is not tracked. One lock
 * serializes reports from different threads. Depends on the writers, symbolize.c and libc. */
#include "report/report.h"

#include "common/leakkey.h"
#include "common/repfile.h"
#include "report/baseline.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MP_EXPORT __attribute__((visibility("default")))

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- shared helpers ---- */

const char *mp_report_kind_words(unsigned kind)
{
    return mp_leak_kind_words(kind);
}

const char *mp_report_error_title(unsigned kind)
{
    switch (kind) {
    case MP_ERR_DOUBLE_FREE:
    case MP_ERR_INVALID_FREE:
    case MP_ERR_REALLOC_FREED:
    case MP_ERR_REALLOC_INVALID:
        return "Invalid free() / delete / delete[] / realloc()";
    case MP_ERR_MISMATCHED_FREE:
        return "Mismatched free() / delete / delete []";
    case MP_ERR_SIZED_DELETE:
        return "Mismatched new/delete size value";
    case MP_ERR_USABLE_SIZE_INVALID:
        return "Invalid malloc_usable_size()";
    default:
        return "Heap error";
    }
}

const char *mp_report_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* memplumber's messages go to the descriptor the preload library checked (its copy of the
 * program's stderr); -1: nowhere (the program closed stderr and reused its number). */
int mp_report_err_fd = 2;

/* A message on stderr, straight to the fd: the program's stderr FILE is not ours to touch. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    if (mp_report_err_fd < 0)
        return;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(mp_report_err_fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

/* ---- context ---- */

uint64_t mp_report_leak_errors(const struct mp_report_ctx *ctx)
{
    uint64_t c = 0;
    if (ctx->in->opt.leak_check < 2 || !ctx->in->opt.leak_errors)
        return 0;
    for (size_t i = 0; i < ctx->norder; i++) {
        unsigned k = ctx->in->records[ctx->order[i]].kind;
        if (k < 32 && (ctx->in->opt.errors_kinds & (1u << k)))
            c++;
    }
    return c;
}

static int cmp_records(const void *a, const void *b, void *arg)
{
    const struct mp_loss_record *r = arg;
    const struct mp_loss_record *x = &r[*(const uint32_t *)a], *y = &r[*(const uint32_t *)b];
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->blocks != y->blocks)
        return x->blocks > y->blocks ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    /* Deterministic output for equal records. */
    if (x->stack != y->stack)
        return x->stack < y->stack ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

int mp_report_ctx_init(struct mp_report_ctx *ctx, const struct mp_report_input *in)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->in = in;
    if (!getcwd(ctx->cwd, sizeof ctx->cwd))
        ctx->cwd[0] = 0;
    const char *root = in->opt.sarif_root && in->opt.sarif_root[0] ? in->opt.sarif_root : ctx->cwd;
    snprintf(ctx->root, sizeof ctx->root, "%s", root);
    for (size_t l = strlen(ctx->root); l > 1 && ctx->root[l - 1] == '/'; l--)
        ctx->root[l - 1] = 0;
    ctx->sym = mp_symbolize_open(in->modules, in->modules ? in->nmodules : 0);
    if (ctx->sym) {
        mp_symbolize_set_below_main(ctx->sym, in->opt.show_below_main);
        mp_symbolize_set_cache_dir(ctx->sym, in->opt.symbol_cache);
    }
    size_t nst = in->stacks ? in->nstacks : 0;
    ctx->frames = calloc(nst ? nst : 1, sizeof *ctx->frames);
    ctx->nframes = calloc(nst ? nst : 1, sizeof *ctx->nframes);
    ctx->done = calloc(nst ? nst : 1, 1);
    size_t nrec = in->records ? in->nrecords : 0;
    ctx->order = malloc((nrec ? nrec : 1) * sizeof *ctx->order);
    if (!ctx->sym || !ctx->frames || !ctx->nframes || !ctx->done || !ctx->order ||
        mp_report_supp_apply(ctx)) {
        mp_report_ctx_free(ctx);
        return -1;
    }
    in = ctx->in;   /* with suppressions applied: same records, some now flagged */
    for (size_t i = 0; i < nrec; i++)
        if (!in->records[i].suppressed)
            ctx->order[ctx->norder++] = (uint32_t)i;
    qsort_r(ctx->order, ctx->norder, sizeof *ctx->order, cmp_records, (void *)in->records);
    return 0;
}

void mp_report_ctx_free(struct mp_report_ctx *ctx)
{
    size_t nst = ctx->in && ctx->in->stacks ? ctx->in->nstacks : 0;
    if (ctx->frames)
        for (size_t i = 0; i < nst; i++)
            free(ctx->frames[i]);
    free(ctx->frames);
    free(ctx->nframes);
    free(ctx->done);
    free(ctx->order);
    free(ctx->rec_status);
    free(ctx->err_status);
    mp_report_supp_free(ctx);
    mp_symbolize_close(ctx->sym);
    memset(ctx, 0, sizeof *ctx);
}

const struct mp_frame *mp_report_ctx_stack(struct mp_report_ctx *ctx, uint32_t stack, uint32_t *n)
{
    const struct mp_report_input *in = ctx->in;
    *n = 0;
    if (stack == 0 || !in->stacks || stack >= in->nstacks)
        return NULL;
    if (!ctx->done[stack]) {
        const struct mp_stack *st = &in->stacks[stack];
        ctx->done[stack] = 1;
        if (st->pcs && st->n)
            ctx->frames[stack] =
                mp_symbolize_stack(ctx->sym, st->pcs, st->n, st->gen, &ctx->nframes[stack]);
    }
    *n = ctx->nframes[stack];
    return ctx->frames[stack];
}

/* ---- matching key and baseline ---- */

uint64_t mp_report_stack_key(struct mp_report_ctx *ctx, const char *kind, uint32_t stack)
{
    uint32_t n;
    const struct mp_frame *f = mp_report_ctx_stack(ctx, stack, &n);
    struct mp_key_frame one, *k = n ? malloc(n * sizeof *k) : &one;
    if (!k)
        return 0;
    for (uint32_t i = 0; i < n; i++)
        k[i] = (struct mp_key_frame){f[i].function, f[i].file, f[i].module};
    uint64_t key = mp_leak_key(kind, k, n);
    if (k != &one)
        free(k);
    return key;
}

uint64_t mp_report_record_key(struct mp_report_ctx *ctx, const struct mp_loss_record *r)
{
    return mp_report_stack_key(ctx, mp_leak_kind_name(r->kind), r->stack);
}

uint64_t mp_report_error_key(struct mp_report_ctx *ctx, const struct mp_error_record *e)
{
    return mp_report_stack_key(ctx, mp_error_kind_name(e->kind), e->stack);
}

/* The baseline, read once per process (the library stays loaded: heap errors printed as they
 * happen use it too) and again only if another path is asked for. Under report_lock. NULL when
 * it cannot be used (said once; every record and error then counts as new), *rc = -1. */
static struct mp_baseline *baseline_cached;
static char baseline_cached_path[4096];
static int baseline_cached_failed;

static const struct mp_baseline *baseline_get(const char *path, int *rc)
{
    if (strcmp(path, baseline_cached_path) != 0) {
        mp_baseline_free(baseline_cached);
        baseline_cached = NULL;
        baseline_cached_failed = 0;
        snprintf(baseline_cached_path, sizeof baseline_cached_path, "%s", path);
        char err[1024];
        baseline_cached = mp_baseline_load(path, err, sizeof err);
        if (!baseline_cached) {
            say("memplumber: error: cannot use the baseline '%s': %s; every loss record and "
                "error counts as new\n", path, err);
            baseline_cached_failed = 1;
        }
    }
    *rc = baseline_cached_failed ? -1 : 0;
    return baseline_cached;
}

int mp_report_baseline_apply(struct mp_report_ctx *ctx)
{
    const struct mp_report_input *in = ctx->in;
    const char *path = in->opt.baseline;
    if (!path || !path[0])
        return 0;
    size_t nrec = in->records ? in->nrecords : 0, nerr = in->errors ? in->nerrors : 0;
    ctx->rec_status = calloc(nrec ? nrec : 1, 1);
    ctx->err_status = calloc(nerr ? nerr : 1, 1);
    if (!ctx->rec_status || !ctx->err_status) {
        say("memplumber: error: out of memory while reading the baseline '%s'\n", path);
        return -1;
    }
    ctx->baseline_on = 1;
    int rc = 0;
    const struct mp_baseline *b = baseline_get(path, &rc);
    for (size_t i = 0; i < ctx->norder; i++) {
        const struct mp_loss_record *r = &in->records[ctx->order[i]];
        int known = mp_baseline_has(b, mp_report_record_key(ctx, r));
        ctx->rec_status[ctx->order[i]] = known ? 2 : 1;
        if (known)
            ctx->known_records++;
        else
            ctx->new_records++;
    }
    for (size_t i = 0; i < nerr; i++) {
        int known = mp_baseline_has(b, mp_report_error_key(ctx, &in->errors[i]));
        ctx->err_status[i] = known ? 2 : 1;
        if (known)
            ctx->known_errors++;
        else
            ctx->new_errors++;
    }
    return rc;
}

int mp_report_record_status(const struct mp_report_ctx *ctx, const struct mp_loss_record *r)
{
    const struct mp_report_input *in = ctx->in;
    if (!ctx->baseline_on || r < in->records || r >= in->records + in->nrecords)
        return 0;
    return ctx->rec_status[r - in->records];
}

int mp_report_error_status(const struct mp_report_ctx *ctx, const struct mp_error_record *e)
{
    const struct mp_report_input *in = ctx->in;
    if (!ctx->baseline_on || !in->errors || e < in->errors || e >= in->errors + in->nerrors)
        return 0;
    return ctx->err_status[e - in->errors];
}

/* ---- entry points ---- */

static int check_input(const struct mp_report_input *in)
{
    if (!in) {
        say("memplumber: error: report library called without a report\n");
        return -1;
    }
    if (in->abi != MP_REPORT_ABI) {
        say("memplumber: error: report library ABI mismatch (libmemplumber.so speaks %d, "
            "libmemplumber-report.so %d): install matching versions\n",
            in->abi, MP_REPORT_ABI);
        return -1;
    }
    return 0;
}

static int write_file(struct mp_report_ctx *ctx, const char *path, const char *what,
                      void (*writer)(struct mp_report_ctx *, struct mp_out *))
{
    char ebuf[256];
    if (!path || !path[0])
        return 0;
    char why[512];
    unsigned mode = ctx->in->opt.report_mode ? ctx->in->opt.report_mode : 0600;
    char tmp[4096];
    int fd = mp_open_report_tmp(path, mode, tmp, sizeof tmp); /* renamed into place when whole */
    const int via_tmp = fd >= 0;
    if (!via_tmp)
        fd = mp_open_report_file(path, MP_REPFILE_WHOLE, mode, why, sizeof why);
    if (fd < 0) {
        say("memplumber: error: cannot write %s report to '%s': %s\n", what, path, why);
        return -1;
    }
    struct mp_out o;
    mp_out_init(&o, fd);
    writer(ctx, &o);
    int rc = mp_out_close(&o);
    int e = errno;
    const int discarded = rc != 0; /* never leave a cut-short report behind */
    int removed = discarded && via_tmp; /* the temporary file, always */
    if (discarded && !via_tmp)
        removed = mp_discard_report_file(fd, path);
    if (close(fd) != 0 && rc == 0 && errno != EINTR) {
        rc = -1; /* a delayed write error (NFS): the file is complete as far as we know */
        e = errno;
    }
    if (via_tmp) {
        if (discarded)
            mp_discard_report_tmp(tmp, path);
        else if (mp_commit_report_tmp(tmp, path) && !rc) {
            rc = -1;
            e = errno;
        }
    }
    if (rc) {
        say("memplumber: error: cannot write %s report to '%s': %s%s\n", what, path,
            strerror_r(e, ebuf, sizeof ebuf), removed ? " (the partial file was removed)" : "");
        return -1;
    }
    return 0;
}

/* Called by the preload library right after loading us, before glibc's __libc_freeres may free
 * ld.so's lists: resolve now whatever would need dlsym/dlopen later. */
MP_EXPORT int mp_report_prepare(void)
{
    mp_symbolize_resolve_demangler();
    return 0;
}

MP_EXPORT int mp_report_write(const struct mp_report_input *in)
{
    if (check_input(in))
        return -1;
    pthread_mutex_lock(&report_lock);
    mp_report_err_fd = in->opt.err_fd;
    struct mp_report_ctx ctx;
    int rc = 0;
    if (mp_report_ctx_init(&ctx, in)) {
        say("memplumber: error: out of memory while writing the report\n");
        pthread_mutex_unlock(&report_lock);
        return -1;
    }
    mp_report_baseline_apply(&ctx);
    if (in->opt.result) {
        struct mp_report_result *res = in->opt.result;
        res->valid = 1;
        for (int k = 0; k < 4; k++)
            res->lost[k] = ctx.in->lost[k];
        res->errors = ctx.in->error_count;
        res->leak_errors = mp_report_leak_errors(&ctx);
        if (ctx.baseline_on) {
            res->baseline_used = 1;
            for (size_t i = 0; i < ctx.norder; i++) {
                const struct mp_loss_record *r = &ctx.in->records[ctx.order[i]];
                if (ctx.rec_status[ctx.order[i]] != 1)
                    continue;
                if (ctx.in->opt.leak_check >= 2 && ctx.in->opt.leak_errors && r->kind < 32 &&
                    (ctx.in->opt.errors_kinds & (1u << r->kind)))
                    res->new_leak_errors++;
            }
            for (size_t i = 0; ctx.in->errors && i < ctx.in->nerrors; i++)
                if (ctx.err_status[i] == 1)
                    res->new_errors += ctx.in->errors[i].count;
        }
    }
    if (in->opt.text_fd >= 0) {
        struct mp_out o;
        mp_out_init(&o, in->opt.text_fd);
        o.lines = 1;
        mp_text_write(&ctx, &o);
        if (mp_out_close(&o)) {
            char ebuf[256];
            say("memplumber: error: cannot write the text report to file descriptor %d: %s\n",
                in->opt.text_fd, strerror_r(errno, ebuf, sizeof ebuf));
            rc = -1;
        }
    } else {
        mp_report_supp_unused(&ctx, NULL, NULL);
    }
    if (write_file(&ctx, in->opt.json_path, "JSON", mp_json_write))
        rc = -1;
    if (write_file(&ctx, in->opt.sarif_path, "SARIF", mp_sarif_write))
        rc = -1;
    if (write_file(&ctx, in->opt.html_path, "HTML", mp_html_write))
        rc = -1;
    if (write_file(&ctx, in->opt.pprof_path, "pprof", mp_pprof_write))
        rc = -1;
    if (write_file(&ctx, in->opt.xml_path, "XML", mp_xml_write))
        rc = -1;
    if (in->opt.xml_fd >= 0) {
        struct mp_out o;
        mp_out_init(&o, in->opt.xml_fd);
        mp_xml_write(&ctx, &o);
        if (mp_out_close(&o)) {
            char ebuf[256];
            say("memplumber: error: cannot write the XML report to file descriptor %d: %s\n",
                in->opt.xml_fd, strerror_r(errno, ebuf, sizeof ebuf));
            rc = -1;
        }
    }
    mp_report_ctx_free(&ctx);
    pthread_mutex_unlock(&report_lock);
    return rc;
}

MP_EXPORT int mp_report_error_now(const struct mp_report_input *in,
                                  const struct mp_error_record *err)
{
    if (check_input(in))
        return -1;
    if (!err || in->opt.text_fd < 0)
        return 0;
    pthread_mutex_lock(&report_lock);
    mp_report_err_fd = in->opt.err_fd;
    struct mp_report_ctx ctx;
    int rc = 0;
    if (mp_report_ctx_init(&ctx, in)) {
        say("memplumber: error: out of memory while reporting a heap error\n");
        rc = -1;
    } else {
        if (!mp_report_supp_error_suppressed(&ctx, err)) {
            /* --baseline: say whether this error is new (err is not in in->errors: mark it
             * through a one-error view of the input) */
            struct mp_report_input one;
            const struct mp_report_input *saved = ctx.in;
            if (in->opt.baseline && in->opt.baseline[0]) {
                one = *ctx.in;
                one.records = NULL;
                one.nrecords = 0;
                one.errors = err;
                one.nerrors = 1;
                ctx.in = &one;
                size_t norder = ctx.norder;
                ctx.norder = 0;
                mp_report_baseline_apply(&ctx);
                ctx.norder = norder;
            }
            struct mp_out o;
            mp_out_init(&o, in->opt.text_fd);
            o.lines = 1;
            mp_text_write_error(&ctx, &o, err);
            rc = mp_out_close(&o) ? -1 : 1;
            ctx.in = saved;
        }
        mp_report_ctx_free(&ctx);
    }
    pthread_mutex_unlock(&report_lock);
    return rc;
}
