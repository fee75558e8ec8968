/* Long-running programs (live.c): the clock blocks are stamped with, snapshots of the live heap
 * and the growth suspects, and the rendezvous that lets `memplumber report PID` ask the process
 * for a report while it runs (protocol: common/live_proto.h).
 *
 * Two threads of memplumber's own, neither of them running unless needed: a second thread makes
 * the kernel refuse unshare(CLONE_NEWUSER / CLONE_NEWNS) and setns to the program (sandboxes,
 * container tools) and shows in /proc/self/task, so a program that never asks for snapshots or a
 * live report keeps exactly its own threads.
 *  - the watch thread, created with clone() and invisible to glibc (the program stays
 *    "single-threaded" for glibc's and memplumber's lock elision, so it costs the malloc path
 *    nothing). It runs only raw system calls on its own small stack and TLS area: it takes the
 *    snapshots, keeps the clock (mp_heap_now) and accepts report requests. All signals blocked;
 *    never stopped by a scan (mp_threads_hidden_tid). Started at start-up when snapshots are on
 *    (snapshot_interval) or with report_thread=yes; otherwise when a report request is waiting
 *    and the program allocates (mp_live_poll, about every 1024 allocations of a thread, also advances
 *    the clock).
 *  - the report thread, a real pthread that writes the reports asked for. Started together with
 *    the watch thread by mp_live_poll, when the program creates its first thread (it is
 *    multi-threaded then anyway), at start-up with report_thread=yes, or, when the watch thread
 *    runs for snapshots, on the first request: the watch thread sends the main thread a wake
 *    request (the wake signal, sigqueue'd with MP_LIVE_WAKE_VALUE; exit.c tells it from the
 *    program's own deliveries of that signal) whose handler starts it (only when the handler is
 *    still memplumber's and the main thread does not block it; otherwise the request is refused
 *    with the reason). The report thread is taken out of glibc's thread count and never ends:
 *    it never keeps the process alive after the program's last thread.
 * The rendezvous socket (and the report thread's pipe) sit at the top of the descriptor range
 * (outfd.h), so the program's own open() calls get the numbers they get natively; each is
 * checked to still be memplumber's file before it is polled, accepted from, written or closed. */
#ifndef MP_LIVE_H
#define MP_LIVE_H

#include <stdint.h>

#include "common/model.h"

/* At start-up, after the options (mp_runtime_ensure). */
void mp_live_init(void);
/* In a forked child: its own rendezvous, watch thread and report sequence. */
void mp_live_child_after_fork(void);
/* The program created a thread (pthread_create hook): start the report thread. in_create
 * brackets the real pthread_create (the start-up signal must not start a thread inside it). */
void mp_live_thread_created(void);
extern int mp_live_in_create;

/* A program that joined its threads may then need to be single-threaded again for the kernel
 * (unshare or setns of a user namespace, setns of a mount namespace): memplumber's report thread,
 * started with the program's first thread, would make that fail with EINVAL. The hooks for those
 * calls (hooks/sandbox.c) retry once after this has ended it. 1 if the report thread was running
 * and has ended (a later report request starts it again), 0 otherwise. */
int mp_live_stop_report_thread(void);

/* Advances the clock and takes up a waiting report request when no memplumber thread runs yet.
 * Called by mp_live_poll_hint on every MP_LIVE_POLL_EVERY-th hint of a thread; the hints come
 * from the block table (mp_heap_insert returns 1 on every 16th allocation recorded in a shard),
 * so the allocation path pays no counter of its own: about one poll per 1024 allocations. */
#define MP_LIVE_POLL_EVERY 64
void mp_live_poll(void);
void mp_live_poll_hint(void);

/* The heap clock now (also stored in mp_heap_now): whole seconds since start-up, 24 bits. */
uint32_t mp_live_clock_now(void);

/* Snapshots and growth suspects for a report (the arrays stay valid until the next report). */
void mp_live_fill_report(struct mp_report_input *in);

#endif
