/* Leaks from three functions, one of them called from two sites: four records, one per stack.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=16 blocks=1 frame0=leak_a frame1=main line1=29
 * EXPECT:     definitely_lost bytes=16 blocks=1 frame0=leak_a frame1=main line1=32
 * EXPECT:     definitely_lost bytes=32 blocks=1 frame0=leak_b file=lost_several_stacks.c
 * EXPECT:     definitely_lost bytes=64 blocks=1 frame0=leak_c file=lost_several_stacks.c
 * EXPECT:     summary.definitely_lost.bytes=128
 * EXPECT:     summary.definitely_lost.blocks=4
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

NOINLINE void leak_a(void) { char *p = malloc(16); memset(p, 0xa5, 16); USE(p); }
NOINLINE void leak_b(void) { char *p = malloc(32); memset(p, 0xa5, 32); USE(p); }
NOINLINE void leak_c(void) { char *p = malloc(64); memset(p, 0xa5, 64); USE(p); }

int main(void)
{
    leak_a();
    leak_b();
    leak_c();
    leak_a();
    scrub_stack();
    return 0;
}
