/* Resolution of the real allocator with dlsym(RTLD_NEXT). dlsym itself may call calloc/malloc
 * (for its error buffer); mp_real_state == MP_REAL_RESOLVING routes those calls to the bootstrap arena. */
#include "preload/hooks/real.h"

#include <dlfcn.h>
#include <string.h>

#include "preload/runtime/guard.h"

struct mp_real mp_real;
int mp_real_state;

void *mp_real_next(const char *name)
{
    int g = mp_guard_enter();
    void *p = dlsym(RTLD_NEXT, name);
    mp_guard_leave(g);
    return p;
}

/* Is fn defined in glibc's libc.so.6? */
static int in_libc(void *fn)
{
    Dl_info di;
    int yes = 0;
    int g = mp_guard_enter();
    if (dladdr(fn, &di) && di.dli_fname) {
        const char *base = strrchr(di.dli_fname, '/');
        yes = strcmp(base ? base + 1 : di.dli_fname, "libc.so.6") == 0;
    }
    mp_guard_leave(g);
    return yes;
}

int mp_real_resolve(void)
{
    if (__atomic_load_n(&mp_real_state, __ATOMIC_ACQUIRE) == MP_REAL_READY)
        return 0;
    __atomic_store_n(&mp_real_state, MP_REAL_RESOLVING, __ATOMIC_RELEASE);
    struct mp_real r;
    r.malloc = mp_real_next("malloc");
    r.free = mp_real_next("free");
    r.calloc = mp_real_next("calloc");
    r.realloc = mp_real_next("realloc");
    r.memalign = mp_real_next("memalign");
    r.posix_memalign = mp_real_next("posix_memalign");
    r.aligned_alloc = mp_real_next("aligned_alloc");
    r.valloc = mp_real_next("valloc");
    r.pvalloc = mp_real_next("pvalloc");
    r.malloc_usable_size = mp_real_next("malloc_usable_size");
    if (!r.malloc || !r.free || !r.calloc || !r.realloc)
        return -1;
    r.realloc_is_libc = in_libc((void *)r.realloc);
    r.foreign = !in_libc((void *)r.free);
    mp_real = r;
    __atomic_store_n(&mp_real_state, MP_REAL_READY, __ATOMIC_RELEASE);
    return 0;
}
