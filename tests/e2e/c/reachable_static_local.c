/* A function-local static is a root like any global: its block is still reachable.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     still_reachable bytes=77 blocks=1 frame0=cached_buffer file=reachable_static_local.c
 * EXPECT:     summary.still_reachable.blocks=1
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: possibly_lost
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

NOINLINE char *cached_buffer(void)
{
    static char *cache;
    if (!cache) {
        cache = malloc(77);
        memset(cache, 's', 76);
        cache[76] = 0;
    }
    return cache;
}

int main(void)
{
    size_t n = strlen(cached_buffer()) + strlen(cached_buffer());
    return n == 152 ? 0 : 1;
}
