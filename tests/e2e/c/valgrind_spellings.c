/* valgrind's option spellings are accepted: --leak-check=full --show-leak-kinds=all
 * --num-callers=2 --trace-children=yes --log-file=FILE (the text report goes to the file).
 * With --num-callers=2 stacks have at most 2 frames, so the leaks from depth_a and depth_b, which
 * differ only in the third frame, make one record.
 * RUN:        %memplumber --leak-check=full --show-leak-kinds=all --num-callers=2 --trace-children=yes --log-file=%t.log --json %t.json -- %bin
 * FILE-EXISTS: %t.log
 * EXPECT:     definitely_lost bytes=40 blocks=2 frame0=leak_deep frame1=middle
 * EXPECT-NOT: definitely_lost frame2=depth_a
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void leak_deep(void) { char *p = malloc(20); memset(p, 'd', 20); USE(p); }
NOINLINE void middle(void) { leak_deep(); NOTAIL(); }
NOINLINE void depth_a(void) { middle(); NOTAIL(); }
NOINLINE void depth_b(void) { middle(); NOTAIL(); }

int main(void)
{
    depth_a();
    depth_b();
    scrub_stack();
    return 0;
}
