/* The real allocator: the next definitions after memplumber's in symbol order (dlsym RTLD_NEXT),
 * resolved once. While resolution runs, allocation requests are served by bootstrap.c. */
#ifndef MP_REAL_H
#define MP_REAL_H

#include <stddef.h>

struct mp_real {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*memalign)(size_t, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*malloc_usable_size)(void *);
    /* realloc is glibc's own (defined in libc.so.6, not in an allocator or a malloc-debugging
     * library loaded after memplumber): mp_heap_realloc may then hold a shard lock around it */
    int realloc_is_libc;
    /* free is not glibc's: the real allocator is another one (jemalloc, tcmalloc, linked or
     * preloaded after memplumber), with entry points of its own that memplumber does not see
     * (mallocx, rallocx, tc_malloc, tc_realloc...). A block memplumber does not know may then be
     * a valid block of that allocator: free, realloc and malloc_usable_size pass it on as the
     * program asked instead of calling it an invalid pointer (see runtime.c). */
    int foreign;
};

extern struct mp_real mp_real;

/* mp_real_state: the real functions are not looked up yet, being looked up (allocations are
 * served by the bootstrap arena), or ready. */
enum mp_real_state { MP_REAL_UNRESOLVED = 0, MP_REAL_RESOLVING = 1, MP_REAL_READY = 2 };
extern int mp_real_state;

/* Resolve every function; hook-safe; idempotent. Returns 0, or -1 if malloc/free are missing. */
int mp_real_resolve(void);

/* Look up the next definition of a symbol (RTLD_NEXT, past other copies of this library), under
 * the guard. */
void *mp_real_next(const char *name);

/* Is another copy of this library before this one in symbol order (it owns the program)? */
int mp_real_other_copy_first(void);

/* The real pthread_create, bypassing memplumber's wrapper (hooks_proc.c): for memplumber's own
 * threads, which must not be tracked as the program's. */
#include <pthread.h>
int mp_real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);

#endif
