/* The one place that declares the allocation functions memplumber interposes (the build warns
 * about any global function without a prior declaration, -Wmissing-prototypes): the C family
 * (hooks_malloc.c) and the C++ operators, defined in C under their Itanium-ABI mangled names
 * (hooks_cxx.c). Declared here without the C library's attributes (malloc, leaf, nothrow...),
 * which describe glibc's functions, not these wrappers; so hooks never include <stdlib.h> or
 * <malloc.h>. Included by the hooks only. */
#ifndef MP_INTERPOSE_H
#define MP_INTERPOSE_H

#include <stddef.h>

void *malloc(size_t n);
void free(void *p);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *p, size_t n);
void *reallocarray(void *p, size_t nmemb, size_t size);
void *memalign(size_t align, size_t n);
void *aligned_alloc(size_t align, size_t n);
int posix_memalign(void **out, size_t align, size_t n);
void *valloc(size_t n);
void *pvalloc(size_t n);
size_t malloc_usable_size(void *p);
/* glibc's internal names and the old cfree, aliases of the above. */
void *__libc_malloc(size_t n);
void __libc_free(void *p);
void *__libc_calloc(size_t nmemb, size_t size);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);
void *__libc_valloc(size_t n);
void *__libc_pvalloc(size_t n);
void cfree(void *p);

/* operator new / new[]: (size), (size, nothrow), (size, align), (size, align, nothrow). The
 * nothrow_t reference and align_val_t are passed as a pointer and a size_t. */
void *_Znwm(size_t n);
void *_Znam(size_t n);
void *_ZnwmRKSt9nothrow_t(size_t n, const void *nt);
void *_ZnamRKSt9nothrow_t(size_t n, const void *nt);
void *_ZnwmSt11align_val_t(size_t n, size_t al);
void *_ZnamSt11align_val_t(size_t n, size_t al);
void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt);
void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt);

/* operator delete / delete[]: (ptr), (ptr, size), (ptr, nothrow), (ptr, align),
 * (ptr, size, align), (ptr, align, nothrow). */
void _ZdlPv(void *p);
void _ZdaPv(void *p);
void _ZdlPvm(void *p, size_t n);
void _ZdaPvm(void *p, size_t n);
void _ZdlPvRKSt9nothrow_t(void *p, const void *nt);
void _ZdaPvRKSt9nothrow_t(void *p, const void *nt);
void _ZdlPvSt11align_val_t(void *p, size_t al);
void _ZdaPvSt11align_val_t(void *p, size_t al);
void _ZdlPvmSt11align_val_t(void *p, size_t n, size_t al);
void _ZdaPvmSt11align_val_t(void *p, size_t n, size_t al);
void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *p, size_t al, const void *nt);
void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *p, size_t al, const void *nt);

/* libc's start-up entry (hooks_start.c), to learn where main is. */
int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
                      void (*init)(void), void (*fini)(void), void (*rtld_fini)(void),
                      void *stack_end);

#endif
