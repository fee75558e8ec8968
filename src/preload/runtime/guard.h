/* Per-thread state of the preload library, and the re-entry guard.
 * The TLS block is initial-exec and zero-initialised plain data: touching it never allocates
 * (the library is loaded at startup, so its TLS lives in the static TLS area). It is the first
 * TLS the hooks touch.
 *   MP_IN_PROGRAM  normal: a hook records what it sees.
 *   MP_IN_TOOL     memplumber's own code runs (init, scan, report, a call into the real
 *                  allocator): nested allocation calls go straight to the real allocator,
 *                  untracked.
 *   MP_IN_CRITICAL a tool lock is held by this thread: a nested call can only come from a signal
 *                  handler that interrupted us; it must not take locks (see runtime.c). */
#ifndef MP_GUARD_H
#define MP_GUARD_H

#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>

enum { MP_IN_PROGRAM = 0, MP_IN_TOOL = 1, MP_IN_CRITICAL = 2, MP_IN_REAL = 3 };

/* MP_IN_REAL: the real allocator runs on the program's behalf. It is not reentrant: a nested call
 * can only be a signal handler (treated as CRITICAL), and a report started from a signal handler
 * that interrupted it must not call the allocator (see report_entry.c). */
#define MP_REAL(expr)                                                                          \
    ({                                                                                         \
        mp_tls.state = MP_IN_REAL;                                                             \
        __atomic_signal_fence(__ATOMIC_SEQ_CST);                                               \
        __typeof__(expr) r_ = (expr);                                                          \
        __atomic_signal_fence(__ATOMIC_SEQ_CST);                                               \
        mp_tls.state = MP_IN_PROGRAM;                                                          \
        r_;                                                                                    \
    })
#define MP_REAL_VOID(expr)                                                                     \
    do {                                                                                       \
        mp_tls.state = MP_IN_REAL;                                                             \
        __atomic_signal_fence(__ATOMIC_SEQ_CST);                                               \
        expr;                                                                                  \
        __atomic_signal_fence(__ATOMIC_SEQ_CST);                                               \
        mp_tls.state = MP_IN_PROGRAM;                                                          \
    } while (0)

struct mp_tls {
    int state;
    int holds_all_locks;    /* this thread locked every table lock (fork, scan) */
    uintptr_t stack_top;    /* highest address of this thread's stack, 0 = unknown */
    unsigned allocs;        /* poll hints seen by this thread (live.h: polled every 64th) */
    uint64_t last_poll;     /* coarse clock (ns) at this thread's last poll (live.c) */
    unsigned vg_tid;        /* valgrind's number for this thread (runtime.c); 0: main/unknown */
    int cancel_prev;        /* the program's cancel state when it entered memplumber's code */
    void *freeing;          /* the block a free hook is removing and handing to the real free
                               (runtime.c: a signal handler's free of it is a double free) */
};

extern __thread struct mp_tls mp_tls __attribute__((tls_model("initial-exec")));

/* Enter/leave memplumber's own code. Returns the previous state, to be restored.
 * Coming from the program's code, thread cancellation is disabled meanwhile: memplumber's code
 * calls functions that are cancellation points (write, open, close, poll, nanosleep), and a
 * pending cancel acted on there would unwind the thread out of the middle of memplumber's work
 * with its locks and its report stack still taken (the other threads then wait for them forever).
 * The program's own state comes back on the way out; a cancel still pending acts at the program's
 * next cancellation point, as it would have natively. No system call: a flag in the thread. */
static inline int mp_guard_enter(void)
{
    int s = mp_tls.state;
    mp_tls.state = MP_IN_TOOL;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    if (s == MP_IN_PROGRAM)
        pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &mp_tls.cancel_prev);
    return s;
}

static inline void mp_guard_leave(int prev)
{
    if (prev == MP_IN_PROGRAM && mp_tls.cancel_prev == PTHREAD_CANCEL_ENABLE) {
        int ignored;
        pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &ignored);
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    mp_tls.state = prev;
}

/* The exit_group system call made directly, for memplumber's own ways out: the program-facing
 * syscall() (hooks/sandbox.c) treats exit_group as _exit, which would run the exit path again. */
__attribute__((noreturn)) static inline void mp_raw_exit_group(int status)
{
    for (;;)
        __asm__ volatile("syscall" : : "a"((long)SYS_exit_group), "D"((long)status) : "rcx", "r11", "memory");
}

#endif
