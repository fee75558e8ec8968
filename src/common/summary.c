/* One writer of the text report's summary (see summary.h). mp_fmt and the caller's sink only. */
#include "common/summary.h"

#include <stdarg.h>
#include <string.h>

#include "common/fmt.h"
#include "common/kinds.h"

struct line {
    char buf[1024];
    size_t at;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = l->at < sizeof l->buf ? sizeof l->buf - l->at : 0;
    size_t n = mp_vfmt(l->buf + l->at, room, fmt, ap);
    va_end(ap);
    l->at += n < room ? n : (room ? room - 1 : 0);
}

/* Names may hold anything: keep one line one line. */
static void add_clean(struct line *l, const char *s)
{
    for (; *s && l->at + 1 < sizeof l->buf; s++)
        l->buf[l->at++] = (unsigned char)*s < 0x20 ? '?' : *s;
    l->buf[l->at] = 0;
}

static void begin(const struct mp_summary *s, struct line *l)
{
    l->at = 0;
    l->buf[0] = 0;
    if (s->prefix_pid)
        add(l, "==%d== ", s->pid);
}

static void end(struct line *l, mp_summary_put_fn put, void *sink)
{
    if (l->at + 1 >= sizeof l->buf)
        l->at = sizeof l->buf - 2;
    l->buf[l->at++] = '\n';
    put(sink, l->buf, l->at);
}

static void empty(const struct mp_summary *s, mp_summary_put_fn put, void *sink)
{
    struct line l;
    l.at = 0;
    if (s->prefix_pid)
        add(&l, "==%d==", s->pid);
    end(&l, put, sink);
}

static void add_increase(struct line *l, int64_t d)
{
    add(l, d < 0 ? " (-%'llu)" : " (+%'llu)", (unsigned long long)(d < 0 ? -(uint64_t)d : (uint64_t)d));
}

void mp_summary_from_model(struct mp_summary *s, const struct mp_report_input *in)
{
    memset(s, 0, sizeof *s);
    s->pid = in->pid;
    s->prefix_pid = in->opt.text_prefix_pid;
    s->reason = in->reason;
    s->unsymbolized = in->opt.unsymbolized;
    s->leak_check = in->opt.leak_check;
    s->verbosity = in->opt.verbosity;
    s->only_new = in->only_new;
    s->prev_seq = in->prev_seq;
    s->min_age_s = in->min_age_s;
    memcpy(s->lost, in->lost, sizeof s->lost);
    memcpy(s->lost_increase, in->lost_increase, sizeof s->lost_increase);
    s->suppressed = in->suppressed;
    memcpy(s->heuristic, in->heuristic, sizeof s->heuristic);
    s->in_use = in->suppressed;
    for (int k = 0; k < MP_LEAK_NKINDS; k++) {
        s->in_use.bytes += in->lost[k].bytes;
        s->in_use.blocks += in->lost[k].blocks;
    }
    s->total_allocated = in->total_allocated;
    s->total_freed = in->total_freed;
    s->errors = in->error_count;
    s->error_contexts = in->errors ? in->nerrors : 0;
}

/* A report at the end of the process (exit, fatal signal), not one asked for while it runs. */
static int at_exit(const struct mp_summary *s)
{
    return !s->reason || !s->reason[0] || !strcmp(s->reason, "exit") ||
           !strncmp(s->reason, "fatal signal", 12);
}

/* valgrind's escaping of the command line: bytes outside printable ASCII become '_', and a
 * space, backslash, '<' or '>' gets a backslash before it. A command line longer than the line
 * buffer goes to the sink in pieces (the line stays whole: valgrind writes all of it; it used to
 * be cut at about 1,000 bytes, in the middle of an argument). */
static void add_arg(struct line *l, const char *a, mp_summary_put_fn put, void *sink)
{
    for (; *a; a++) {
        if (l->at + 3 >= sizeof l->buf) {
            put(sink, l->buf, l->at);
            l->at = 0;
        }
        unsigned char c = (unsigned char)*a;
        if (c < 32 || c > 127)
            c = '_';
        if (c == ' ' || c == '\\' || c == '<' || c == '>')
            l->buf[l->at++] = '\\';
        l->buf[l->at++] = (char)c;
    }
    l->buf[l->at] = 0;
}

