/* main returns 7: memplumber exits with the program's status, and reports its leak.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       7
 * EXPECT:     definitely_lost bytes=24 blocks=1 frame0=leak_small
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

NOINLINE void leak_small(void) { char *p = malloc(24); memset(p, 'n', 24); USE(p); }

int main(void)
{
    leak_small();
    scrub_stack();
    return 7;
}
