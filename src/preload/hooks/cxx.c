/* The C++ allocation family, defined in C under the Itanium-ABI mangled names: operator new,
 * new[], delete, delete[], with the sized, nothrow and std::align_val_t (C++17) variants.
 * Memory comes from the real malloc/memalign. A failing throwing new runs the program's
 * new-handler and throws std::bad_alloc as the standard requires (new_failed in runtime.c);
 * the nothrow forms return NULL. Same hook shape as hooks_malloc.c. */
#include <stdint.h>

#include "common/kinds.h"
#include "preload/runtime/guard.h"
#include "preload/hooks/interpose.h"
#include "preload/hooks/real.h"
#include "preload/runtime/runtime.h"

#define FP() ((uintptr_t *)__builtin_frame_address(0))
#define FAST() (__builtin_expect(mp_tls.state == MP_IN_PROGRAM && mp_runtime_phase == MP_PHASE_TRACKING, 1))

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
}

/* operator new */
MP_EXPORT void *_Znwm(size_t n) { return new_common(n, 0, MP_ALLOC_NEW, 0, FP()); }
MP_EXPORT void *_Znam(size_t n) { return new_common(n, 0, MP_ALLOC_NEW_ARRAY, 0, FP()); }
MP_EXPORT void *_ZnwmRKSt9nothrow_t(size_t n, const void *nt)
{
    return new_common(n, 0, MP_ALLOC_NEW, 1, FP());
}
MP_EXPORT void *_ZnamRKSt9nothrow_t(size_t n, const void *nt)
{
    return new_common(n, 0, MP_ALLOC_NEW_ARRAY, 1, FP());
}
MP_EXPORT void *_ZnwmSt11align_val_t(size_t n, size_t al)
{
    return new_common(n, al, MP_ALLOC_NEW_ALIGNED, 0, FP());
}
MP_EXPORT void *_ZnamSt11align_val_t(size_t n, size_t al)
{
    return new_common(n, al, MP_ALLOC_NEW_ARRAY_ALIGNED, 0, FP());
}
MP_EXPORT void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt)
{
    return new_common(n, al, MP_ALLOC_NEW_ALIGNED, 1, FP());
}
MP_EXPORT void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt)
{
    return new_common(n, al, MP_ALLOC_NEW_ARRAY_ALIGNED, 1, FP());
}

/* operator delete */
MP_EXPORT void _ZdlPv(void *p) { delete_common(p, MP_FREE_DELETE, 0, 0, FP()); }
MP_EXPORT void _ZdaPv(void *p) { delete_common(p, MP_FREE_DELETE_ARRAY, 0, 0, FP()); }
MP_EXPORT void _ZdlPvm(void *p, size_t n) { delete_common(p, MP_FREE_DELETE, n, 1, FP()); }
MP_EXPORT void _ZdaPvm(void *p, size_t n) { delete_common(p, MP_FREE_DELETE_ARRAY, n, 1, FP()); }
MP_EXPORT void _ZdlPvRKSt9nothrow_t(void *p, const void *nt)
{
    delete_common(p, MP_FREE_DELETE, 0, 0, FP());
}
MP_EXPORT void _ZdaPvRKSt9nothrow_t(void *p, const void *nt)
{
    delete_common(p, MP_FREE_DELETE_ARRAY, 0, 0, FP());
}
MP_EXPORT void _ZdlPvSt11align_val_t(void *p, size_t al)
{
    delete_common(p, MP_FREE_DELETE_ALIGNED, 0, 0, FP());
}
MP_EXPORT void _ZdaPvSt11align_val_t(void *p, size_t al)
{
    delete_common(p, MP_FREE_DELETE_ARRAY_ALIGNED, 0, 0, FP());
}
MP_EXPORT void _ZdlPvmSt11align_val_t(void *p, size_t n, size_t al)
{
    delete_common(p, MP_FREE_DELETE_ALIGNED, n, 1, FP());
}
MP_EXPORT void _ZdaPvmSt11align_val_t(void *p, size_t n, size_t al)
{
    delete_common(p, MP_FREE_DELETE_ARRAY_ALIGNED, n, 1, FP());
}
MP_EXPORT void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t al, const void *nt)
{
    delete_common(p, MP_FREE_DELETE_ALIGNED, 0, 0, FP());
}
MP_EXPORT void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t al, const void *nt)
{
    delete_common(p, MP_FREE_DELETE_ARRAY_ALIGNED, 0, 0, FP());
}
