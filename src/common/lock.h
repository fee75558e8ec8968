/* Locks for tool data, hook-safe: no allocation, no TLS, usable before libc is fully set up.
 * mp_mutex spins briefly, then sleeps on a futex, so a thread preempted while holding a lock
 * does not make the others burn their time slices (2 cores, 4 threads is a common case).
 * Fork protocol: whoever owns a lock documents it; after fork the child re-initialises the
 * locks it inherited (mp_mutex_init), since their owners do not exist in the child. */
#ifndef MP_LOCK_H
#define MP_LOCK_H

#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

struct mp_mutex {
    int v; /* 0 free, 1 locked, 2 locked with waiters */
};

#define MP_MUTEX_INIT {0}

static inline void mp_mutex_init(struct mp_mutex *m) { __atomic_store_n(&m->v, 0, __ATOMIC_RELAXED); }

static inline int mp_mutex_trylock(struct mp_mutex *m)
{
    int z = 0;
    return __atomic_compare_exchange_n(&m->v, &z, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void mp_mutex_lock_slow(struct mp_mutex *m);

static inline void mp_mutex_lock(struct mp_mutex *m)
{
    int z = 0;
    if (__builtin_expect(__atomic_compare_exchange_n(&m->v, &z, 1, 0, __ATOMIC_ACQUIRE,
                                                     __ATOMIC_RELAXED), 1))
        return;
    mp_mutex_lock_slow(m);
}

static inline void mp_mutex_unlock(struct mp_mutex *m)
{
    if (__builtin_expect(__atomic_exchange_n(&m->v, 0, __ATOMIC_RELEASE) == 2, 0))
        syscall(SYS_futex, &m->v, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

#endif
