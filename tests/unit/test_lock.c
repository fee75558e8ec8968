// SOURCES: src/common/lock.c
// CFLAGS: -pthread
/* mp_mutex (src/common/lock.h), the lock of every shared tool structure (block table shards, the
 * depot, the quarantine): mutual exclusion under contention (more threads than cores, short and
 * long critical sections, a holder that sleeps so that the others go to sleep on the futex), no
 * lost wake-up that outlasts the bounded nap (the unlock is a plain store, and a sleeper that
 * registers in the window may miss its wake-up: it must still get the lock), trylock, and a lock
 * re-initialised in a forked child while another thread of the parent held it. */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "common/lock.h"

static struct mp_mutex lock = MP_MUTEX_INIT;
static volatile long counter; /* updated non-atomically inside the lock */
static volatile int inside;   /* threads inside the critical section: must stay 0 or 1 */
static int overlap;

struct job {
    long iters;
    int sleep_every; /* 0: never; else sleep 50 us inside every Nth section */
};

static void *worker(void *arg)
{
    const struct job *j = arg;
    for (long i = 0; i < j->iters; i++) {
        mp_mutex_lock(&lock);
        if (__atomic_add_fetch(&inside, 1, __ATOMIC_RELAXED) != 1)
            __atomic_add_fetch(&overlap, 1, __ATOMIC_RELAXED);
        long c = counter;
        if (j->sleep_every && i % j->sleep_every == 0) {
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL); /* the others spin out and sleep on the futex */
        }
        counter = c + 1;
        __atomic_sub_fetch(&inside, 1, __ATOMIC_RELAXED);
        mp_mutex_unlock(&lock);
    }
    return NULL;
}

static volatile int held, release;

static void *hold_lock(void *arg)
{
    mp_mutex_lock(&lock);
    __atomic_store_n(&held, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&release, __ATOMIC_ACQUIRE))
        sched_yield();
    mp_mutex_unlock(&lock);
    return arg;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(int nthreads, long iters, int sleep_every, const char *what)
{
    pthread_t t[16];
    struct job j = {iters, sleep_every};
    counter = 0;
    overlap = 0;
    double t0 = now_s();
    for (int i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, worker, &j);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    double dt = now_s() - t0;
    printf("  %s: %d threads x %ld sections in %.2f s\n", what, nthreads, iters, dt);
    CHECK(overlap == 0, "%s: %d sections overlapped", what, overlap);
    CHECK_UL(counter, (unsigned long)nthreads * (unsigned long)iters);
    CHECK_UL(__atomic_load_n(&lock.waiters, __ATOMIC_RELAXED), 0);
    CHECK_UL(__atomic_load_n(&lock.v, __ATOMIC_RELAXED), 0);
}

int main(void)
{
    /* short sections, more threads than this machine's cores */
    run(8, 200000, 0, "short sections");
    /* a holder that sleeps: the others go to sleep on the futex and must all be woken (a missed
     * wake-up costs at most a nap, so this ends in about the time of its 2,000 sleeps, not
     * much more) */
    run(4, 2000, 4, "sleeping holders");
    run(16, 20000, 1000, "mixed");

    CHECK(mp_mutex_trylock(&lock), "trylock of a free lock");
    CHECK(!mp_mutex_trylock(&lock), "trylock of a held lock fails");
    mp_mutex_unlock(&lock);

    /* fork while another thread holds the lock: the child re-initialises it and can take it */
    pthread_t holder;
    pthread_create(&holder, NULL, hold_lock, NULL);
    while (!__atomic_load_n(&held, __ATOMIC_ACQUIRE))
        sched_yield();
    pid_t pid = fork();
    if (pid == 0) {
        mp_mutex_init(&lock);
        mp_mutex_lock(&lock);
        mp_mutex_unlock(&lock);
        _exit(mp_mutex_trylock(&lock) ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a forked child takes a re-initialised lock");
    __atomic_store_n(&release, 1, __ATOMIC_RELEASE);
    pthread_join(holder, NULL);
    mp_mutex_lock(&lock); /* the holder released it in the parent */
    mp_mutex_unlock(&lock);
    return CHECK_DONE();
}
