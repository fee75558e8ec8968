/* Process events that keep the runtime coherent: thread start (stack bounds for the unwinder),
 * dlclose (keep the object's name for stacks captured before it went away), _exit/_Exit (write
 * the report: exit() reaches it through atexit, these do not), the system break moved by the
 * program itself (sbrk, brk). */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/lock.h"
#include "preload/runtime/guard.h"
#include "preload/hooks/real.h"
#include "preload/runtime/live.h"
#include "preload/runtime/runtime.h"
#include "preload/scan/threads.h"

void mp_unwind_set_stack(uintptr_t lo, uintptr_t top);
void mp_modules_before_dlclose(void *handle);
void mp_modules_after_dlclose(void);
void mp_unwind_flush(void);
void mp_unwind_add_anchor_function(uintptr_t addr, int at_caller);

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static pthread_create_fn real_pthread_create;

struct start {
    void *(*fn)(void *);
    void *arg;
    unsigned vg_tid;
    struct start *next;
};

static struct mp_mutex start_lock = MP_MUTEX_INIT;
static struct start *start_free;

static struct start *start_get(void)
{
    mp_mutex_lock(&start_lock);
    struct start *s = start_free;
    if (s)
        start_free = s->next;
    mp_mutex_unlock(&start_lock);
    return s ? s : mp_arena_alloc(sizeof *s);
}

static void start_put(struct start *s)
{
    mp_mutex_lock(&start_lock);
    s->next = start_free;
    start_free = s;
    mp_mutex_unlock(&start_lock);
}

static void *thread_trampoline(void *p)
{
    struct start s = *(struct start *)p;
    start_put(p);
    pthread_attr_t a;
    int g = mp_guard_enter();
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        void *lo;
        size_t sz;
        if (pthread_attr_getstack(&a, &lo, &sz) == 0) {
            /* The TCB and static TLS sit just above the stack proper in glibc's mapping. */
            mp_tls.stack_top = (uintptr_t)lo + sz;
            mp_unwind_set_stack((uintptr_t)lo, (uintptr_t)lo + sz);
            mp_threads_register_stack((uintptr_t)lo, (uintptr_t)lo + sz, (uintptr_t)pthread_self());
        }
        pthread_attr_destroy(&a);
    }
    mp_tls.vg_tid = s.vg_tid;
    mp_guard_leave(g);
    void *ret;
    pthread_cleanup_push(mp_runtime_thread_end, (void *)(uintptr_t)s.vg_tid);
    ret = s.fn(s.arg);
    /* not a tail call: this frame stays on the thread's stack, the unwinder's anchor (below it
     * every stack of the thread is the same) */
    __asm__ volatile("" : : "r"(ret) : "memory");
    pthread_cleanup_pop(1);
    return ret;
}

static pthread_create_fn resolve_pthread_create(void)
{
    if (!real_pthread_create)
        real_pthread_create = (pthread_create_fn)mp_real_next("pthread_create");
    return real_pthread_create;
}

int mp_real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    return resolve_pthread_create()(t, a, fn, arg);
}

/* glibc carves every thread's static TLS out of the stack size the program asked for, and
 * memplumber's TLS (the unwinder's memos, the queue of frees made by signal handlers: ~8 KiB)
 * is part of it; the hooks also run on the thread's stack (about 1 KiB). A thread created with
 * a small explicit stack (PTHREAD_STACK_MIN, 16 KiB) would be left with half of what it has
 * natively and overflow. So an explicit stack size gets memplumber's share added (its own
 * stack memory, given by the program with pthread_attr_setstack, cannot grow). */
static int own_tls_phdr(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    size_t *out = data;
    uintptr_t self = (uintptr_t)&own_tls_phdr;
    size_t tls = 0;
    int mine = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_TLS)
            tls = ph->p_memsz + ph->p_align;
        if (ph->p_type == PT_LOAD && self >= info->dlpi_addr + ph->p_vaddr &&
            self < info->dlpi_addr + ph->p_vaddr + ph->p_memsz)
            mine = 1;
    }
    if (mine) {
        *out = tls;
        return 1;
    }
    return 0;
}

