/* The C++ allocation family, defined in C under the Itanium-ABI mangled names: operator new,
 * new[], delete, delete[], with the sized, nothrow and std::align_val_t (C++17) variants.
 * Memory comes from the real malloc/memalign. A failing throwing new runs the program's
 * new-handler and throws std::bad_alloc as the standard requires (new_failed in runtime.c);
 * the nothrow forms return NULL. Same hook shape as hooks_malloc.c. */
#include <dlfcn.h>
#include <stdint.h>

#include "common/kinds.h"
#include "preload/runtime/guard.h"
#include "preload/hooks/interpose.h"
#include "preload/hooks/real.h"
#include "preload/runtime/runtime.h"

#define FP() ((uintptr_t *)__builtin_frame_address(0))
#define FAST() (__builtin_expect(mp_tls.state == MP_IN_PROGRAM && mp_runtime_phase == MP_PHASE_TRACKING, 1))

/* A program that replaces operator new or delete itself (any form: the executable or a library
 * before memplumber defines it) relies on the standard's default definitions of the forms it
 * did not replace calling the ones it did (libstdc++'s new[] calls ::operator new, its nothrow
 * and sized forms call the plain ones, its delete calls free). memplumber's definitions of those
 * other forms would bypass the program's operators (its counters, pools, a delete that expects
 * its own new's blocks) and then name a free of its malloc'd block a mismatch. So, in such a
 * program, each form still reaching memplumber is passed to the next definition (libstdc++'s):
 * the blocks are tracked by the malloc and free underneath, as the program's operators call
 * them. Decided once, at the first call made by the program. */
enum { PASS_UNKNOWN = 0, PASS_NO = 1, PASS_YES = 2 };
static int pass_state;

enum {
    F_NW, F_NA, F_NW_NT, F_NA_NT, F_NW_AL, F_NA_AL, F_NW_AL_NT, F_NA_AL_NT,
    F_DL, F_DA, F_DL_SZ, F_DA_SZ, F_DL_NT, F_DA_NT, F_DL_AL, F_DA_AL, F_DL_SZ_AL, F_DA_SZ_AL,
    F_DL_AL_NT, F_DA_AL_NT, NCXX
};
static const char *const cxx_names[NCXX] = {
    "_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t", "_ZnwmSt11align_val_t",
    "_ZnamSt11align_val_t", "_ZnwmSt11align_val_tRKSt9nothrow_t",
    "_ZnamSt11align_val_tRKSt9nothrow_t", "_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm",
    "_ZdlPvRKSt9nothrow_t", "_ZdaPvRKSt9nothrow_t", "_ZdlPvSt11align_val_t",
    "_ZdaPvSt11align_val_t", "_ZdlPvmSt11align_val_t", "_ZdaPvmSt11align_val_t",
    "_ZdlPvSt11align_val_tRKSt9nothrow_t", "_ZdaPvSt11align_val_tRKSt9nothrow_t",
};
static void *cxx_next[NCXX];

static __attribute__((noinline, cold)) int pass_decide(void)
{
    int g = mp_guard_enter();
    Dl_info self, di;
    int replaced = 0;
    if (dladdr((void *)pass_decide, &self)) {
        for (int i = 0; i < NCXX && !replaced; i++) {
            void *f = dlsym(RTLD_DEFAULT, cxx_names[i]);
            replaced = f && dladdr(f, &di) && di.dli_fbase != self.dli_fbase;
        }
    }
    if (replaced)
        for (int i = 0; i < NCXX; i++)
            cxx_next[i] = mp_real_next(cxx_names[i]);
    mp_guard_leave(g);
    __atomic_store_n(&pass_state, replaced ? PASS_YES : PASS_NO, __ATOMIC_RELEASE);
    return replaced;
}

/* The next definition of form i when the program replaced operators, else NULL. */
static inline void *pass_to(int i)
{
    int st = __atomic_load_n(&pass_state, __ATOMIC_ACQUIRE);
    if (__builtin_expect(st == PASS_NO, 1))
        return NULL;
    if (st == PASS_UNKNOWN && (mp_tls.state != MP_IN_PROGRAM || !pass_decide()))
        return NULL;
    return cxx_next[i];
}

#define PASS(i, type, ...)                                                                     \
    do {                                                                                       \
        void *next_ = pass_to(i);                                                              \
        if (__builtin_expect(next_ != NULL, 0))                                                \
            return ((type)next_)(__VA_ARGS__);                                                 \
    } while (0)
#define NEW1 void *(*)(size_t)
#define NEW2 void *(*)(size_t, const void *)
#define NEWA void *(*)(size_t, size_t)
#define NEWA2 void *(*)(size_t, size_t, const void *)
#define DEL1 void (*)(void *)
#define DEL2 void (*)(void *, size_t)
#define DELP void (*)(void *, const void *)
#define DEL3 void (*)(void *, size_t, size_t)
#define DELAP void (*)(void *, size_t, const void *)

static inline void *new_common(size_t n, size_t align, unsigned kind, int nothrow, uintptr_t *fp)
{
    if (!FAST()) {
        void *p = mp_runtime_alloc_slow(kind, n, align, 1, fp);
        return p ? p : mp_runtime_new_failed(n, align, kind, nothrow, fp);
    }
    void *p = MP_REAL(align ? mp_real.memalign(align, n ? n : 1) : mp_real.malloc(n ? n : 1));
    if (__builtin_expect(!p, 0))
        return mp_runtime_new_failed(n, align, kind, nothrow, fp);
    mp_runtime_on_alloc(p, n, kind, fp);
    return p;
}

