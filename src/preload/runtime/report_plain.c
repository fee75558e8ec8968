/* The unsymbolized JSON report (see report_plain.h): the shape of src/report/json.c's, written
 * with mp_fmt into a buffered descriptor sink (common/summary.h), no allocation. */
#include "preload/runtime/report_plain.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fmt.h"
#include "common/kinds.h"
#include "common/repfile.h"
#include "common/summary.h"

static void put(struct mp_summary_fd_sink *k, const char *s)
{
    mp_summary_fd_put(k, s, strlen(s));
}

static void putf(struct mp_summary_fd_sink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct mp_summary_fd_sink *k, const char *fmt, ...)
{
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    size_t n = mp_vfmt(b, sizeof b, fmt, ap);
    va_end(ap);
    mp_summary_fd_put(k, b, n < sizeof b ? n : sizeof b - 1);
}

/* A JSON string (or null). Paths and arguments are bytes; JSON is UTF-8: a byte that is not
 * part of a UTF-8 sequence is written \ufffd, as the symbolized report does (else the whole
 * report fails to parse). */
static void put_str(struct mp_summary_fd_sink *k, const char *str)
{
    if (!str) {
        put(k, "null");
        return;
    }
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str), len;
    put(k, "\"");
    for (size_t i = 0; i < n; i += len) {
        unsigned char c = s[i];
        len = 1;
        if (c == '"' || c == '\\') {
            char e[3] = {'\\', (char)c, 0};
            put(k, e);
        } else if (c < 0x20) {
            putf(k, "\\u%04x", c);
        } else if (c < 0x80) {
            mp_summary_fd_put(k, str + i, 1);
        } else if ((len = mp_utf8_len(s + i, n - i)) != 0) {
            mp_summary_fd_put(k, str + i, len);
        } else {
            put(k, "\\ufffd");
            len = 1;
        }
    }
    put(k, "\"");
}

static const struct mp_module *module_of(const struct mp_report_input *in, uintptr_t pc, uint32_t gen)
{
    for (size_t i = 0; i < in->nmodules; i++) {
        const struct mp_module *m = &in->modules[i];
        if (gen == MP_GEN_AMBIGUOUS && pc >= m->lo && pc < m->hi && m->unload_gen)
            return NULL; /* code of two libraries at pc during the run */
        if (pc >= m->lo && pc < m->hi && (!m->unload_gen || gen < m->unload_gen))
            return m;
    }
    return NULL;
}

static void put_stack(struct mp_summary_fd_sink *k, const struct mp_report_input *in, uint32_t id)
{
    const struct mp_stack *st = id < in->nstacks ? &in->stacks[id] : NULL;
    uint32_t n = st && st->pcs ? st->n : 0;
    put(k, "[");
    for (uint32_t i = 0; i < n; i++) {
        uintptr_t pc = st->pcs[i] - 1; /* the call, as in the symbolized report */
        const struct mp_module *m = module_of(in, pc, st->gen);
        putf(k, "%s{\"pc\": \"0x%lx\", \"function\": null, \"file\": null, \"line\": null, \"module\": ",
             i ? ",\n      " : "\n      ", (unsigned long)pc);
        put_str(k, m && m->path[0] ? m->path : NULL);
        if (m)
            putf(k, ", \"offset\": \"0x%lx\"", (unsigned long)(pc - m->base));
        put(k, ", \"inlined\": false}");
    }
    put(k, n ? "\n    ]" : "]");
}

static void put_count(struct mp_summary_fd_sink *k, const char *name, const struct mp_count *c)
{
    putf(k, "    \"%s\": {\"bytes\": %llu, \"blocks\": %llu},\n", name, (unsigned long long)c->bytes,
         (unsigned long long)c->blocks);
}

