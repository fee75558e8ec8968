/* The per-thread stack cache (stack_cache=yes) must never hand one stack's id to another. Two
 * call paths share the leaf, its three callers and their frame layout, so a capture starts at the
 * same pc and sp with the same first return addresses on both; they differ only further out
 * (via_a or via_b, called from two places in main's loop and from a recursion of varying depth).
 * Thousands of allocations alternate between the paths, so the cache is filled and hit; the blocks
 * kept are then leaked, a known number per path, and each path's record must count its own.
 * The same in four threads (each with its own cache) and with stack_cache=no.
 * RUN:        %memplumber --stack-cache=yes --verbosity=2 --json %t.json -- %bin
 * STDOUT:     done
 * STDERR-RE:  memplumber: stack cache: [1-9]\d* caches?, [1-9]\d* lookups, [1-9]\d* answered \(\d+%\); trials: kept on 0 times, off 0 times
 * EXPECT:     definitely_lost bytes=3200 blocks=400 frame0=leaf frame3=mid3 frame4=via_a frame5=flat_loop frame6=main
 * EXPECT:     definitely_lost bytes=1600 blocks=200 frame0=leaf frame3=mid3 frame4=via_b frame5=flat_loop frame6=main
 * EXPECT:     definitely_lost bytes=800 blocks=100 frame0=leaf frame3=mid3 frame4=via_a frame5=deeper frame6=deeper frame7=main
 * EXPECT:     definitely_lost bytes=560 blocks=70 frame0=leaf frame3=mid3 frame4=via_b frame5=deeper frame6=main
 * EXPECT:     definitely_lost bytes=12800 blocks=1600 frame0=leaf frame3=mid3 frame4=via_a frame5=worker
 * EXPECT:     definitely_lost bytes=6400 blocks=800 frame0=leaf frame3=mid3 frame4=via_b frame5=worker
 * EXPECT:     summary.definitely_lost.blocks=3170
 * RUN:        %memplumber --stack-cache=no --json %t.off.json -- %bin
 * STDOUT:     done
 * JSON:       %t.off.json
 * EXPECT:     definitely_lost bytes=3200 blocks=400 frame0=leaf frame3=mid3 frame4=via_a frame5=flat_loop frame6=main
 * EXPECT:     definitely_lost bytes=560 blocks=70 frame0=leaf frame3=mid3 frame4=via_b frame5=deeper frame6=main
 * EXPECT:     definitely_lost bytes=6400 blocks=800 frame0=leaf frame3=mid3 frame4=via_b frame5=worker
 * EXPECT:     summary.definitely_lost.blocks=3170
 * VALGRIND:   skip stack_cache is a memplumber option (the plain run is the same program)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE void *leaf(void)
{
    char *p = malloc(8);
    memset(p, 0x5a, 8);
    return p;
}
NOINLINE void *mid1(void) { void *p = leaf(); NOTAIL(); return p; }
NOINLINE void *mid2(void) { void *p = mid1(); NOTAIL(); return p; }
NOINLINE void *mid3(void) { void *p = mid2(); NOTAIL(); return p; }
NOINLINE void *via_a(void) { void *p = mid3(); NOTAIL(); return p; }
NOINLINE void *via_b(void) { void *p = mid3(); NOTAIL(); return p; }

/* One more frame per level: the leaf's sp moves, the paths above stay alike. */
NOINLINE void *deeper(int d, int b)
{
    void *p = d ? deeper(d - 1, b) : b ? via_b() : via_a();
    NOTAIL();
    return p;
}

/* blocks leaked, until forget() drops the last pointers to them */
static void *kept[1024];
static int nkept;

static void take(void *p, int leak)
{
    if (!leak) {
        free(p);
        return;
    }
    kept[nkept++] = p;
}

NOINLINE static void scrub_stack(void)
{
    volatile char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

static void forget(void)
{
    memset(kept, 0, sizeof kept);
    nkept = 0;
    scrub_stack();
}

/* Leaks 400 blocks via_a and 200 via_b of 20000 allocations (via_a three times in five). */
static void flat_loop(void)
{
    for (int i = 0; i < 20000; i++) {
        if (i % 5 < 3)
            take(via_a(), i % 50 == 0);
        else
            take(via_b(), i % 100 == 3);
    }
}

static void *worker(void *arg)
{
    static __thread void *mine[1024];
    int n = 0;
    for (int i = 0; i < 20000; i++) {
        void *p = i % 5 < 3 ? via_a() : via_b();
        if (i % 5 < 3 ? i % 50 == 0 : i % 100 == 3)
            mine[n++] = p;
        else
            free(p);
    }
    memset(mine, 0, sizeof mine);
    scrub_stack();
    return arg;
}

int main(void)
{
    flat_loop();
    /* the recursion, alternating with flat calls: 100 leaks via_a at depth 1, 70 via_b at 0 */
    for (int i = 0; i < 10000; i++) {
        void *p = i & 1 ? deeper(0, 1) : deeper(1, 0);
        take(p, i % 100 == 0 || (i % 100 == 51 && i < 7000));
        take(i & 1 ? via_a() : via_b(), 0);
    }
    forget();

    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, worker, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    printf("done\n");
    return 0;
}
