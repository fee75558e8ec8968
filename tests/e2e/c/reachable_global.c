/* A global pointer keeps a block alive until exit: still reachable, not lost.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     still_reachable bytes=128 blocks=1 allocator=malloc frame0=keep_global file=reachable_global.c frame1=main
 * EXPECT:     summary.still_reachable.bytes=128
 * EXPECT:     summary.still_reachable.blocks=1
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: possibly_lost
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

void *g_kept;

NOINLINE void keep_global(void)
{
    g_kept = malloc(128);
    memset(g_kept, 'g', 128);
    __asm__ volatile("" ::: "memory");
}

int main(void)
{
    keep_global();
    return 0;
}
