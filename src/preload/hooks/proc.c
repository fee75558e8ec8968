/* Process events that keep the runtime coherent: thread start (stack bounds for the unwinder),
 * dlclose (keep the object's name for stacks captured before it went away), _exit/_Exit (write
 * the report: exit() reaches it through atexit, these do not), the system break moved by the
 * program itself (sbrk, brk). */
#include <dlfcn.h>
#include <sched.h>
#include <stdarg.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* ---- RTLD_DEEPBIND ----
 * A library opened with RTLD_DEEPBIND looks its symbols up in its own scope (itself, then its
 * dependencies: libc) before the global one, so its calls to malloc and free went to glibc's,
 * past memplumber: a block it allocated and the program freed was an "invalid free" (and was
 * then never freed), a block the program allocated and it freed stayed "definitely lost", and
 * its own leaks were not seen (thousands of false errors from a test that natively runs clean;
 * valgrind, which replaces glibc's functions themselves, sees them all). After such a dlopen,
 * the new objects' GOT slots of the allocation family that point to glibc's functions (or will
 * when first called) are set to what the global scope gives (memplumber's), as a dlopen without
 * RTLD_DEEPBIND binds them. A library's own definitions (a malloc of its own) are left alone. */
static const char *const deep_names[] = {"malloc", "free", "calloc", "realloc", "memalign",
                                         "posix_memalign", "aligned_alloc", "valloc", "pvalloc",
                                         "malloc_usable_size", "reallocarray",
                                         /* C++: libstdc++'s would be bound, not memplumber's */
                                         "_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t",
                                         "_ZnwmSt11align_val_t", "_ZnamSt11align_val_t",
                                         "_ZnwmSt11align_val_tRKSt9nothrow_t",
                                         "_ZnamSt11align_val_tRKSt9nothrow_t", "_ZdlPv", "_ZdaPv",
                                         "_ZdlPvm", "_ZdaPvm", "_ZdlPvRKSt9nothrow_t",
                                         "_ZdaPvRKSt9nothrow_t", "_ZdlPvSt11align_val_t",
                                         "_ZdaPvSt11align_val_t", "_ZdlPvmSt11align_val_t",
                                         "_ZdaPvmSt11align_val_t",
                                         "_ZdlPvSt11align_val_tRKSt9nothrow_t",
                                         "_ZdaPvSt11align_val_tRKSt9nothrow_t"};
#define NDEEP (sizeof deep_names / sizeof deep_names[0])

struct deep_obj {
    uintptr_t base;
    const char *name;
    uintptr_t relro_lo, relro_hi;
};

static int deep_relro_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    struct deep_obj *o = data;
    if (info->dlpi_addr != o->base || !info->dlpi_name || strcmp(info->dlpi_name, o->name))
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
            o->relro_lo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
            o->relro_hi = o->relro_lo + info->dlpi_phdr[i].p_memsz;
        }
    return 1;
}

static void deep_set(const struct deep_obj *o, uintptr_t *slot, uintptr_t value)
{
    if (*slot == value)
        return;
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t page = (uintptr_t)slot & ~(uintptr_t)(pg - 1);
    int ro = (uintptr_t)slot >= o->relro_lo && (uintptr_t)slot < o->relro_hi;
    if (ro && mprotect((void *)page, (size_t)pg, PROT_READ | PROT_WRITE))
        return;
    __atomic_store_n(slot, value, __ATOMIC_RELAXED);
    if (ro)
        mprotect((void *)page, (size_t)pg, PROT_READ);
}

static void deep_patch_relocs(const struct deep_obj *o, const ElfW(Rela) *r, size_t bytes,
                              const ElfW(Sym) *symtab, const char *strtab, void *const *global,
                              void *const *deep)
{
    for (size_t k = 0; k < bytes / sizeof *r; k++) {
        unsigned type = ELF64_R_TYPE(r[k].r_info), si = ELF64_R_SYM(r[k].r_info);
        if ((type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) || !si ||
            symtab[si].st_shndx != SHN_UNDEF)
            continue;
        const char *nm = strtab + symtab[si].st_name;
        for (size_t i = 0; i < NDEEP; i++)
            if (global[i] && deep[i] && global[i] != deep[i] && !strcmp(nm, deep_names[i])) {
                deep_set(o, (uintptr_t *)(o->base + r[k].r_offset), (uintptr_t)global[i]);
                break;
            }
    }
}

