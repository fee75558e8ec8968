// Linked with jemalloc, which memplumber's hooks reach as the real allocator: blocks also come
// from jemalloc's own entry points (mallocx, rallocx) memplumber does not see, and are freed,
// reallocated and measured with the standard ones (valid in jemalloc), in two threads. The
// program checks every result: realloc must keep the contents (it returned NULL), usable sizes
// must be jemalloc's (0 was returned), and no invalid free is reported (a false heap error
// changes the exit status under error_exitcode; the blocks were never freed).
// NEEDS-LIB: libjemalloc.so.2
// OPTIONS: error_exitcode=9
// JSON-CHECK: j['summary'].get('errors', 0) == 0
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *mallocx(size_t size, int flags);
void *rallocx(void *p, size_t size, int flags);
void sdallocx(void *p, size_t size, int flags);
void dallocx(void *p, int flags);
size_t sallocx(const void *p, int flags);
#define MALLOCX_ZERO 0x40

static long bad;

static void *work(void *arg)
{
    long seed = (long)arg;
    for (int i = 0; i < 2000; i++) {
        size_t n = 16 + (size_t)((i * 37 + seed) % 3000);
        char *a = mallocx(n, MALLOCX_ZERO);
        memset(a, 'a', n);
        if (malloc_usable_size(a) != sallocx(a, 0))
            __atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
        char *b = realloc(a, n * 3);                 /* jemalloc's block, standard realloc */
        if (!b || b[0] != 'a' || b[n - 1] != 'a') {
            __atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
            continue;
        }
        free(b);                                     /* ... and standard free */
        char *c = malloc(n);                         /* memplumber's hook, then rallocx */
        memset(c, 'c', n);
        c = rallocx(c, n + 5000, 0);
        if (c[n - 1] != 'c')
            __atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
        free(c);
        char *d = mallocx(64, 0);
        d = realloc(d, 0 == i % 7 ? 1 : 200);
        if (!d)
            __atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
        dallocx(d, 0);
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, work, (void *)1L);
    work((void *)2L);
    pthread_join(t, NULL);
    char *keep = mallocx(100, 0);
    printf("bad results: %ld, usable %zu\n", bad, malloc_usable_size(keep));
    free(keep);
    return 0;
}
