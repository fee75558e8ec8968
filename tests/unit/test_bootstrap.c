// SOURCES: src/preload/hooks/bootstrap.c
// CFLAGS: -pthread
/* The bootstrap arena (src/preload/hooks/bootstrap.h) that serves dlsym's calloc before the real
 * allocator is known: blocks are zero-filled and aligned as asked (16 at least), a non-power-of-
 * two alignment is refused, mp_bootstrap_owns is true exactly inside the arena (half open),
 * mp_bootstrap_size gives each block's requested size, blocks never overlap, also when 4 threads
 * allocate at once, and when the arena is used up requests fail with NULL (never a block that
 * runs past its end), while a small request that still fits succeeds. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "preload/hooks/bootstrap.h"

enum { T = 4, PER = 100 };
static char *tb[T][PER];
static void *worker(void *arg)
{
    long t = (long)arg;
    for (int i = 0; i < PER; i++) {
        tb[t][i] = mp_bootstrap_alloc(24, 16);
        if (tb[t][i])
            memset(tb[t][i], (int)t + 1, 24);
    }
    return NULL;
}

int main(void)
{
    char x;
    CHECK(!mp_bootstrap_owns(&x), "a stack address is not the arena's");
    char *heap = malloc(16);
    CHECK(!mp_bootstrap_owns(heap), "a heap address is not the arena's");
    free(heap);

    char *a = mp_bootstrap_alloc(100, 1);
    CHECK(a && ((uintptr_t)a & 15) == 0, "alignment below 16 is raised to 16");
    CHECK(mp_bootstrap_owns(a) && mp_bootstrap_owns(a + 99), "owns its block");
    CHECK_UL(mp_bootstrap_size(a), 100);
    int nonzero = 0;
    for (int i = 0; a && i < 100; i++)
        nonzero += a[i] != 0;
    CHECK(nonzero == 0, "bootstrap blocks are zero-filled (dlsym uses calloc)");
    memset(a, 0xaa, 100);

    char *b = mp_bootstrap_alloc(10, 4096);
    CHECK(b && ((uintptr_t)b & 4095) == 0, "alignment 4096 honoured");
    CHECK(b >= a + 100 + 16, "a block keeps room for its size header after the previous block");
    CHECK_UL(mp_bootstrap_size(b), 10);
    CHECK(mp_bootstrap_alloc(8, 24) == NULL, "alignment 24 (not a power of two) is refused");
    CHECK(mp_bootstrap_alloc(SIZE_MAX, 16) == NULL, "SIZE_MAX is refused");
    CHECK(mp_bootstrap_alloc(SIZE_MAX - 64, 16) == NULL, "a size near SIZE_MAX is refused");

    pthread_t th[T];
    for (long t = 0; t < T; t++)
        pthread_create(&th[t], NULL, worker, (void *)t);
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
    int bad = 0;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < PER; i++)
            for (int k = 0; k < 24; k++)
                if (!tb[t][i] || tb[t][i][k] != t + 1) {
                    bad++;
                    break;
                }
    CHECK(bad == 0, "%d blocks allocated concurrently were NULL or overlapped", bad);
    int still = 0;
    for (int i = 0; i < 100; i++)
        still += (unsigned char)a[i] == 0xaa;
    CHECK(still == 100, "the first block was overwritten");

    /* Use the arena up; the last block must end inside it. */
    char *last = NULL, *p;
    int n = 0;
    while ((p = mp_bootstrap_alloc(1000, 16)) != NULL && n < 1000) {
        last = p;
        n++;
    }
    CHECK(p == NULL, "the arena never ran out after %d blocks", n);
    CHECK(last && mp_bootstrap_owns(last + 999), "the last block ends inside the arena");
    char *small = mp_bootstrap_alloc(8, 16);
    if (small)
        CHECK(mp_bootstrap_owns(small + 7), "a small block after exhaustion fits inside");
    CHECK(mp_bootstrap_alloc(1000, 16) == NULL, "still exhausted");
    return CHECK_DONE();
}