static uintptr_t dyn_ptr(const struct link_map *lm, ElfW(Addr) v)
{
    return v < lm->l_addr ? v + lm->l_addr : v; /* ld.so has relocated them, mostly */
}

static void deep_patch(void *handle)
{
    struct link_map *first = NULL;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &first) || !first)
        return;
    void *global[NDEEP], *deep[NDEEP];
    for (size_t i = 0; i < NDEEP; i++) {
        global[i] = dlsym(RTLD_DEFAULT, deep_names[i]); /* what binding without DEEPBIND gives */
        deep[i] = dlsym(handle, deep_names[i]);         /* what the library's own scope gives */
    }
    /* the opened object and those after it in the chain: its dependencies loaded with it */
    for (struct link_map *lm = first; lm; lm = lm->l_next) {
        if (!lm->l_ld)
            continue;
        const ElfW(Sym) *symtab = NULL;
        const char *strtab = NULL;
        const ElfW(Rela) *rela = NULL, *jmprel = NULL;
        size_t relasz = 0, pltrelsz = 0;
        long pltrel = DT_RELA;
        for (const ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++) {
            switch (d->d_tag) {
            case DT_SYMTAB: symtab = (const ElfW(Sym) *)dyn_ptr(lm, d->d_un.d_ptr); break;
            case DT_STRTAB: strtab = (const char *)dyn_ptr(lm, d->d_un.d_ptr); break;
            case DT_RELA: rela = (const ElfW(Rela) *)dyn_ptr(lm, d->d_un.d_ptr); break;
            case DT_RELASZ: relasz = d->d_un.d_val; break;
            case DT_JMPREL: jmprel = (const ElfW(Rela) *)dyn_ptr(lm, d->d_un.d_ptr); break;
            case DT_PLTRELSZ: pltrelsz = d->d_un.d_val; break;
            case DT_PLTREL: pltrel = (long)d->d_un.d_val; break;
            }
        }
        if (!symtab || !strtab || pltrel != DT_RELA)
            continue;
        struct deep_obj o = {lm->l_addr, lm->l_name ? lm->l_name : "", 0, 0};
        dl_iterate_phdr(deep_relro_cb, &o);
        if (rela)
            deep_patch_relocs(&o, rela, relasz, symtab, strtab, global, deep);
        if (jmprel)
            deep_patch_relocs(&o, jmprel, pltrelsz, symtab, strtab, global, deep);
    }
}

/* The DEEPBIND open is made from here, so glibc takes libmemplumber.so for the caller: a bare
 * name would be searched along memplumber's RUNPATH instead of the calling object's (a library
 * found through the executable's RUNPATH or $ORIGIN was "not found"). The calling object's own
 * search list (dlinfo RTLD_DI_SERINFO: its RPATH, LD_LIBRARY_PATH, its RUNPATH, $ORIGIN
 * expanded) is walked here as glibc walks it; ld.so.cache and the default directories, the same
 * for every caller, are left to glibc. */
static void *deep_open(void *(*next)(const char *, int), const char *file, int mode, void *caller)
{
    if (!file || strchr(file, '/') || !caller)
        return next(file, mode);
    void *h = next(file, mode | RTLD_NOLOAD); /* loaded already (its soname): glibc's answer */
    if (h)
        return h;
    Dl_info di;
    struct link_map *lm = NULL;
    Dl_serinfo size;
    if (!dladdr1(caller, &di, (void **)&lm, RTLD_DL_LINKMAP) || !lm ||
        dlinfo(lm, RTLD_DI_SERINFOSIZE, &size))
        return next(file, mode);
    union {
        Dl_serinfo si;
        char bytes[8192];
    } u;
    if (size.dls_size > sizeof u)
        return next(file, mode);
    u.si.dls_size = size.dls_size;
    u.si.dls_cnt = size.dls_cnt;
    if (dlinfo(lm, RTLD_DI_SERINFO, &u.si))
        return next(file, mode);
    for (unsigned i = 0; i < u.si.dls_cnt; i++) {
        const Dl_serpath *sp = &u.si.dls_serpath[i];
        char path[4096];
        size_t dn = strlen(sp->dls_name), fn = strlen(file);
        if ((sp->dls_flags & LA_SER_DEFAULT) || dn + fn + 2 > sizeof path)
            continue;
        memcpy(path, sp->dls_name, dn);
        path[dn] = '/';
        memcpy(path + dn + 1, file, fn + 1);
        if (access(path, F_OK) == 0 && (h = next(path, mode)))
            return h;
    }
    return next(file, mode);
}