static inline void delete_common(void *p, unsigned free_kind, size_t size, int has_size,
                                 uintptr_t *fp)
{
    if (!p)
        return;
    if (!FAST()) {
        mp_runtime_free_slow(p, free_kind, fp);
        return;
    }
    if (mp_runtime_on_free(p, free_kind, size, has_size, fp))
        MP_REAL_VOID(mp_real.free(p));
    mp_tls.freeing = NULL; /* set by mp_runtime_on_free */
}

/* The aligned forms of libstdc++ refuse an alignment that is not a power of two (0 included:
 * a value computed wrongly): std::bad_alloc, or nullptr from the nothrow forms, without calling
 * the new-handler. memalign would round it up and hand out a block (not aligned as asked, for
 * 3 or 24) where the program natively gets none. */
#define BAD_ALIGN(al, n, nothrow)                                                              \
    do {                                                                                       \
        if (__builtin_expect((al) == 0 || ((al) & ((al) - 1)) != 0, 0))                        \
            return mp_runtime_new_bad_align(n, nothrow);                                       \
    } while (0)

/* operator new */
MP_EXPORT void *_Znwm(size_t n) { PASS(F_NW, NEW1, n); return new_common(n, 0, MP_ALLOC_NEW, 0, FP()); }
MP_EXPORT void *_Znam(size_t n) { PASS(F_NA, NEW1, n); return new_common(n, 0, MP_ALLOC_NEW_ARRAY, 0, FP()); }
MP_EXPORT void *_ZnwmRKSt9nothrow_t(size_t n, const void *nt)
{
    PASS(F_NW_NT, NEW2, n, nt);
    return new_common(n, 0, MP_ALLOC_NEW, 1, FP());
}
MP_EXPORT void *_ZnamRKSt9nothrow_t(size_t n, const void *nt)
{
    PASS(F_NA_NT, NEW2, n, nt);
    return new_common(n, 0, MP_ALLOC_NEW_ARRAY, 1, FP());
}
MP_EXPORT void *_ZnwmSt11align_val_t(size_t n, size_t al)
{
    PASS(F_NW_AL, NEWA, n, al);
    BAD_ALIGN(al, n, 0);
    return new_common(n, al, MP_ALLOC_NEW_ALIGNED, 0, FP());
}
MP_EXPORT void *_ZnamSt11align_val_t(size_t n, size_t al)
{
    PASS(F_NA_AL, NEWA, n, al);
    BAD_ALIGN(al, n, 0);
    return new_common(n, al, MP_ALLOC_NEW_ARRAY_ALIGNED, 0, FP());
}
MP_EXPORT void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt)
{
    PASS(F_NW_AL_NT, NEWA2, n, al, nt);
    BAD_ALIGN(al, n, 1);
    return new_common(n, al, MP_ALLOC_NEW_ALIGNED, 1, FP());
}
MP_EXPORT void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt)
{
    PASS(F_NA_AL_NT, NEWA2, n, al, nt);
    BAD_ALIGN(al, n, 1);
    return new_common(n, al, MP_ALLOC_NEW_ARRAY_ALIGNED, 1, FP());
}

/* operator delete */
MP_EXPORT void _ZdlPv(void *p) { PASS(F_DL, DEL1, p); delete_common(p, MP_FREE_DELETE, 0, 0, FP()); }
MP_EXPORT void _ZdaPv(void *p) { PASS(F_DA, DEL1, p); delete_common(p, MP_FREE_DELETE_ARRAY, 0, 0, FP()); }
MP_EXPORT void _ZdlPvm(void *p, size_t n) { PASS(F_DL_SZ, DEL2, p, n); delete_common(p, MP_FREE_DELETE, n, 1, FP()); }
MP_EXPORT void _ZdaPvm(void *p, size_t n) { PASS(F_DA_SZ, DEL2, p, n); delete_common(p, MP_FREE_DELETE_ARRAY, n, 1, FP()); }
MP_EXPORT void _ZdlPvRKSt9nothrow_t(void *p, const void *nt)
{
    PASS(F_DL_NT, DELP, p, nt);
    delete_common(p, MP_FREE_DELETE, 0, 0, FP());
}
MP_EXPORT void _ZdaPvRKSt9nothrow_t(void *p, const void *nt)
{
    PASS(F_DA_NT, DELP, p, nt);
    delete_common(p, MP_FREE_DELETE_ARRAY, 0, 0, FP());
}
MP_EXPORT void _ZdlPvSt11align_val_t(void *p, size_t al)
{
    PASS(F_DL_AL, DEL2, p, al);
    delete_common(p, MP_FREE_DELETE_ALIGNED, 0, 0, FP());
}
MP_EXPORT void _ZdaPvSt11align_val_t(void *p, size_t al)
{
    PASS(F_DA_AL, DEL2, p, al);
    delete_common(p, MP_FREE_DELETE_ARRAY_ALIGNED, 0, 0, FP());
}
MP_EXPORT void _ZdlPvmSt11align_val_t(void *p, size_t n, size_t al)
{
    PASS(F_DL_SZ_AL, DEL3, p, n, al);
    delete_common(p, MP_FREE_DELETE_ALIGNED, n, 1, FP());
}
MP_EXPORT void _ZdaPvmSt11align_val_t(void *p, size_t n, size_t al)
{
    PASS(F_DA_SZ_AL, DEL3, p, n, al);
    delete_common(p, MP_FREE_DELETE_ARRAY_ALIGNED, n, 1, FP());
}
MP_EXPORT void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t al, const void *nt)
{
    PASS(F_DL_AL_NT, DELAP, p, al, nt);
    delete_common(p, MP_FREE_DELETE_ALIGNED, 0, 0, FP());
}
MP_EXPORT void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t al, const void *nt)
{
    PASS(F_DA_AL_NT, DELAP, p, al, nt);
    delete_common(p, MP_FREE_DELETE_ARRAY_ALIGNED, 0, 0, FP());
}
