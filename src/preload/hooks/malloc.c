/* The C allocation family, interposed. Each hook has one shape: if memplumber cannot track
 * right now (not initialised, inside its own code, or re-entered from a signal handler), take
 * the slow path; else call the real function, then record (allocation) or record, then call
 * the real function (free: the record goes first so no other thread can be handed the address
 * while it is still in the table). No logic lives here: see runtime.c. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/kinds.h"
#include "preload/runtime/guard.h"
#include "preload/hooks/interpose.h"
#include "preload/record/modules.h"
#include "preload/hooks/real.h"
#include "preload/runtime/runtime.h"

#define FP() ((uintptr_t *)__builtin_frame_address(0))
#define FAST() (__builtin_expect(mp_tls.state == MP_IN_PROGRAM && mp_runtime_phase == MP_PHASE_TRACKING, 1))

MP_EXPORT void *malloc(size_t n)
{
    if (!FAST())
        return mp_runtime_alloc_slow(MP_ALLOC_MALLOC, n, 0, 1, FP());
    void *p = MP_REAL(mp_real.malloc(n));
    if (p)
        mp_runtime_on_alloc(p, n, MP_ALLOC_MALLOC, FP());
    return p;
}

MP_EXPORT void free(void *p)
{
    if (!p)
        return;
    if (!FAST()) {
        mp_runtime_free_slow(p, MP_FREE_FREE, FP());
        return;
    }
    if (mp_runtime_on_free(p, MP_FREE_FREE, 0, 0, FP()))
        MP_REAL_VOID(mp_real.free(p));
    mp_tls.freeing = NULL; /* set by mp_runtime_on_free */
}

MP_EXPORT void *calloc(size_t nmemb, size_t size)
{
    if (!FAST())
        return mp_runtime_alloc_slow(MP_ALLOC_CALLOC, size, 0, nmemb, FP());
    void *p = MP_REAL(mp_real.calloc(nmemb, size));
    if (p)
        mp_runtime_on_alloc(p, mp_modules_native_calloc_size(nmemb, size,
                                                             (uintptr_t)__builtin_return_address(0)),
                            MP_ALLOC_CALLOC, FP());
    return p;
}

MP_EXPORT void *realloc(void *p, size_t n)
{
    return mp_runtime_realloc(p, n, FP());
}

MP_EXPORT void *reallocarray(void *p, size_t nmemb, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(nmemb, size, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    return mp_runtime_realloc(p, n, FP());
}

MP_EXPORT void *memalign(size_t align, size_t n)
{
    if (!FAST())
        return mp_runtime_alloc_slow(MP_ALLOC_MEMALIGN, n, align, 1, FP());
    void *p = MP_REAL(mp_real.memalign(align, n));
    if (p)
        mp_runtime_on_alloc(p, n, MP_ALLOC_MEMALIGN, FP());
    return p;
}

MP_EXPORT void *aligned_alloc(size_t align, size_t n)
{
    if (!FAST())
        return mp_runtime_alloc_slow(MP_ALLOC_MEMALIGN, n, align, 1, FP());
    void *p = MP_REAL(mp_real.aligned_alloc(align, n));
    if (p)
        mp_runtime_on_alloc(p, n, MP_ALLOC_MEMALIGN, FP());
    return p;
}

MP_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (!FAST()) {
        if (align < sizeof(void *) || (align & (align - 1)))
            return EINVAL;
        void *p = mp_runtime_alloc_slow(MP_ALLOC_MEMALIGN, n, align, 1, FP());
        if (!p)
            return ENOMEM;
        *out = p;
        return 0;
    }
    void *p = NULL;
    int rc = MP_REAL(mp_real.posix_memalign(&p, align, n));
    if (rc == 0) {
        mp_runtime_on_alloc(p, n, MP_ALLOC_MEMALIGN, FP());
        *out = p;
    }
    return rc;
}

MP_EXPORT void *valloc(size_t n)
{
    if (!FAST())
        return mp_runtime_alloc_slow(MP_ALLOC_MEMALIGN, n, 4096, 1, FP());
    void *p = MP_REAL(mp_real.valloc(n));
    if (p)
        mp_runtime_on_alloc(p, n, MP_ALLOC_MEMALIGN, FP());
    return p;
}

MP_EXPORT void *pvalloc(size_t n)
{
    /* The size rounded up to whole pages, as glibc does: a size that overflows on the way up
     * fails (ENOMEM) even where the real pvalloc is not called (the slow path: the process's
     * first allocation, a signal handler), and pvalloc(0) is recorded as the block of nothing
     * glibc makes (memalign of at most a byte), not as a page: the leak scan reads a block's
     * recorded size, and the page after pvalloc(0) holds other blocks. */
    size_t rounded;
    if (__builtin_add_overflow(n, (size_t)4095, &rounded)) {
        errno = ENOMEM;
        return NULL;
    }
    rounded &= ~(size_t)4095;
    if (!FAST())
        return mp_runtime_alloc_slow(MP_ALLOC_MEMALIGN, rounded, 4096, 1, FP());
    void *p = MP_REAL(mp_real.pvalloc(n));
    if (p)
        mp_runtime_on_alloc(p, rounded, MP_ALLOC_MEMALIGN, FP());
    return p;
}

MP_EXPORT size_t malloc_usable_size(void *p)
{
    return mp_runtime_usable_size(p, FP());
}

/* glibc's own names for the same functions: some programs and libraries call them directly. */
MP_EXPORT void *__libc_malloc(size_t n) __attribute__((alias("malloc")));
MP_EXPORT void __libc_free(void *p) __attribute__((alias("free")));
MP_EXPORT void *__libc_calloc(size_t a, size_t b) __attribute__((alias("calloc")));
MP_EXPORT void *__libc_realloc(void *p, size_t n) __attribute__((alias("realloc")));
MP_EXPORT void *__libc_memalign(size_t a, size_t n) __attribute__((alias("memalign")));
MP_EXPORT void *__libc_valloc(size_t n) __attribute__((alias("valloc")));
MP_EXPORT void *__libc_pvalloc(size_t n) __attribute__((alias("pvalloc")));
MP_EXPORT void cfree(void *p) __attribute__((alias("free")));
