/* Resolution of the real allocator with dlsym(RTLD_NEXT). dlsym itself may call calloc/malloc
 * (for its error buffer); mp_real_state == MP_REAL_RESOLVING routes those calls to the bootstrap arena. */
#include "preload/hooks/real.h"

#include <dlfcn.h>
#include <string.h>

#include "preload/runtime/guard.h"

struct mp_real mp_real;
int mp_real_state;

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

/* dlsym(RTLD_NEXT, name) with glibc's own dlsym. A library in front of us in LD_PRELOAD may
 * interpose dlsym (GL shims, VirtualGL's dlfaker) and forward to glibc's from its own code: glibc
 * then takes that library for the caller, and "the next malloc" it finds for us is our own hook
 * (endless recursion at the first allocation). When dlsym is not glibc's, glibc's is found
 * through a handle of libc, a lookup that does not depend on who calls; called from here,
 * RTLD_NEXT is relative to us. */
typedef void *(*dlsym_fn)(void *, const char *);
static dlsym_fn libc_dlsym;

static void *dlsym_next(const char *name)
{
    dlsym_fn f = __atomic_load_n(&libc_dlsym, __ATOMIC_ACQUIRE);
    if (!f) {
        f = dlsym;
        if (!in_libc((void *)f)) {
            void *h = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_LAZY); /* never unloaded: kept */
            dlsym_fn g = h ? (dlsym_fn)dlsym(h, "dlsym") : NULL;
            if (g)
                f = g;
        }
        __atomic_store_n(&libc_dlsym, f, __ATOMIC_RELEASE);
    }
    void *p = f(RTLD_NEXT, name);
    if (!p) {
        /* libc.so.6 itself in LD_PRELOAD in front of us (LD_PRELOAD=libc.so.6:...): nothing
         * after us defines malloc, and the program would stop at start-up. libc's own
         * definition is the one to call (it takes the program's calls too: the start-up
         * warning of runtime.c says so). */
        void *h = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_LAZY); /* never unloaded: kept */
        if (h)
            p = f(h, name);
    }
    return p;
}

/* Two copies of this library in one process (an installed one and a build tree's, both in
 * LD_PRELOAD: the loader keeps both, their paths differ). The first in symbol order owns the
 * program's functions; the later ones never initialise (runtime.c), so their hooks must not be
 * this copy's "next" functions either: they would track the same blocks again, and their fork
 * and exit paths run on state that was never set up. What RTLD_NEXT finds in another copy is
 * passed over by asking that copy for its own next definition (the exported function below,
 * which does the same in turn, so any number of copies is walked through). */
typedef void *(*next_fn)(const char *);
static void *lookup_next(const char *name);

__attribute__((visibility("default"))) void *__memplumber_real_next(const char *name);
void *__memplumber_real_next(const char *name)
{
    return lookup_next(name);
}

/* glibc's own definitions (the usual case) need no further look. Another object is asked for
 * the marker through a handle of its own: dlopen of a loaded object (RTLD_NOLOAD) loads nothing,
 * and the handle goes back with the dlclose that follows ours, never with our own dlclose hook,
 * which looks up its next definition here. */
static void *lookup_next(const char *name)
{
    void *p = dlsym_next(name);
    Dl_info di, self, odi;
    if (!p || !dladdr(p, &di) || !di.dli_fname || !dladdr((void *)lookup_next, &self) ||
        di.dli_fbase == self.dli_fbase)
        return p;
    const char *base = strrchr(di.dli_fname, '/');
    if (!strcmp(base ? base + 1 : di.dli_fname, "libc.so.6"))
        return p;
    void *h = dlopen(di.dli_fname, RTLD_NOLOAD | RTLD_LAZY);
    if (!h)
        return p;
    next_fn other = (next_fn)dlsym(h, "__memplumber_real_next");
    int (*close_next)(void *) = (int (*)(void *))dlsym_next("dlclose");
    if (close_next)
        close_next(h);
    if (other && dladdr((void *)other, &odi) && odi.dli_fbase == di.dli_fbase)
        return other(name);
    return p;
}

int mp_real_other_copy_first(void)
{
    int g = mp_guard_enter();
    void *first = dlsym(RTLD_DEFAULT, "__memplumber_real_next");
    Dl_info di, self;
    int other = first && dladdr(first, &di) && dladdr((void *)lookup_next, &self) &&
                di.dli_fbase != self.dli_fbase;
    mp_guard_leave(g);
    return other;
}

void *mp_real_next(const char *name)
{
    int g = mp_guard_enter();
    void *p = lookup_next(name);
    mp_guard_leave(g);
    return p;
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
    /* dlopen (proc.c) jumps straight to the real one once it is known */
    extern void *mp_dlopen_next;
    if (!__atomic_load_n(&mp_dlopen_next, __ATOMIC_ACQUIRE))
        __atomic_store_n(&mp_dlopen_next, mp_real_next("dlopen"), __ATOMIC_RELEASE);
    __atomic_store_n(&mp_real_state, MP_REAL_READY, __ATOMIC_RELEASE);
    return 0;
}
