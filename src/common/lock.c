/* Slow path of mp_mutex (see lock.h): spin a little, then futex-wait. */
#include "common/lock.h"

void mp_mutex_lock_slow(struct mp_mutex *m)
{
    for (int i = 0; i < 64; i++) {
        __builtin_ia32_pause();
        if (__atomic_load_n(&m->v, __ATOMIC_RELAXED) == 0 && mp_mutex_trylock(m))
            return;
    }
    /* Mark contended; sleep until woken. Drepper, "Futexes are tricky", mutex #3. */
    int c = __atomic_exchange_n(&m->v, 2, __ATOMIC_ACQUIRE);
    while (c != 0) {
        syscall(SYS_futex, &m->v, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
        c = __atomic_exchange_n(&m->v, 2, __ATOMIC_ACQUIRE);
    }
}
