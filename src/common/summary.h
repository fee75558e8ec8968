/* The text report's summary lines, written by one writer for every path: the report library's
 * text report (report/text.c), the preload library's report when no loss record is printed, and
 * its report when the report library cannot be loaded. Allocation-free (mp_fmt, one line buffer
 * on the stack), so the preload library may use it at exit. The lines are valgrind memcheck's:
 *     ==PID== LEAK SUMMARY:  ...  total heap usage: ...  ERROR SUMMARY: ...
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
    int only_new;               /* a report of what is new: counts show their growth */
    uint32_t prev_seq;
    uint64_t min_age_s;
    size_t hidden_records;      /* loss records of kinds not shown (leak_check 2) */
    uint64_t hidden_bytes;
    struct mp_count lost[4], lost_increase[4], suppressed;
    struct mp_count total_allocated, total_freed;
    uint64_t errors;            /* ERROR SUMMARY: errors (occurrences and counted loss records) */
    size_t error_contexts;
    uint64_t supp_matched, supp_used;
};

/* Where the lines go: called with each finished line (or several). */
typedef void (*mp_summary_put_fn)(void *sink, const char *s, size_t n);

/* The fields that come straight from the model (the caller sets hidden_*, errors,
 * error_contexts and supp_* itself). */
void mp_summary_from_model(struct mp_summary *s, const struct mp_report_input *in);

/* The report's first lines: an empty line, the reason when not "exit", why stacks are not
 * symbolized, what a report of new records or of old blocks holds. */
void mp_summary_head(const struct mp_summary *s, mp_summary_put_fn put, void *sink);
/* "N loss records of kinds not shown" (when hidden_records). */
void mp_summary_hidden(const struct mp_summary *s, mp_summary_put_fn put, void *sink);
/* The LEAK SUMMARY (leak_check >= 1) and the total heap usage line. */
void mp_summary_counts(const struct mp_summary *s, mp_summary_put_fn put, void *sink);
/* The ERROR SUMMARY line. */
void mp_summary_errors(const struct mp_summary *s, mp_summary_put_fn put, void *sink);

/* A sink that writes to a descriptor through a buffer of the caller's (no allocation). */
struct mp_summary_fd_sink {
    int fd;
    size_t at;
    char buf[4096];
};
void mp_summary_fd_put(void *sink, const char *s, size_t n);
void mp_summary_fd_flush(struct mp_summary_fd_sink *k);

#endif
