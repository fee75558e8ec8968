/* The report entry (report_entry.c): loading the report library, the exit and on-demand
 * reports (mp_runtime_report in runtime.h), heap-misuse errors as they happen, and the
 * descriptors reports go to. */
#ifndef MP_REPORT_ENTRY_H
#define MP_REPORT_ENTRY_H

#include <stdint.h>

#include "report/model.h"

/* A private copy of the program's stderr, taken at start-up (-1 if none). */
extern int mp_stderr_copy;
/* Set by the _exit hook: its caller's stack pointer (the exit-time scan starts there). */
extern uintptr_t mp_exit_sp_hint;

/* Read the environment the report needs (__libc_freeres clears it before the exit report). */
void mp_report_read_env(void);

/* Valgrind's --trace-children-skip(-by-arg): in a process started by exec below the one the
 * user started, if its exec path or an argument matches, go silent and stop following exec
 * (the caller then takes the library out of LD_PRELOAD). */
int mp_report_apply_skip(int argc, char *const *argv); /* 1 if skipped */

/* From now on this process writes no report and no error message (--child-silent-after-fork,
 * skipped children). */
void mp_report_silence(void);

/* Write one heap-misuse error now (text, symbolized). */
void mp_report_emit_error(const struct mp_error_record *err);

#endif