void mp_summary_preamble(const struct mp_summary *s, int argc, char *const *argv,
                         mp_summary_put_fn put, void *sink)
{
    if (!s->verbosity)
        return;
    struct line l;
    begin(s, &l);
    add(&l, "memplumber, a memory leak detector");
    end(&l, put, sink);
    begin(s, &l);
    add(&l, "Command:");
    for (int i = 0; argv && i < argc && argv[i]; i++) {
        if (l.at + 2 >= sizeof l.buf) {
            put(sink, l.buf, l.at);
            l.at = 0;
        }
        l.buf[l.at++] = ' ';
        add_arg(&l, argv[i], put, sink);
    }
    end(&l, put, sink);
    empty(s, put, sink);
}

void mp_summary_head(const struct mp_summary *s, mp_summary_put_fn put, void *sink)
{
    struct line l;
    if (s->verbosity)
        empty(s, put, sink);
    if (s->reason && s->reason[0] && strcmp(s->reason, "exit") != 0) {
        begin(s, &l);
        add(&l, "memplumber report (");
        add_clean(&l, s->reason);
        add(&l, ")");
        end(&l, put, sink);
        empty(s, put, sink);
    }
    if (s->unsymbolized) {
        begin(s, &l);
        add(&l, "Stacks are not symbolized (");
        add_clean(&l, s->unsymbolized);
        add(&l, "): frames are shown as module+offset");
        end(&l, put, sink);
        empty(s, put, sink);
    }
    if (s->only_new || s->min_age_s) {
        begin(s, &l);
        if (s->only_new && s->prev_seq)
            add(&l, "Loss records new or grown since report %u of this process", (unsigned)s->prev_seq);
        else if (s->only_new)
            add(&l, "Loss records new since the start (no previous check)");
        else
            add(&l, "Loss records");
        if (s->min_age_s)
            add(&l, "%s blocks allocated at least %llu s ago", s->only_new ? ", counting" : " count only",
                (unsigned long long)s->min_age_s);
        end(&l, put, sink);
        empty(s, put, sink);
    }
    if (!s->verbosity)
        return;
    begin(s, &l);
    add(&l, "HEAP SUMMARY:");
    end(&l, put, sink);
    begin(s, &l);
    add(&l, "%s%'llu bytes in %'llu blocks", at_exit(s) ? "    in use at exit: " : "        in use now: ",
        (unsigned long long)s->in_use.bytes, (unsigned long long)s->in_use.blocks);
    end(&l, put, sink);
    begin(s, &l);
    add(&l, "  total heap usage: %'llu allocs, %'llu frees, %'llu bytes allocated",
        (unsigned long long)s->total_allocated.blocks, (unsigned long long)s->total_freed.blocks,
        (unsigned long long)s->total_allocated.bytes);
    end(&l, put, sink);
    empty(s, put, sink);
}

void mp_summary_hidden(const struct mp_summary *s, mp_summary_put_fn put, void *sink)
{
    if (!s->hidden_records || !s->verbosity)
        return;
    struct line l;
    begin(s, &l);
    add(&l, "%zu loss record%s of kinds not shown (%'llu bytes); to see them, rerun with "
            "--show-leak-kinds=all",
        s->hidden_records, s->hidden_records == 1 ? "" : "s", (unsigned long long)s->hidden_bytes);
    end(&l, put, sink);
    empty(s, put, sink);
}

static void count_line(const struct mp_summary *s, const char *label, const struct mp_count *c,
                       const struct mp_count *inc, mp_summary_put_fn put, void *sink)
{
    struct line l;
    begin(s, &l);
    add(&l, "%s%'llu", label, (unsigned long long)c->bytes);
    if (inc)
        add_increase(&l, (int64_t)inc->bytes);
    add(&l, " bytes in %'llu", (unsigned long long)c->blocks);
    if (inc)
        add_increase(&l, (int64_t)inc->blocks);
    add(&l, " blocks");
    end(&l, put, sink);
}

