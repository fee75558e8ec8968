// SOURCES: src/common/summary.c src/common/fmt.c
/* The one summary writer (src/common/summary.c) used by the report library's text report and by
 * the preload library when it writes the report itself: valgrind's lines, exactly; the reason
 * line only for reports other than "exit"; the line saying why stacks are not symbolized; the
 * growth of each count in a report of what is new; the hidden-records line only when records
 * were hidden; no "Rerun" advice under leak_check=full; the fd sink writes everything, also more
 * than its buffer, and writes nothing to a descriptor of -1. */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "common/kinds.h"
#include "common/summary.h"

struct buf {
    char s[16384];
    size_t n;
};

static void put(void *sink, const char *s, size_t n)
{
    struct buf *b = sink;
    if (b->n + n < sizeof b->s) {
        memcpy(b->s + b->n, s, n);
        b->n += n;
        b->s[b->n] = 0;
    }
}

static void all(const struct mp_summary *s, struct buf *b)
{
    b->n = 0;
    b->s[0] = 0;
    mp_summary_head(s, put, b);
    mp_summary_hidden(s, put, b);
    mp_summary_counts(s, put, b);
    mp_summary_errors(s, put, b);
}

int main(void)
{
    struct mp_report_input in;
    memset(&in, 0, sizeof in);
    in.pid = 42;
    in.reason = "exit";
    in.opt.text_prefix_pid = 1;
    in.opt.leak_check = 1;
    in.lost[MP_LEAK_DEFINITE] = (struct mp_count){1234567, 3};
    in.lost[MP_LEAK_REACHABLE] = (struct mp_count){10, 1};
    in.total_allocated = (struct mp_count){2000000, 9};
    in.total_freed = (struct mp_count){0, 5};
    struct mp_summary s;
    mp_summary_from_model(&s, &in);
    s.errors = 2;
    s.error_contexts = 1;
    struct buf b;
    all(&s, &b);
    CHECK_STR(b.s, "==42==\n"
                   "==42== Rerun with --leak-check=full to see details of leaked memory\n"
                   "==42==\n"
                   "==42== LEAK SUMMARY:\n"
                   "==42==    definitely lost: 1,234,567 bytes in 3 blocks\n"
                   "==42==    indirectly lost: 0 bytes in 0 blocks\n"
                   "==42==      possibly lost: 0 bytes in 0 blocks\n"
                   "==42==    still reachable: 10 bytes in 1 blocks\n"
                   "==42==         suppressed: 0 bytes in 0 blocks\n"
                   "==42== total heap usage: 9 allocs, 5 frees, 2,000,000 bytes allocated\n"
                   "==42== ERROR SUMMARY: 2 errors from 1 contexts (suppressed: 0 from 0)\n");

    /* full, on demand, new records only, unsymbolized, hidden records, no pid prefix */
    in.opt.leak_check = 2;
    in.opt.text_prefix_pid = 0;
    in.reason = "sig\nnal";
    in.opt.unsymbolized = "the report library could not be loaded";
    in.only_new = 1;
    in.prev_seq = 3;
    in.lost_increase[MP_LEAK_DEFINITE] = (struct mp_count){1000, 1};
    mp_summary_from_model(&s, &in);
    s.hidden_records = 1;
    s.hidden_bytes = 10;
    all(&s, &b);
    CHECK_STR(b.s, "\n"
                   "memplumber report (sig?nal)\n"
                   "\n"
                   "Stacks are not symbolized (the report library could not be loaded): frames are shown as module+offset\n"
                   "\n"
                   "Loss records new or grown since report 3 of this process\n"
                   "\n"
                   "1 loss record of kinds not shown (10 bytes); to see them, rerun with --show-leak-kinds=all\n"
                   "\n"
                   "LEAK SUMMARY:\n"
                   "   definitely lost: 1,234,567 (+1,000) bytes in 3 (+1) blocks\n"
                   "   indirectly lost: 0 (+0) bytes in 0 (+0) blocks\n"
                   "     possibly lost: 0 (+0) bytes in 0 (+0) blocks\n"
                   "   still reachable: 10 (+0) bytes in 1 (+0) blocks\n"
                   "        suppressed: 0 bytes in 0 blocks\n"
                   "total heap usage: 9 allocs, 5 frees, 2,000,000 bytes allocated\n"
                   "ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)\n");

    /* the fd sink: everything arrives, in order, also past its buffer */
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    struct mp_summary_fd_sink k;
    k.fd = p[1];
    k.at = 0;
    char big[6000];
    memset(big, 'x', sizeof big);
    mp_summary_fd_put(&k, "ab", 2);
    mp_summary_fd_put(&k, big, sizeof big);
    mp_summary_fd_put(&k, "cd", 2);
    mp_summary_fd_flush(&k);
    close(p[1]);
    static char got[8000];
    size_t n = 0;
    for (ssize_t r; (r = read(p[0], got + n, sizeof got - n)) > 0;)
        n += (size_t)r;
    CHECK_UL(n, 6004);
    CHECK(!memcmp(got, "ab", 2) && got[2] == 'x' && got[6001] == 'x' && !memcmp(got + 6002, "cd", 2),
          "order kept");
    k.fd = -1;
    mp_summary_fd_put(&k, "zz", 2);
    mp_summary_fd_flush(&k);
    CHECK_UL(k.at, 0);
    return CHECK_DONE();
}
