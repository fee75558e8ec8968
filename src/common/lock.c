/* Slow path of mp_mutex (see lock.h): spin a little, then sleep on the futex in bounded naps
 * (an unlock's plain store may let a wake-up slip past a sleeper that was just registering). */
#include "common/lock.h"

#include <time.h>

#define MP_MUTEX_NAP_NS 200000 /* 0.2 ms */

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
        syscall(SYS_futex, &m->v, FUTEX_WAIT_PRIVATE, 1, &nap, NULL, 0);
    }
    __atomic_sub_fetch(&m->waiters, 1, __ATOMIC_RELAXED);
}

void mp_mutex_wake(struct mp_mutex *m) { syscall(SYS_futex, &m->v, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); }
