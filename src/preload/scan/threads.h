/* Stopping the other threads for a scan, with a signal (no ptrace: works under gdb, strace and
 * in containers without SYS_PTRACE). Each thread listed in /proc/self/task gets the stop signal;
 * its handler saves the interrupted registers and stack pointer, acknowledges, and waits until
 * mp_threads_resume(). A thread that does not answer within the timeout (signal blocked, or
 * stuck in the kernel) is reported as not stopped: the scan then treats its whole stack
 * mapping as a root. Only one stop can be in progress at a time (caller serialises). */
#ifndef MP_THREADS_H
#define MP_THREADS_H

#include <stdint.h>
#include <sys/types.h>

#define MP_MAX_THREADS 4096
#define MP_NREGS 16

struct mp_thread_ctx {
    pid_t tid;
    int stopped;
    /* sp: the stack pointer of a stopped thread, or of one left running because it waits in a
     * system call (then sp_known: from /proc/self/task/TID/syscall, its registers unknown) */
    int sp_known;
    uintptr_t sp;
    uintptr_t regs[MP_NREGS];
    /* The thread's alternate signal stack, [alt_lo, alt_hi) (0, 0: none). Unless sp is on it,
     * what it holds is the stale frames of handlers that have returned: not a root. */
    uintptr_t alt_lo, alt_hi;
    /* When sp is on the alternate stack (the thread is inside a handler there): the stack
     * pointer the outermost handler interrupted, on the thread's own stack (red zone included),
     * found from the kernel's signal frame; 0 if none. That stack is live from there up. */
    uintptr_t sp_other;
    /* The thread pointer (glibc's thread descriptor, at the top of the stack glibc mapped for
     * the thread): that stack is the live thread's even while it runs on another one. */
    uintptr_t tp;
};

/* Remember the stack of a thread memplumber saw start ([lo, hi) from pthread_getattr_np) and its
 * thread descriptor (pthread_self(): glibc's struct pthread, at the top of that mapping, above
 * the static TLS). glibc keeps the stacks of finished threads mapped for reuse; the scan must not
 * read their stale frames as roots (valgrind sees them as inaccessible), but the descriptor stays
 * live data: glibc's stack cache links it, and it points to the thread's DTV; so does the static
 * TLS below it (valgrind reads a finished thread's __thread variables). Called by the starting
 * thread itself; fn is then given, as tcb, the lowest address that stays a root. */
void mp_threads_register_stack(uintptr_t lo, uintptr_t hi, uintptr_t tcb);
/* Call fn for every registered stack. */
void mp_threads_foreach_stack(void (*fn)(uintptr_t lo, uintptr_t hi, uintptr_t tcb, void *ctx),
                              void *ctx);

/* memplumber's watch thread and report thread (live.c), and the report_signal thread
 * (runtime.c): never stopped, never counted (0 = none).
 * They touch none of the program's data, and the exit report's glibc clean-up (run only when
 * the program is down to one thread) must not be skipped because of them. */
extern pid_t mp_threads_hidden_tid[3];

/* Number of threads of the process now (/proc/self/task), the caller included, not counting
 * threads that have begun to exit (a thread just joined may still be listed). */
int mp_threads_count(void);

/* Stop every thread but the caller. Returns the number of entries filled in out[]. Unless
 * final, a thread blocked in a system call that the stop signal would make return EINTR (poll,
 * epoll_wait, select, nanosleep, pause ...) is not stopped: the program would see that EINTR. */
int mp_threads_stop(struct mp_thread_ctx *out, int max, int final);
/* Let the stopped threads go. final (the process ends after this report): a thread whose
 * blocking system call the stop signal interrupted with EINTR stays stopped instead, so the
 * program never sees that EINTR (see threads.c). */
void mp_threads_resume(int final);

#endif
