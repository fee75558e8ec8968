/* The only pointer to a 100-byte block dies: one definitely lost record, symbolized to the line.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * EXPECT:     definitely_lost bytes=100 blocks=1 allocator=malloc frame0=leak_once file=lost_single.c line=27 frame1=main
 * EXPECT:     summary.definitely_lost.bytes=100
 * EXPECT:     summary.definitely_lost.blocks=1
 * EXPECT-NOT: indirectly_lost
 * EXPECT-NOT: possibly_lost
 * EXPECT-NOT: still_reachable
 * EXPECT-NOT: error
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

NOINLINE void leak_once(void)
{
    char *p = malloc(100);
    memset(p, 1, 100);
    USE(p);
}

int main(void)
{
    leak_once();
    scrub_stack();
    return 0;
}
