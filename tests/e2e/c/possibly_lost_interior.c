/* Only a pointer 8 bytes into a 64-byte block survives (in a global): possibly lost.
 * The block holds no length word, so none of valgrind's heuristics (length64, newarray) applies.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     possibly_lost bytes=64 blocks=1 allocator=malloc frame0=make_interior file=possibly_lost_interior.c
 * EXPECT:     summary.possibly_lost.bytes=64
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: still_reachable
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

char *volatile g_inside;

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void make_interior(void)
{
    char *p = malloc(64);
    memset(p, 0xee, 64);
    p += 8;
    g_inside = p;
}

int main(void)
{
    make_interior();
    scrub_stack();
    return 0;
}
