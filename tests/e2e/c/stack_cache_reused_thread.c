/* Threads one after the other: glibc hands each new thread the stack of the one before (its cache
 * of thread stacks), and memplumber hands it the stack cache the dead thread gave back, entries
 * included. Each thread allocates through the same leaf and three middle frames at the same
 * stack addresses, and differs only further out: the first through via_a, the second through
 * via_b, the third through via_a again, called from another place (run_c). Another allocation
 * comes between two of the path's, so that the stack cache, not the memo of the last capture,
 * answers. A cached entry of an earlier thread starts where the later thread's captures start
 * and hashes to the same set; only the words further out tell them apart. Each thread leaks a known number of blocks, and
 * each path's record must count its own.
 * RUN:        %memplumber --stack-cache=yes --verbosity=2 --json %t.json -- %bin
 * STDOUT:     done
 * STDERR-RE:  memplumber: stack cache: [1-9]\d* caches?, [1-9]\d{4,} lookups, [1-9]\d{4,} answered \(\d+%\)
 * EXPECT:     definitely_lost bytes=1600 blocks=200 frame0=leaf frame3=mid3 frame4=via_a frame5=loop frame6=run_a
 * EXPECT:     definitely_lost bytes=800 blocks=100 frame0=leaf frame3=mid3 frame4=via_b frame5=loop frame6=run_b
 * EXPECT:     definitely_lost bytes=400 blocks=50 frame0=leaf frame3=mid3 frame4=via_a frame5=loop frame6=run_c
 * EXPECT:     summary.definitely_lost.blocks=350
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

static __thread void *mine[256];

NOINLINE static void scrub_stack(void)
{
    volatile char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

/* Another allocation between two of f's, so that f's captures do not repeat the one before
 * (which the memo would answer) and go to the stack cache. */
static void *volatile other_block;
NOINLINE static void other(void)
{
    other_block = malloc(24); /* kept in a volatile: -O2 drops a plain free(malloc(n)) */
    free(other_block);
    NOTAIL();
}

/* 20,000 allocations through f, every (20000 / leaks)-th kept, the rest freed; then the kept
 * pointers are dropped. */
NOINLINE static void loop(void *(*f)(void), int leaks)
{
    int n = 0, every = 20000 / leaks;
    for (int i = 0; i < 20000; i++) {
        other();
        void *p = f();
        if (i % every == 0 && n < leaks)
            mine[n++] = p;
        else
            free(p);
    }
    memset(mine, 0, sizeof mine);
    scrub_stack();
}

NOINLINE static void *run_a(void *arg) { loop(via_a, 200); NOTAIL(); return arg; }
NOINLINE static void *run_b(void *arg) { loop(via_b, 100); NOTAIL(); return arg; }
NOINLINE static void *run_c(void *arg) { loop(via_a, 50); NOTAIL(); return arg; }

int main(void)
{
    void *(*runs[3])(void *) = {run_a, run_b, run_c};
    for (int i = 0; i < 3; i++) {
        pthread_t t;
        pthread_create(&t, NULL, runs[i], NULL);
        pthread_join(t, NULL);
    }
    printf("done\n");
    return 0;
}
