/* Rendering a report in a fresh process (report_spawn.c), for when the observed process cannot
 * load the report library itself (its address space is used up: RLIMIT_AS, ulimit -v); and the
 * address-space reserve that lets the exit report scan and aggregate in such a process. */
#ifndef MP_REPORT_SPAWN_H
#define MP_REPORT_SPAWN_H

#include <stddef.h>

#include "common/model.h"

/* Start-up: map the reserve (address space only: PROT_NONE, no memory). */
void mp_report_reserve_init(void);
/* The final report: give the reserve back, so that the scan and the report can map what they
 * need in a process that used up its RLIMIT_AS. */
void mp_report_reserve_release(void);

/* Is the address space short: RLIMIT_AS set and less than MP_REPORT_AS_HEADROOM left? Then the
 * report library (libdw, the program's debug information) is not loaded in the process. */
int mp_report_as_short(void);

/* Hand the model to `memplumber --render-model` (src/cli/render.c) in a new process, which
 * writes the text report to in->opt.text_fd and the report files, and wait for it. report_lib:
 * the report library's path. 0 and *res filled (rc: what mp_report_write returned there), or
 * -1 with the reason in why. Call with every signal blocked in this thread. */
int mp_report_spawn(const struct mp_report_input *in, const char *report_lib,
                    struct mp_report_result *res, int *rc, char *why, size_t whylen);

#endif
