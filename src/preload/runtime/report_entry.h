/* The report entry (report_entry.c): loading the report library, the exit and on-demand
 * reports (mp_runtime_report in runtime.h), heap-misuse errors at safe points, and the
 * descriptors reports go to. */
#ifndef MP_REPORT_ENTRY_H
#define MP_REPORT_ENTRY_H

#include <stdint.h>

#include "common/model.h"

/* Set by the _exit hook: its caller's stack pointer (the exit-time scan starts there). */
extern uintptr_t mp_exit_sp_hint;

/* Read the environment the report needs (__libc_freeres clears it before the exit report). */
void mp_report_read_env(void);
/* 1 in a program started by exec below the one the user started, when follow_exec=yes was not
 * given: valgrind (--trace-children=no) would have run it natively. */
extern int mp_exec_unasked;

/* Valgrind's --trace-children-skip(-by-arg): in a process started by exec below the one the
 * user started, if its exec path or an argument matches, go silent and stop following exec
 * (the caller then takes the library out of LD_PRELOAD). */
int mp_report_apply_skip(int argc, char *const *argv); /* 1 if skipped */
/* At start-up, after mp_report_apply_skip: open the log file now (see report_entry.c). */
void mp_report_open_log_early(void);

/* From now on this process writes no report and no error message (--child-silent-after-fork,
 * skipped children). */
void mp_report_silence(void);

/* A report asked for by `memplumber report PID` (live.c) or the API: where it goes and what it
 * shows. Paths are already final (e.g. /proc/self/fd/N); NULL = none. min_age_s < 0: the
 * min_age option. */
struct mp_report_request {
    int text_fd;
    const char *json_path, *html_path, *pprof_path;
    int only_new;
    long min_age_s;
    int use_config;     /* write to the configured destinations (the fields above unused) */
};
/* mp_runtime_report with a request (NULL: the configured destinations). 0, or -1 when no report
 * could be written. */
int mp_runtime_report_req(const char *reason, int at_exit, const struct mp_report_request *req);
/* A forked child starts its own report sequence and has no previous check. */
void mp_report_child_after_fork(void);
/* fork_prepare / fork_parent: no fork while a report runs on another thread */
void mp_report_fork_lock(void);
void mp_report_fork_unlock(void);
/* exec: no exec while a report runs on another thread (its stop signal would outlive the image) */
int mp_report_exec_lock(void);
void mp_report_exec_unlock(int locked);

/* Write the heap-misuse errors recorded and not written yet (text, symbolized; the report
 * library is loaded if needed). Only at a safe point: see runtime/safepoint.h. */
void mp_report_write_errors(void);
/* Fork protocol of the error writer's lock (prepare, parent, child). */
void mp_report_errors_lock(void);
void mp_report_errors_unlock(void);
void mp_report_errors_child_after_fork(void);

#endif
