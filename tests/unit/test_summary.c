// SOURCES: src/common/summary.c src/common/fmt.c
/* The one summary writer (src/common/summary.c) used by the report library's text report and by
 * the preload library when it writes the report itself: valgrind's lines, exactly; the reason
 * line only for reports other than "exit"; the line saying why stacks are not symbolized; the
 * growth of each count in a report of what is new; the hidden-records line only when records
 * were hidden; no "Rerun" advice under leak_check=full; the HEAP SUMMARY ("in use at exit" counts
 * the suppressed blocks too); "All heap blocks were freed" instead of a LEAK SUMMARY when no block
 * is in use; leak_check=no's advice and no LEAK SUMMARY; nothing but the notes at verbosity 0
 * (-q); the preamble's "Command:" line escaped as valgrind escapes it, whole however long it
 * is; valgrind's loss record
 * order (cmp_LossRecords: total, then kind, then blocks); the fd sink writes everything, also
 * more than its buffer, and writes nothing to a descriptor of -1. */
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
    in.opt.verbosity = 1;
    in.opt.leak_check = 1;
    in.lost[MP_LEAK_DEFINITE] = (struct mp_count){1234567, 3};
    in.lost[MP_LEAK_REACHABLE] = (struct mp_count){10, 1};
    in.total_allocated = (struct mp_count){2000000, 9};
    in.total_freed = (struct mp_count){0, 5};
    in.suppressed = (struct mp_count){100, 2};
    struct mp_summary s;
    mp_summary_from_model(&s, &in);
    s.errors = 2;
    s.error_contexts = 1;
    struct buf b;
    all(&s, &b);
    CHECK_STR(b.s, "==42==\n"
                   "==42== HEAP SUMMARY:\n"
                   "==42==     in use at exit: 1,234,677 bytes in 6 blocks\n"
                   "==42==   total heap usage: 9 allocs, 5 frees, 2,000,000 bytes allocated\n"
                   "==42==\n"
                   "==42== LEAK SUMMARY:\n"
                   "==42==    definitely lost: 1,234,567 bytes in 3 blocks\n"
                   "==42==    indirectly lost: 0 bytes in 0 blocks\n"
                   "==42==      possibly lost: 0 bytes in 0 blocks\n"
                   "==42==    still reachable: 10 bytes in 1 blocks\n"
                   "==42==         suppressed: 100 bytes in 2 blocks\n"
                   "==42== Rerun with --leak-check=full to see details of leaked memory\n"
                   "==42==\n"
                   "==42== ERROR SUMMARY: 2 errors from 1 contexts (suppressed: 0 from 0)\n");

    /* only reachable blocks: still the advice to rerun (valgrind counts them too) */
    struct mp_report_input r1 = in;
    r1.lost[MP_LEAK_DEFINITE] = (struct mp_count){0, 0};
    mp_summary_from_model(&s, &r1);
    all(&s, &b);
    CHECK(strstr(b.s, "==42==         suppressed: 100 bytes in 2 blocks\n"
                      "==42== Rerun with --leak-check=full to see details of leaked memory\n") != NULL,
          "rerun advice with reachable blocks only");

    /* nothing in use at exit: valgrind's "no leaks are possible", no LEAK SUMMARY */
    struct mp_report_input z = in;
    memset(z.lost, 0, sizeof z.lost);
    z.suppressed = (struct mp_count){0, 0};
    z.total_freed = z.total_allocated;
    mp_summary_from_model(&s, &z);
    all(&s, &b);
    CHECK_STR(b.s, "==42==\n"
                   "==42== HEAP SUMMARY:\n"
                   "==42==     in use at exit: 0 bytes in 0 blocks\n"
                   "==42==   total heap usage: 9 allocs, 9 frees, 2,000,000 bytes allocated\n"
                   "==42==\n"
                   "==42== All heap blocks were freed -- no leaks are possible\n"
                   "==42==\n"
                   "==42== ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)\n");

    /* leak_check=no: HEAP SUMMARY and valgrind's advice, no LEAK SUMMARY */
    struct mp_report_input no = in;
    no.opt.leak_check = 0;
    mp_summary_from_model(&s, &no);
    all(&s, &b);
    CHECK_STR(b.s, "==42==\n"
                   "==42== HEAP SUMMARY:\n"
                   "==42==     in use at exit: 1,234,677 bytes in 6 blocks\n"
                   "==42==   total heap usage: 9 allocs, 5 frees, 2,000,000 bytes allocated\n"
                   "==42==\n"
                   "==42== For a detailed leak analysis, rerun with: --leak-check=full\n"
                   "==42==\n"
                   "==42== ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)\n");

    /* -q (verbosity 0): no summary line at all, in every mode */
    for (int lc = 0; lc <= 2; lc++) {
        struct mp_report_input q = in;
        q.opt.verbosity = 0;
        q.opt.leak_check = lc;
        mp_summary_from_model(&s, &q);
        s.hidden_records = 1;
        all(&s, &b);
        CHECK_STR(b.s, "");
        b.n = 0;
        b.s[0] = 0;
        char *argv[] = {"./prog", NULL};
        mp_summary_preamble(&s, 1, argv, put, &b);
        CHECK_STR(b.s, "");
    }

    /* the preamble: memplumber's name (not valgrind's), the command line escaped as valgrind
     * escapes it (space, backslash, < and > get a backslash; bytes outside ASCII become '_') */
    {
        mp_summary_from_model(&s, &in);
        b.n = 0;
        b.s[0] = 0;
        char *argv[] = {"./prog", "a b", "c\\d", "<in>", "\xc3\xa9\t", NULL};
        mp_summary_preamble(&s, 5, argv, put, &b);
        CHECK_STR(b.s, "==42== memplumber, a memory leak detector\n"
                       "==42== Command: ./prog a\\ b c\\\\d \\<in\\> ___\n"
                       "==42==\n");
    }

    /* a command line longer than the line buffer (1 KiB) is written whole, as valgrind does:
     * 400 arguments, the longest escaped ones ending the line */
    {
        mp_summary_from_model(&s, &in);
        b.n = 0;
        b.s[0] = 0;
        static char args[400][8];
        char *argv[402];
        char want[8192] = "==42== Command: ./prog";
        argv[0] = "./prog";
        for (int i = 0; i < 400; i++) {
            snprintf(args[i], sizeof args[i], i < 395 ? "%d" : "a b<%d", i);
            argv[i + 1] = args[i];
            size_t at = strlen(want);
            snprintf(want + at, sizeof want - at, i < 395 ? " %d" : " a\\ b\\<%d", i);
        }
        argv[401] = NULL;
        strcat(want, "\n==42==\n");
        mp_summary_preamble(&s, 401, argv, put, &b);
        const char *cmd = strstr(b.s, "==42== Command:");
        CHECK(cmd && !strcmp(cmd, want), "the long command line: %s", cmd ? cmd + strlen(cmd) - 60 : "none");
    }

    /* valgrind's loss record order: total bytes, then reachable < possible < indirect <
     * definite, then fewer blocks first, then the older stack */
    {
        struct mp_loss_record def = {.kind = MP_LEAK_DEFINITE, .bytes = 16, .indirect_bytes = 16, .blocks = 1, .stack = 1};
        struct mp_loss_record pos = {.kind = MP_LEAK_POSSIBLE, .bytes = 32, .blocks = 1, .stack = 2};
        struct mp_loss_record reach = {.kind = MP_LEAK_REACHABLE, .bytes = 32, .blocks = 4, .stack = 3};
        struct mp_loss_record ind = {.kind = MP_LEAK_INDIRECT, .bytes = 32, .blocks = 1, .stack = 4};
        struct mp_loss_record small = {.kind = MP_LEAK_DEFINITE, .bytes = 8, .blocks = 9, .stack = 5};
        CHECK(mp_summary_record_cmp(&pos, &def) < 0 && mp_summary_record_cmp(&def, &pos) > 0,
              "possible before definite at equal totals");
        CHECK(mp_summary_record_cmp(&reach, &pos) < 0, "reachable before possible, blocks ignored");
        CHECK(mp_summary_record_cmp(&pos, &ind) < 0 && mp_summary_record_cmp(&ind, &def) < 0,
              "possible < indirect < definite");
        CHECK(mp_summary_record_cmp(&small, &reach) < 0, "smaller total first");
        struct mp_loss_record pos2 = pos;
        pos2.blocks = 2;
        pos2.stack = 0;
        CHECK(mp_summary_record_cmp(&pos, &pos2) < 0, "fewer blocks first");
        pos2.blocks = 1;
        CHECK(mp_summary_record_cmp(&pos2, &pos) < 0 && mp_summary_record_cmp(&pos, &pos) == 0,
              "older stack first");
    }

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
                   "HEAP SUMMARY:\n"
                   "        in use now: 1,234,677 bytes in 6 blocks\n"
                   "  total heap usage: 9 allocs, 5 frees, 2,000,000 bytes allocated\n"
                   "\n"
                   "1 loss record of kinds not shown (10 bytes); to see them, rerun with --show-leak-kinds=all\n"
                   "\n"
                   "LEAK SUMMARY:\n"
                   "   definitely lost: 1,234,567 (+1,000) bytes in 3 (+1) blocks\n"
                   "   indirectly lost: 0 (+0) bytes in 0 (+0) blocks\n"
                   "     possibly lost: 0 (+0) bytes in 0 (+0) blocks\n"
                   "   still reachable: 10 (+0) bytes in 1 (+0) blocks\n"
                   "        suppressed: 100 bytes in 2 blocks\n"
                   "\n"
                   "ERROR SUMMARY: 0 errors from 0 contexts (suppressed: 0 from 0)\n");

    /* a report at a fatal signal is at exit too; the notes stay at verbosity 0 */
    in.reason = "fatal signal 11 (SIGSEGV)";
    in.only_new = 0;
    in.opt.unsymbolized = NULL;
    mp_summary_from_model(&s, &in);
    all(&s, &b);
    CHECK(strstr(b.s, "    in use at exit: 1,234,677 bytes in 6 blocks\n") != NULL, "fatal: at exit");
    in.opt.verbosity = 0;
    mp_summary_from_model(&s, &in);
    all(&s, &b);
    CHECK_STR(b.s, "memplumber report (fatal signal 11 (SIGSEGV))\n\n");

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
