/* memplumber's own pthreads: out of glibc's thread count, never ending (see own_thread.h). */
#include "preload/runtime/own_thread.h"

#include <dlfcn.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "preload/hooks/real.h"

static unsigned int *nptl_nthreads;

void mp_own_thread_init(void)
{
    if (nptl_nthreads)
        return;
    void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        return;
    nptl_nthreads = (unsigned int *)dlsym(h, "__nptl_nthreads");
    dlclose(h);
}

static void uncount(void)
{
    if (nptl_nthreads)
        __atomic_sub_fetch(nptl_nthreads, 1, __ATOMIC_ACQ_REL);
}

void mp_own_thread_hide(pid_t *slot)
{
    __atomic_store_n(slot, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
    syscall(SYS_futex, slot, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void wait_hidden(pid_t *slot)
{
    for (int i = 0; i < 200 && !__atomic_load_n(slot, __ATOMIC_ACQUIRE); i++) {
        struct timespec ts = {0, 10 * 1000000L};
        syscall(SYS_futex, slot, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    }
}

int mp_own_thread_start(void *(*fn)(void *), size_t stack_size, pid_t *hidden)
{
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    char *stack = mp_pages_alloc(stack_size + 4096);
    if (stack) {
        mprotect(stack, 4096, PROT_NONE);
        pthread_attr_setstack(&a, stack + 4096, stack_size);
    }
    int rc = mp_real_pthread_create(&t, &a, fn, NULL);
    if (rc && stack) {
        mp_pages_free(stack, stack_size + 4096);
        pthread_attr_destroy(&a);
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        rc = mp_real_pthread_create(&t, &a, fn, NULL);
    }
    pthread_attr_destroy(&a);
    if (rc)
        return rc;
    /* Counted, it would keep a program whose main thread called pthread_exit alive after its
     * last thread ended; it blocks every signal, so it never takes a process-directed one. */
    uncount();
    /* Listed in /proc/self/task until then: an exit in that window would count it as one of the
     * program's threads (no __libc_freeres, the joined threads' DTVs then reported possibly
     * lost). The thread stores its tid before anything else; the wait is bounded all the same. */
    wait_hidden(hidden);
    return 0;
}

void mp_own_thread_park(void)
{
    for (;;)
        syscall(SYS_pause);
}
