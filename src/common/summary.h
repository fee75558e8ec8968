/* The text report's summary lines, written by one writer for every path: the report library's
 * text report (report/text.c), the preload library's report when no loss record is printed, and
 * its report when the report library cannot be loaded. Allocation-free (mp_fmt, one line buffer
 * on the stack), so the preload library may use it at exit. The lines are valgrind memcheck's,
 * with its spacing and wording (scripts grep them):
 *     ==PID== HEAP SUMMARY:
 *     ==PID==     in use at exit: N bytes in M blocks
 *     ==PID==   total heap usage: A allocs, F frees, B bytes allocated
 *     ==PID== [loss records]  LEAK SUMMARY: ... | All heap blocks were freed -- no leaks are possible
 *     ==PID== ERROR SUMMARY: ...
 * With verbosity 0 (-q) none of them is written: as valgrind -q, only loss records and errors.
 * The caller writes whatever comes between the parts (loss records, the suppressions used). */
#ifndef MP_SUMMARY_H
#define MP_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "common/model.h"

struct mp_summary {
    int pid;
    int prefix_pid;             /* every line starts with "==PID== " */
    const char *reason;         /* "exit" (no header line) or why this report */
    const char *unsymbolized;   /* why stacks are not symbolized (a line says so); NULL: they are */
    int leak_check;             /* 0 no, 1 summary, 2 full */
    unsigned verbosity;         /* 0 (-q): no summary line at all */
    int only_new;               /* a report of what is new: counts show their growth */
    uint32_t prev_seq;
    uint64_t min_age_s;
    size_t hidden_records;      /* loss records of kinds not shown (leak_check 2) */
    uint64_t hidden_bytes;
    struct mp_count lost[4], lost_increase[4], suppressed;
    struct mp_count heuristic[4]; /* per enum mp_heuristic: "of which reachable via heuristic" */
    struct mp_count total_allocated, total_freed;
    struct mp_count in_use;     /* every live block: the four kinds and the suppressed */
    uint64_t errors;            /* ERROR SUMMARY: errors (occurrences and counted loss records) */
    size_t error_contexts;
    uint64_t supp_matched, supp_used;
};

/* Where the lines go: called with each finished line (or several). */
typedef void (*mp_summary_put_fn)(void *sink, const char *s, size_t n);

/* The fields that come straight from the model (the caller sets hidden_*, errors,
 * error_contexts and supp_* itself). */
void mp_summary_from_model(struct mp_summary *s, const struct mp_report_input *in);

/* The lines a process's text output starts with (valgrind's preamble, naming memplumber, not
 * valgrind): "memplumber, a memory leak detector", "Command: PROG ARGS" (arguments escaped as
 * valgrind escapes them), an empty line. Nothing with verbosity 0. */
void mp_summary_preamble(const struct mp_summary *s, int argc, char *const *argv,
                         mp_summary_put_fn put, void *sink);
/* The report's first lines: an empty line, the reason when not "exit", why stacks are not
 * symbolized, what a report of new records or of old blocks holds; then the HEAP SUMMARY (in
 * use at exit, total heap usage) and an empty line. With verbosity 0 only the notes (reason,
 * symbols, new records), without the empty line before them. */
void mp_summary_head(const struct mp_summary *s, mp_summary_put_fn put, void *sink);
/* "N loss records of kinds not shown" (when hidden_records; not with verbosity 0). */
void mp_summary_hidden(const struct mp_summary *s, mp_summary_put_fn put, void *sink);
/* After the loss records: leak_check 0, valgrind's "For a detailed leak analysis, rerun with:
 * --leak-check=full"; otherwise "All heap blocks were freed -- no leaks are possible" when no
 * block is in use (at exit), else the LEAK SUMMARY (and, leak_check 1, "Rerun with
 * --leak-check=full ..."); then an empty line. Nothing with verbosity 0. */
void mp_summary_counts(const struct mp_summary *s, mp_summary_put_fn put, void *sink);
/* The ERROR SUMMARY line (not with verbosity 0). */
void mp_summary_errors(const struct mp_summary *s, mp_summary_put_fn put, void *sink);

/* valgrind's loss-record order (memcheck's cmp_LossRecords), the order of "loss record i of N"
 * in the text and XML reports: increasing total bytes (direct + indirect), then by kind in the
 * order still reachable, possibly lost, indirectly lost, definitely lost, then increasing
 * number of blocks, then the older allocation stack (lower stack id) first. < 0: x comes
 * first; 0 only for records of the same kind, sizes and stack. */
int mp_summary_record_cmp(const struct mp_loss_record *x, const struct mp_loss_record *y);

/* A sink that writes to a descriptor through a buffer of the caller's (no allocation). */
struct mp_summary_fd_sink {
    int fd;
    size_t at;
    char buf[4096];
};
void mp_summary_fd_put(void *sink, const char *s, size_t n);
void mp_summary_fd_flush(struct mp_summary_fd_sink *k);

#endif
