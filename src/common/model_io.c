/* The model as a byte stream (see model_io.h). One walker, walk(), reads or writes every field
 * in the same order; scalars are copied as they are in memory (same build on both sides),
 * strings as length + bytes, arrays as count + elements, pointers inside arrays (stack pcs,
 * module paths, argv) one by one. */
#include "common/model_io.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fmt.h"

#define MAGIC 0x314c444f4d504dULL /* "MPMODL1" */

struct io {
    int reading;
    /* writing */
    int fd;
    char buf[4096];
    size_t at;
    int err;
    /* reading */
    const unsigned char *src;
    size_t len, pos;
    void *(*alloc)(size_t);
    const char *bad; /* what did not fit */
};

static void flush(struct io *io)
{
    size_t off = 0;
    while (off < io->at && !io->err) {
        long w = syscall(SYS_write, io->fd, io->buf + off, io->at - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            io->err = w < 0 ? errno : EIO;
        else
            off += (size_t)w;
    }
    io->at = 0;
}

/* Copy n bytes between p and the stream. */
static void raw(struct io *io, void *p, size_t n, const char *what)
{
    if (io->reading) {
        if (io->bad)
            return;
        if (n > io->len - io->pos) {
            io->bad = what;
            return;
        }
        memcpy(p, io->src + io->pos, n);
        io->pos += n;
        return;
    }
    const char *c = p;
    while (n) {
        if (io->at == sizeof io->buf)
            flush(io);
        size_t k = sizeof io->buf - io->at < n ? sizeof io->buf - io->at : n;
        memcpy(io->buf + io->at, c, k);
        io->at += k;
        c += k;
        n -= k;
    }
}

#define FIELD(io, x) raw(io, &(x), sizeof(x), #x)

/* An array of n elements of size sz at *p (allocated when reading; n = 0 gives NULL). */
static void array(struct io *io, const void **p, size_t n, size_t sz, const char *what)
{
    if (!io->reading) {
        if (n)
            raw(io, (void *)*p, n * sz, what);
        return;
    }
    *p = NULL;
    if (!n || io->bad)
        return;
    if (n > (io->len - io->pos) / sz) {
        io->bad = what;
        return;
    }
    void *a = io->alloc(n * sz);
    if (!a) {
        io->bad = "memory";
        return;
    }
    raw(io, a, n * sz, what);
    *p = a;
}

/* A string: its length + 1 (0 for NULL), then the bytes with the NUL. */
static void string(struct io *io, const char **s, const char *what)
{
    uint64_t n = !io->reading && *s ? strlen(*s) + 1 : 0;
    if (!io->reading) {
        FIELD(io, n);
        if (n)
            raw(io, (void *)*s, n, what);
        return;
    }
    FIELD(io, n);
    const void *p = NULL;
    array(io, &p, n, 1, what);
    if (p && ((const char *)p)[n - 1])
        io->bad = what;
    *s = p;
}

static void walk(struct io *io, struct mp_report_input *in)
{
    uint64_t magic = MAGIC;
    uint32_t sizes[6] = {sizeof(struct mp_report_input), sizeof(struct mp_loss_record),
                         sizeof(struct mp_error_record), sizeof(struct mp_snapshot),
                         sizeof(struct mp_growth), sizeof(struct mp_module)};
    uint32_t got[6];
    memcpy(got, sizes, sizeof got);
    FIELD(io, magic);
    FIELD(io, in->abi);
    FIELD(io, got);
    if (io->reading && !io->bad && (magic != MAGIC || in->abi != MP_REPORT_ABI || memcmp(got, sizes, sizeof got))) {
        io->bad = "the header (written by another build of memplumber)";
        return;
    }
    FIELD(io, in->pid);
    FIELD(io, in->argc);
    for (int i = 0; i < in->argc && !io->bad; i++) {
        if (io->reading && i == 0) {
            if (in->argc < 0 || (size_t)in->argc > io->len) {
                io->bad = "argc";
                return;
            }
            in->argv = io->alloc(((size_t)in->argc + 1) * sizeof(char *));
            if (!in->argv) {
                io->bad = "memory";
                return;
            }
            ((char **)in->argv)[in->argc] = NULL;
        }
        string(io, (const char **)&in->argv[i], "argv");
    }
    string(io, &in->reason, "reason");
    FIELD(io, in->lost);
    FIELD(io, in->suppressed);
    FIELD(io, in->total_allocated);
    FIELD(io, in->total_freed);
    FIELD(io, in->error_count);

    FIELD(io, in->nrecords);
    array(io, (const void **)&in->records, in->nrecords, sizeof *in->records, "records");
    FIELD(io, in->nerrors);
    array(io, (const void **)&in->errors, in->nerrors, sizeof *in->errors, "errors");

    FIELD(io, in->nstacks);
    if (io->reading && !io->bad) {
        in->stacks = NULL;
        if (in->nstacks > io->len) {
            io->bad = "nstacks";
            return;
        }
        if (in->nstacks && !(in->stacks = io->alloc(in->nstacks * sizeof *in->stacks))) {
            io->bad = "memory";
            return;
        }
    }
    for (size_t i = 0; i < in->nstacks && !io->bad; i++) {
        struct mp_stack *s = (struct mp_stack *)&in->stacks[i];
        uint32_t n = io->reading ? 0 : s->pcs ? s->n : 0;
        FIELD(io, n);
        FIELD(io, s->gen);
        array(io, (const void **)&s->pcs, n, sizeof *s->pcs, "stack");
        if (io->reading)
            s->n = n;
    }
    FIELD(io, in->nmodules);
    if (io->reading && !io->bad) {
        in->modules = NULL;
        if (in->nmodules > io->len) {
            io->bad = "nmodules";
            return;
        }
        if (in->nmodules && !(in->modules = io->alloc(in->nmodules * sizeof *in->modules))) {
            io->bad = "memory";
            return;
        }
    }
    for (size_t i = 0; i < in->nmodules && !io->bad; i++) {
        struct mp_module *m = (struct mp_module *)&in->modules[i];
        string(io, &m->path, "module path");
        string(io, &m->file, "module file");
        FIELD(io, m->base);
        FIELD(io, m->lo);
        FIELD(io, m->hi);
        FIELD(io, m->unload_gen);
    }

    struct mp_report_options *o = &in->opt;
    FIELD(io, o->text_fd);
    string(io, &o->json_path, "json_path");
    string(io, &o->sarif_path, "sarif_path");
    string(io, &o->html_path, "html_path");
    string(io, &o->pprof_path, "pprof_path");
    FIELD(io, o->show_kinds);
    FIELD(io, o->leak_check);
    FIELD(io, o->leak_errors);
    FIELD(io, o->text_prefix_pid);
    string(io, &o->suppressions, "suppressions");
    FIELD(io, o->gen_suppressions);
    FIELD(io, o->verbosity);
    FIELD(io, o->show_below_main);
    string(io, &o->symbol_cache, "symbol_cache");
    FIELD(io, o->errors_kinds);
    string(io, &o->xml_path, "xml_path");
    FIELD(io, o->xml_fd);
    FIELD(io, o->err_fd);
    FIELD(io, o->report_mode);
    string(io, &o->unsymbolized, "unsymbolized");
    string(io, &o->sarif_root, "sarif_root");
    string(io, &o->baseline, "baseline");
    if (io->reading)
        o->result = NULL;

    FIELD(io, in->report_seq);
    FIELD(io, in->only_new);
    FIELD(io, in->prev_seq);
    FIELD(io, in->lost_increase);
    FIELD(io, in->heuristic);
    FIELD(io, in->min_age_s);
    FIELD(io, in->snapshots_on);
    FIELD(io, in->snapshot_interval_s);
    FIELD(io, in->nsnapshots);
    array(io, (const void **)&in->snapshots, in->nsnapshots, sizeof *in->snapshots, "snapshots");
    FIELD(io, in->ngrowth);
    array(io, (const void **)&in->growth, in->ngrowth, sizeof *in->growth, "growth");
    uint64_t end = MAGIC ^ 1;
    FIELD(io, end);
    if (io->reading && !io->bad && end != (MAGIC ^ 1))
        io->bad = "the end marker";
}

int mp_model_write(int fd, const struct mp_report_input *in)
{
    struct io io;
    memset(&io, 0, sizeof io);
    io.fd = fd;
    struct mp_report_input copy = *in;
    walk(&io, &copy);
    flush(&io);
    if (io.err) {
        errno = io.err;
        return -1;
    }
    return 0;
}

int mp_model_read(const void *buf, size_t len, struct mp_report_input *in, void *(*alloc)(size_t),
                  char *why, size_t whylen)
{
    struct io io;
    memset(&io, 0, sizeof io);
    io.reading = 1;
    io.src = buf;
    io.len = len;
    io.alloc = alloc;
    memset(in, 0, sizeof *in);
    walk(&io, in);
    if (io.bad) {
        mp_fmt(why, whylen, "the report model is damaged or short (at %s)", io.bad);
        return -1;
    }
    return 0;
}
