/* global -> heap block A -> heap block B: both are still reachable (the scan follows heap blocks).
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     still_reachable bytes=40 blocks=1 frame0=make_outer
 * EXPECT:     still_reachable bytes=300 blocks=1 frame0=make_inner
 * EXPECT:     summary.still_reachable.bytes=340
 * EXPECT:     summary.still_reachable.blocks=2
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: indirectly_lost
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

struct outer {
    char tag[32];
    char *inner;
};

struct outer *g_outer;

NOINLINE char *make_inner(void)
{
    char *p = malloc(300);
    memset(p, 'i', 300);
    return p;
}

NOINLINE struct outer *make_outer(void)
{
    struct outer *o = malloc(sizeof *o);
    memset(o->tag, 'o', sizeof o->tag);
    o->inner = make_inner();
    return o;
}

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

int main(void)
{
    g_outer = make_outer();
    scrub_stack();
    return 0;
}
