/* exit(5) called three calls deep: the status is kept and the report is still written.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       5
 * EXPECT:     definitely_lost bytes=64 blocks=1 frame0=leak_it file=exit_nested.c
 * EXPECT:     summary.definitely_lost.blocks=1
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

NOINLINE void leak_it(void) { char *p = malloc(64); memset(p, 'e', 64); USE(p); }

NOINLINE void level3(int code)
{
    scrub_stack();
    exit(code);
}

NOINLINE void level2(int code) { level3(code + 1); __asm__ volatile("" ::: "memory"); }
NOINLINE void level1(int code) { level2(code + 1); __asm__ volatile("" ::: "memory"); }

int main(void)
{
    leak_it();
    level1(3);
    return 0;
}
