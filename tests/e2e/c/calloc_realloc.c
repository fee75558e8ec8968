/* calloc'd and realloc'd blocks are attributed to the call that made them in their final form:
 * a grown block belongs to the realloc stack (allocator "realloc"), and so does realloc(NULL, n)
 * (its allocator is not asserted: valgrind's realloc hands NULL to its malloc, so it has no answer).
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=120 blocks=1 allocator=calloc frame0=leak_calloc file=calloc_realloc.c
 * EXPECT:     definitely_lost bytes=200 blocks=1 allocator=realloc frame0=grow file=calloc_realloc.c
 * EXPECT:     definitely_lost bytes=50 blocks=1 frame0=realloc_from_null
 * EXPECT-NOT: definitely_lost frame0=start_small
 * EXPECT:     summary.definitely_lost.bytes=370
 * EXPECT:     summary.definitely_lost.blocks=3
 * EXPECT-NOT: still_reachable
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void leak_calloc(void)
{
    char *p = calloc(10, 12);
    USE(p);
}

NOINLINE char *start_small(void)
{
    char *p = malloc(16);
    memset(p, 's', 16);
    return p;
}

NOINLINE char *grow(char *p)
{
    char *q = realloc(p, 200);
    memset(q + 16, 'g', 184);
    return q;
}

NOINLINE void realloc_from_null(void)
{
    void *volatile nothing = NULL;  /* hidden from gcc, which turns realloc(NULL, n) into malloc */
    char *p = realloc(nothing, 50);
    memset(p, 'n', 50);
    USE(p);
}

NOINLINE void leak_grown(void)
{
    char *p = grow(start_small());
    USE(p);
}

int main(void)
{
    leak_calloc();
    leak_grown();
    realloc_from_null();
    scrub_stack();
    return 0;
}