static size_t stack_share(void)
{
    static size_t share;
    size_t s = __atomic_load_n(&share, __ATOMIC_RELAXED);
    if (!s) {
        size_t tls = 0;
        int g = mp_guard_enter();
        dl_iterate_phdr(own_tls_phdr, &tls);
        mp_guard_leave(g);
        s = ((tls + 8192 + 4095) & ~(size_t)4095);
        __atomic_store_n(&share, s, __ATOMIC_RELAXED);
    }
    return s;
}

/* a copy of the program's attributes with memplumber's share added to an explicit stack size;
 * NULL when there is nothing to add (default size, the program's own stack memory) */
static const pthread_attr_t *grown_attr(const pthread_attr_t *a, pthread_attr_t *copy)
{
    void *addr;
    size_t size;
    /* glibc gives the stack's low end as (its top) - size, and 0 for the top when the
     * program gave no memory of its own */
    if (!a || pthread_attr_getstack(a, &addr, &size) != 0 || !size ||
        (uintptr_t)addr + size != 0 || size >= ((size_t)8 << 20))
        return NULL;
    /* a shallow copy: glibc's extension (affinity, signal mask) is shared and only read */
    memcpy(copy, a, sizeof *copy);
    if (pthread_attr_setstacksize(copy, size + stack_share()) != 0)
        return NULL;
    return copy;
}

MP_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
    pthread_create_fn real = resolve_pthread_create();
    if (!real)
        return EAGAIN;
    struct start *s = mp_runtime_phase == MP_PHASE_TRACKING ? start_get() : NULL;
    if (!s)
        return real(t, a, fn, arg);
    s->fn = fn;
    s->arg = arg;
    s->vg_tid = mp_runtime_thread_number_take();
    static int anchored;
    if (!__atomic_load_n(&anchored, __ATOMIC_RELAXED)) {
        int g = mp_guard_enter();
        mp_unwind_add_anchor_function((uintptr_t)thread_trampoline, 0);
        mp_guard_leave(g);
        __atomic_store_n(&anchored, 1, __ATOMIC_RELAXED);
    }
    __atomic_add_fetch(&mp_live_in_create, 1, __ATOMIC_ACQ_REL);
    pthread_attr_t copy;
    const pthread_attr_t *grown = grown_attr(a, &copy);
    int rc = real(t, grown ? grown : a, thread_trampoline, s);
    __atomic_sub_fetch(&mp_live_in_create, 1, __ATOMIC_ACQ_REL);
    if (rc) {
        mp_runtime_thread_number_give((void *)(uintptr_t)s->vg_tid);
        start_put(s);
    } else {
        mp_live_thread_created(); /* multi-threaded now: memplumber's report thread costs nothing more */
    }
    return rc;
}

MP_EXPORT int dlclose(void *handle)
{
    static int (*real_dlclose)(void *);
    if (!real_dlclose)
        real_dlclose = (int (*)(void *))mp_real_next("dlclose");
    if (!real_dlclose)
        return -1;
    if (mp_runtime_phase != MP_PHASE_TRACKING || mp_tls.state != MP_IN_PROGRAM)
        return real_dlclose(handle);
    int g = mp_guard_enter();
    mp_modules_before_dlclose(handle);
    mp_guard_leave(g);
    int rc = real_dlclose(handle);
    g = mp_guard_enter();
    mp_modules_after_dlclose();
    mp_unwind_flush();
    mp_guard_leave(g);
    return rc;
}

/* glibc's malloc moves the break through __sbrk inside libc, which these do not see: they catch
 * only the program's own calls. brk is done through __sbrk (libc exports no other name for it),
 * which keeps glibc's idea of the break (__curbrk) up to date as brk does. Where the break is
 * afterwards is asked again: the kernel may refuse a move below the heap's start while brk still
 * returns 0. */
extern void *__sbrk(intptr_t increment);

MP_EXPORT void *sbrk(intptr_t increment)
{
    void *old = __sbrk(increment);
    if (old != (void *)-1 && increment)
        mp_runtime_after_break((uintptr_t)old, (uintptr_t)__sbrk(0));
    return old;
}

MP_EXPORT int brk(void *addr)
{
    char *old = __sbrk(0);
    if (old == (void *)-1 || __sbrk((char *)addr - old) == (void *)-1)
        return -1;
    mp_runtime_after_break((uintptr_t)old, (uintptr_t)__sbrk(0));
    return 0;
}