void mp_summary_counts(const struct mp_summary *s, mp_summary_put_fn put, void *sink)
{
    struct line l;
    if (!s->verbosity)
        return;
    if (s->leak_check < 1) {
        /* valgrind writes this at verbosity 1 only */
        if (s->verbosity == 1) {
            begin(s, &l);
            add(&l, "For a detailed leak analysis, rerun with: --leak-check=full");
            end(&l, put, sink);
            empty(s, put, sink);
        }
        return;
    }
    if (!s->in_use.blocks && !s->only_new && !s->min_age_s) {
        begin(s, &l);
        add(&l, "All heap blocks were freed -- no leaks are possible");
        end(&l, put, sink);
        empty(s, put, sink);
        return;
    }
    begin(s, &l);
    add(&l, "LEAK SUMMARY:");
    end(&l, put, sink);
    static const char *const labels[MP_LEAK_NKINDS] = {
        [MP_LEAK_DEFINITE] = "   definitely lost: ", [MP_LEAK_INDIRECT] = "   indirectly lost: ",
        [MP_LEAK_POSSIBLE] = "     possibly lost: ", [MP_LEAK_REACHABLE] = "   still reachable: "};
    for (int k = 0; k < MP_LEAK_NKINDS; k++)
        count_line(s, labels[k], &s->lost[k], s->only_new ? &s->lost_increase[k] : NULL, put, sink);
    /* valgrind's lines under "still reachable" when some block was reached through a heuristic:
     *     of which reachable via heuristic:
     *       newarray           : 72 bytes in 1 blocks */
    int any_heur = 0;
    for (unsigned h = 0; h < MP_HEUR_N; h++)
        any_heur |= s->heuristic[h].blocks != 0;
    if (any_heur) {
        begin(s, &l);
        add(&l, "                      of which reachable via heuristic:");
        end(&l, put, sink);
        for (unsigned h = 0; h < MP_HEUR_N; h++) {
            if (!s->heuristic[h].blocks)
                continue;
            /* valgrind's "%-19s: " (mp_fmt has no string widths) */
            char label[64] = "                        ";
            size_t at = strlen(label), n = strlen(mp_heuristic_name(h));
            memcpy(label + at, mp_heuristic_name(h), n);
            for (at += n; n < 19; n++)
                label[at++] = ' ';
            memcpy(label + at, ": ", 3);
            count_line(s, label, &s->heuristic[h], NULL, put, sink);
        }
    }
    count_line(s, "        suppressed: ", &s->suppressed, NULL, put, sink);
    uint64_t shown_blocks = 0;
    for (int k = 0; k < MP_LEAK_NKINDS; k++)
        shown_blocks += s->lost[k].blocks;
    if (s->leak_check == 1 && shown_blocks) {
        begin(s, &l);
        add(&l, "Rerun with --leak-check=full to see details of leaked memory");
        end(&l, put, sink);
    }
    empty(s, put, sink);
}

void mp_summary_errors(const struct mp_summary *s, mp_summary_put_fn put, void *sink)
{
    struct line l;
    if (!s->verbosity)
        return;
    begin(s, &l);
    /* Plain numbers here, unlike the byte and block counts above: valgrind writes this line with
     * %u ("1500 errors"), and scripts and CI parse it with [0-9]+. */
    add(&l, "ERROR SUMMARY: %llu errors from %zu contexts (suppressed: %llu from %llu)",
        (unsigned long long)s->errors, s->error_contexts, (unsigned long long)s->supp_matched,
        (unsigned long long)s->supp_used);
    end(&l, put, sink);
}

int mp_summary_record_cmp(const struct mp_loss_record *x, const struct mp_loss_record *y)
{
    uint64_t tx = x->bytes + x->indirect_bytes, ty = y->bytes + y->indirect_bytes;
    if (tx != ty)
        return tx < ty ? -1 : 1;
    /* valgrind's states: Reachable < Possible < IndirectLeak < Unreached; ours run the other way
     * (kinds.h: definite 0 .. reachable 3). */
    if (x->kind != y->kind)
        return x->kind > y->kind ? -1 : 1;
    if (x->blocks != y->blocks)
        return x->blocks < y->blocks ? -1 : 1;
    if (x->stack != y->stack)
        return x->stack < y->stack ? -1 : 1;
    return 0;
}

void mp_summary_fd_flush(struct mp_summary_fd_sink *k)
{
    if (k->at && k->fd >= 0)
        mp_write_all(k->fd, k->buf, k->at);
    k->at = 0;
}

void mp_summary_fd_put(void *sink, const char *s, size_t n)
{
    struct mp_summary_fd_sink *k = sink;
    if (k->at + n > sizeof k->buf)
        mp_summary_fd_flush(k);
    if (n > sizeof k->buf) {
        if (k->fd >= 0)
            mp_write_all(k->fd, s, n);
        return;
    }
    memcpy(k->buf + k->at, s, n);
    k->at += n;
}
