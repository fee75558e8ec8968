/* Slow path of mp_mutex (see lock.h): spin a little, then sleep on the futex in bounded naps
 * (an unlock's plain store may let a wake-up slip past a sleeper that was just registering). */
#include "common/lock.h"

#include <time.h>

#define MP_MUTEX_NAP_NS 200000 /* 0.2 ms */

/* The nap is its own system call instruction, at a known address (mp_mutex_wait_site): a
 * report's stop signal that interrupts it (EINTR) only sends the loop round again, and the stop
 * handler (scan/threads.c) must tell this wait of memplumber's from a wait of the program's,
 * which it keeps from seeing an EINTR. */
__attribute__((noinline, noclone)) static void futex_nap(int *word, int val, const struct timespec *ts)
{
    long ret;
    register long r10 __asm__("r10") = (long)ts;
    __asm__ volatile(".globl mp_mutex_wait_site\n\t.hidden mp_mutex_wait_site\n"
                     "mp_mutex_wait_site:\n\tsyscall"
                     : "=a"(ret)
                     : "0"((long)SYS_futex), "D"(word), "S"((long)FUTEX_WAIT_PRIVATE), "d"((long)val),
                       "r"(r10)
                     : "rcx", "r11", "memory");
    (void)ret;
}

void mp_mutex_lock_slow(struct mp_mutex *m)
{
    for (int i = 0; i < 64; i++) {
        __builtin_ia32_pause();
        if (__atomic_load_n(&m->v, __ATOMIC_RELAXED) == 0 && mp_mutex_trylock(m))
            return;
    }
    __atomic_add_fetch(&m->waiters, 1, __ATOMIC_SEQ_CST);
    while (!mp_mutex_trylock(m)) {
        const struct timespec nap = {0, MP_MUTEX_NAP_NS};
        futex_nap(&m->v, 1, &nap);
    }
    __atomic_sub_fetch(&m->waiters, 1, __ATOMIC_RELAXED);
}

void mp_mutex_wake(struct mp_mutex *m) { syscall(SYS_futex, &m->v, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); }
