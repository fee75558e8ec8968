/* Long-running programs (live.c): the clock blocks are stamped with, snapshots of the live heap
 * and the growth suspects, and the rendezvous that lets `memplumber report PID` ask the process
 * for a report while it runs (protocol: common/live_proto.h).
 *
 * Two threads of memplumber's own:
 *  - the watch thread, started at start-up with clone() and invisible to glibc (the program stays
 *    "single-threaded" for glibc's and memplumber's lock elision, so it costs the malloc path
 *    nothing). It runs only raw system calls on its own small stack and TLS area: it keeps the
 *    clock (mp_heap_now), takes the snapshots, and accepts report requests. All signals blocked;
 *    never stopped by a scan (mp_threads_hidden_tid).
 *  - the report thread, a real pthread that writes the reports asked for. Started when the program
 *    creates its first thread (it is multi-threaded then anyway), at start-up with the
 *    report_thread option, or on the first request: the watch thread sends the main thread a
 *    signal whose handler starts it (only when the handler is still memplumber's and the main
 *    thread does not block it; otherwise the request is refused with the reason). */
#ifndef MP_LIVE_H
#define MP_LIVE_H

#include <stdint.h>

#include "report/model.h"

/* At start-up, after the options (mp_runtime_ensure). */
void mp_live_init(void);
/* In a forked child: its own rendezvous, watch thread and report sequence. */
void mp_live_child_after_fork(void);
/* The program created a thread (pthread_create hook): start the report thread. in_create
 * brackets the real pthread_create (the start-up signal must not start a thread inside it). */
void mp_live_thread_created(void);
extern int mp_live_in_create;

/* The heap clock now (also stored in mp_heap_now): whole seconds since start-up, 24 bits. */
uint32_t mp_live_clock_now(void);

/* Snapshots and growth suspects for a report (the arrays stay valid until the next report). */
void mp_live_fill_report(struct mp_report_input *in);

#endif
