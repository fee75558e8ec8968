/* memplumber's own pthreads (the live report thread, the report_signal thread): real threads
 * for glibc, which must still never count as one of the program's.
 *
 * glibc counts every thread pthread_create starts in __nptl_nthreads; the last counted thread to
 * end calls exit(0). A thread of memplumber's left in that count keeps a program whose main()
 * called pthread_exit alive forever after its last thread ended (natively: exit(0) there). Its
 * creator therefore takes it out of the count right after pthread_create, and the thread never
 * returns (it would decrement the count on its way out, ending the process while program
 * threads still run): with nothing left to do it parks. */
#ifndef MP_OWN_THREAD_H
#define MP_OWN_THREAD_H

#include <stddef.h>
#include <sys/types.h>

/* At start-up, before any of memplumber's threads is created (looks up __nptl_nthreads:
 * GLIBC_PRIVATE, glibc 2.34 and later; without it nothing is uncounted). */
void mp_own_thread_init(void);

/* The thread itself, first thing: publishes its tid in *slot (mp_threads_hidden_tid), so that
 * it is never stopped or counted as one of the program's threads (glibc's clean-up at exit is
 * not skipped because of it). */
void mp_own_thread_hide(pid_t *slot);

/* Start fn as one of memplumber's threads, detached, with every step above: its stack is
 * stack_size bytes of tool memory (which the leak scan leaves out: a stack glibc maps would be
 * read as a root, all 8 MiB of it, at every report, the thread being hidden, and pointers left
 * on it by a report it made would keep leaked blocks reachable; the lowest page is a guard) or,
 * when the program's static TLS does not fit in it (glibc puts it at the top of a given stack),
 * a stack of glibc's; taken out of glibc's count; and waited for until it has published its
 * tid in *hidden (fn must call mp_own_thread_hide(hidden) first). 0, or pthread_create's error. */
int mp_own_thread_start(void *(*fn)(void *), size_t stack_size, pid_t *hidden);

/* The end of one of memplumber's threads: sleeps until the process ends (every signal is
 * blocked in these threads). */
__attribute__((noreturn)) void mp_own_thread_park(void);

#endif