/* dlopen: passed on by a jump (dlopen_stub below), so that glibc sees the program's return
 * address as the caller (the caller's RUNPATH and $ORIGIN find the library); only RTLD_DEEPBIND
 * opens, or one before the real dlopen is known, come through here. */
void *mp_dlopen_next;
void *mp_dlopen_deep(const char *file, int mode);
void *mp_dlopen_deep(const char *file, int mode)
{
    void *(*next)(const char *, int) =
        (void *(*)(const char *, int))__atomic_load_n(&mp_dlopen_next, __ATOMIC_ACQUIRE);
    if (!next) {
        /* Not through mp_real_next or dlsym: mp_real_next calls dlopen itself (RTLD_NOLOAD), and
         * a dlsym interposed in front of us would take us for the next dlopen (endless
         * recursion). dlvsym from here: the next definition after this library (glibc's, or
         * another copy of memplumber's, which passes it on in turn). */
        next = (void *(*)(const char *, int))dlvsym(RTLD_NEXT, "dlopen", "GLIBC_2.34");
        if (!next)
            next = (void *(*)(const char *, int))dlvsym(RTLD_NEXT, "dlopen", "GLIBC_2.2.5");
        if (!next)
            return NULL;
        __atomic_store_n(&mp_dlopen_next, (void *)next, __ATOMIC_RELEASE);
    }
    /* reached by a jump from the stub: the return address is the program's */
    void *h = deep_open(next, file, mode, __builtin_return_address(0));
    if (h && (mode & RTLD_DEEPBIND) && mp_runtime_phase == MP_PHASE_TRACKING &&
        mp_tls.state == MP_IN_PROGRAM && !mp_real.foreign)
        deep_patch(h);
    return h;
}

_Static_assert(RTLD_DEEPBIND == 8, "dlopen_stub tests RTLD_DEEPBIND as 8");
__asm__(".text\n"
        ".globl dlopen\n"
        ".type dlopen, @function\n"
        "dlopen:\n"
        "    .cfi_startproc\n"
        "    testl $8, %esi\n" /* RTLD_DEEPBIND */
        "    jnz 1f\n"
        "    movq mp_dlopen_next(%rip), %rax\n"
        "    testq %rax, %rax\n"
        "    jz 1f\n"
        "    jmp *%rax\n"
        "1:  jmp mp_dlopen_deep\n"
        "    .cfi_endproc\n"
        ".size dlopen, .-dlopen\n");

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

/* clone(2) through glibc's wrapper without CLONE_VM: a new process with a copy of our memory. When
 * fn returns, glibc ends the child with the exit system call, past every exit handler: the child
 * wrote no report (valgrind reports it). So fn runs under a trampoline that, when it returns,
 * adopts the child as a process of its own and writes its exit report before that system call.
 * fn and arg reach the child in this thread's TLS, which the child has a copy of (without
 * CLONE_SETTLS it keeps our thread pointer). Threads and CLONE_VM children are left alone: they
 * share our memory and report with us. */
static __thread int (*clone_fn)(void *) __attribute__((tls_model("initial-exec")));
static __thread void *clone_arg __attribute__((tls_model("initial-exec")));

static int clone_trampoline(void *unused)
{
    (void)unused;
    int rc = clone_fn(clone_arg);
    mp_runtime_adopt_clone_child();
    if (mp_opt.report_on_exit && getpid() == mp_runtime_pid)
        mp_runtime_report_ex("exit", MP_REPORT_AT_EXIT, NULL);
    return rc;
}

typedef int (*clone_fn_t)(int (*)(void *), void *, int, void *, ...);
MP_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
    static clone_fn_t real_clone;
    if (!real_clone)
        real_clone = (clone_fn_t)mp_real_next("clone");
    va_list ap;
    va_start(ap, arg);
    pid_t *ptid = va_arg(ap, pid_t *);
    void *tls = va_arg(ap, void *);
    pid_t *ctid = va_arg(ap, pid_t *);
    va_end(ap);
    if ((flags & (CLONE_VM | CLONE_THREAD | CLONE_SETTLS)) || !fn ||
        mp_runtime_phase != MP_PHASE_TRACKING)
        return real_clone(fn, stack, flags, arg, ptid, tls, ctid);
    clone_fn = fn;
    clone_arg = arg;
    return real_clone(clone_trampoline, stack, flags, NULL, ptid, tls, ctid);
}
