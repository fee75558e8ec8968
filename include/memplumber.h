/* memplumber's optional API for observed programs.
 *
 * Reports also come on request from outside, without any call here: `memplumber report PID`
 * (docs/MANUAL.md, "Long-running programs").
 *
 * Nothing here is needed to use memplumber: it observes unmodified programs. A program that wants
 * a report at a moment of its choosing (for example after a warm-up, or at the end of each test
 * case) can call memplumber_report_now(). The declarations are weak, so the program links and
 * runs normally without memplumber; check the function's address first:
 *
 *     #include <memplumber.h>
 *     if (memplumber_report_now)
 *         memplumber_report_now();
 */
#ifndef MEMPLUMBER_H
#define MEMPLUMBER_H

#ifdef __cplusplus
extern "C" {
#endif

/* Write a leak report now, on the calling thread, to the configured destinations (text, JSON,
 * SARIF, HTML), classifying the blocks not freed so far. The program keeps running. Returns 0, or
 * -1 if memplumber is not tracking (e.g. called from inside a memplumber callback). */
int memplumber_report_now(void) __attribute__((weak));

/* Like memplumber_report_now(), but the loss records are only those new or grown since the
 * previous check of this process (any report: on demand, this call, `memplumber report PID`),
 * each with its increase, as valgrind's `leak_check ... new`. -1 as memplumber_report_now(). */
int memplumber_report_new(void) __attribute__((weak));

/* Record a snapshot of the live heap now (total live bytes and blocks, and per allocation stack)
 * for the report's "snapshots" and "growth". Works with or without --snapshot-interval: the
 * first call turns the per-stack counting on (it then counts blocks allocated from that moment).
 * Returns 0, or -1 if memplumber is not tracking or out of tool memory. */
int memplumber_snapshot(void) __attribute__((weak));

/* 1 when the process runs under memplumber and tracking is on. */
int memplumber_is_active(void) __attribute__((weak));

#ifdef __cplusplus
}
#endif

#endif