int mp_report_plain_json(const struct mp_report_input *in, const struct mp_loss_record *recs,
                         size_t nrecs, const char *path, const char *why, char *err, size_t errlen)
{
    char tmp[4096];
    int fd = mp_open_report_tmp(path, in->opt.report_mode, tmp, sizeof tmp); /* see repfile.h */
    const int via_tmp = fd >= 0;
    if (!via_tmp)
        fd = mp_open_report_file(path, MP_REPFILE_WHOLE, in->opt.report_mode, err, errlen);
    if (fd < 0)
        return -1;
    struct mp_summary_fd_sink k;
    k.fd = fd;
    k.at = 0;
    putf(&k, "{\n  \"format\": \"memplumber-report\",\n  \"version\": 1,\n  \"pid\": %d,\n"
             "  \"report_seq\": %u,\n  \"unsymbolized\": ", in->pid, (unsigned)in->report_seq);
    put_str(&k, why);
    put(&k, ",\n  \"command\": [");
    for (int i = 0; in->argv && i < in->argc; i++) {
        if (i)
            put(&k, ", ");
        put_str(&k, in->argv[i] ? in->argv[i] : "");
    }
    put(&k, "],\n  \"summary\": {\n");
    for (unsigned kd = 0; kd < MP_LEAK_NKINDS; kd++)
        put_count(&k, mp_leak_kind_name(kd), &in->lost[kd]);
    put_count(&k, "suppressed", &in->suppressed);
    put_count(&k, "total_allocated", &in->total_allocated);
    put_count(&k, "total_freed", &in->total_freed);
    putf(&k, "    \"errors\": %llu\n  },\n  \"only_new\": %s,\n", (unsigned long long)in->error_count,
         in->only_new ? "true" : "false");
    if (in->only_new)
        putf(&k, "  \"new_since_report\": %u,\n", (unsigned)in->prev_seq);
    putf(&k, "  \"min_age_s\": %llu,\n  \"baseline\": null,\n  \"leaks\": [",
         (unsigned long long)in->min_age_s);
    for (size_t i = 0; recs && i < nrecs; i++) {
        const struct mp_loss_record *r = &recs[i];
        put(&k, i ? ",\n    {\"kind\": " : "\n    {\"kind\": ");
        put_str(&k, mp_leak_kind_name(r->kind));
        putf(&k, ", \"bytes\": %llu, \"blocks\": %llu, \"allocator\": ", (unsigned long long)r->bytes,
             (unsigned long long)r->blocks);
        put_str(&k, mp_alloc_kind_name(r->allocator));
        putf(&k, ", \"oldest_age_s\": %llu, \"newest_age_s\": %llu", (unsigned long long)r->oldest_age_s,
             (unsigned long long)r->newest_age_s);
        if (in->only_new)
            putf(&k, ", \"bytes_increase\": %lld, \"blocks_increase\": %lld", (long long)r->bytes_increase,
                 (long long)r->blocks_increase);
        put(&k, ", \"stack\": ");
        put_stack(&k, in, r->stack);
        put(&k, "}");
    }
    put(&k, recs && nrecs ? "\n  ],\n  \"errors\": [" : "],\n  \"errors\": [");
    size_t nerr = in->errors ? in->nerrors : 0;
    for (size_t i = 0; i < nerr; i++) {
        const struct mp_error_record *e = &in->errors[i];
        put(&k, i ? ",\n    {\"kind\": " : "\n    {\"kind\": ");
        put_str(&k, mp_error_kind_name(e->kind));
        putf(&k, ", \"address\": \"0x%lx\", \"count\": %llu", (unsigned long)e->address,
             (unsigned long long)e->count);
        if (e->size)
            putf(&k, ", \"size\": %llu", (unsigned long long)e->size);
        static const char *const names[] = {"stack", "alloc_stack", "free_stack"};
        const uint32_t stacks[] = {e->stack, e->alloc_stack, e->free_stack};
        for (int s = 0; s < 3; s++) {
            if (!stacks[s])
                continue;
            putf(&k, ", \"%s\": ", names[s]);
            put_stack(&k, in, stacks[s]);
        }
        put(&k, "}");
    }
    put(&k, nerr ? "\n  ],\n" : "],\n");
    putf(&k, "  \"snapshot_interval_s\": %llu,\n  \"snapshots\": [", (unsigned long long)in->snapshot_interval_s);
    size_t ns = in->snapshots ? in->nsnapshots : 0;
    for (size_t i = 0; i < ns; i++) {
        const struct mp_snapshot *sn = &in->snapshots[i];
        putf(&k, "%s{\"t\": %llu.%03llu, \"live_bytes\": %llu, \"live_blocks\": %llu}", i ? ",\n    " : "\n    ",
             (unsigned long long)(sn->t_ms / 1000), (unsigned long long)(sn->t_ms % 1000),
             (unsigned long long)sn->live_bytes, (unsigned long long)sn->live_blocks);
    }
    put(&k, ns ? "\n  ],\n  \"growth\": [" : "],\n  \"growth\": [");
    size_t ng = in->growth ? in->ngrowth : 0;
    for (size_t i = 0; i < ng; i++) {
        const struct mp_growth *g = &in->growth[i];
        unsigned long long whole = (unsigned long long)g->bytes_per_second;
        unsigned milli = (unsigned)((g->bytes_per_second - (double)whole) * 1000.0);
        putf(&k, "%s{\"bytes_per_second\": %llu.%03u, \"live_bytes\": %llu, \"live_blocks\": %llu, \"stack\": ",
             i ? ",\n    " : "\n    ", whole, milli > 999 ? 999 : milli, (unsigned long long)g->live_bytes,
             (unsigned long long)g->live_blocks);
        put_stack(&k, in, g->stack);
        put(&k, "}");
    }
    put(&k, ng ? "\n  ]\n}\n" : "]\n}\n");
    mp_summary_fd_flush(&k);
    syscall(SYS_close, fd);
    if (via_tmp && mp_commit_report_tmp(tmp, path)) {
        mp_fmt(err, errlen, "%s", strerrordesc_np(errno));
        return -1;
    }
    return 0;
}
