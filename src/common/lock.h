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
    int v;       /* 0 free, 1 locked */
    int waiters; /* threads asleep in mp_mutex_lock_slow, or about to be */
};

#define MP_MUTEX_INIT {0, 0}

static inline void mp_mutex_init(struct mp_mutex *m)
{
    __atomic_store_n(&m->v, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&m->waiters, 0, __ATOMIC_RELAXED);
}

static inline int mp_mutex_trylock(struct mp_mutex *m)
{
    int z = 0;
    return __atomic_compare_exchange_n(&m->v, &z, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void mp_mutex_lock_slow(struct mp_mutex *m);
/* The system call instruction of mp_mutex_lock_slow's futex wait (x86_64: 2 bytes long). */
extern const char mp_mutex_wait_site[];
void mp_mutex_wake(struct mp_mutex *m);

static inline void mp_mutex_lock(struct mp_mutex *m)
{
    int z = 0;
    if (__builtin_expect(__atomic_compare_exchange_n(&m->v, &z, 1, 0, __ATOMIC_ACQUIRE,
                                                     __ATOMIC_RELAXED), 1))
        return;
    mp_mutex_lock_slow(m);
}

/* A plain store: a locked exchange here (to learn of sleepers from the same word) drained the
 * store buffer at every unlock, a quarter of the block table's time. The sleepers are counted
 * apart; a sleeper that registers while this load runs ahead of the store may miss its wake-up,
 * so sleeps are bounded (MP_MUTEX_NAP_NS in lock.c) and retried. */
static inline void mp_mutex_unlock(struct mp_mutex *m)
{
    __atomic_store_n(&m->v, 0, __ATOMIC_RELEASE);
    if (__builtin_expect(__atomic_load_n(&m->waiters, __ATOMIC_RELAXED) != 0, 0))
        mp_mutex_wake(m);
}

#endif
