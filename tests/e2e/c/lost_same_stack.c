/* Ten blocks leaked from one call stack make one loss record with blocks=10.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=480 blocks=10 allocator=malloc frame0=leak_block file=lost_same_stack.c frame1=main
 * EXPECT:     summary.definitely_lost.blocks=10
 * EXPECT:     summary.definitely_lost.bytes=480
 * EXPECT-NOT: definitely_lost blocks=1
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

NOINLINE void leak_block(size_t n)
{
    char *p = malloc(n);
    memset(p, 0xa5, n);
    USE(p);
}

int main(int argc, char **argv)
{
    (void)argv;
    for (int i = 0; i < 9 + argc; i++)   /* 10 iterations; argc keeps the loop from being unrolled */
        leak_block(48);
    scrub_stack();
    return 0;
}
