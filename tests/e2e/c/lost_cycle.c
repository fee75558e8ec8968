/* A 3-block cycle whose last outside pointer dies: valgrind calls one block of the cycle
 * definitely lost and the two others indirectly lost (they are reachable from it).
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=40 blocks=1 frame0=ring_node
 * EXPECT:     indirectly_lost bytes=40 blocks=1 frame0=ring_node
 * EXPECT:     summary.definitely_lost.bytes=40
 * EXPECT:     summary.definitely_lost.blocks=1
 * EXPECT:     summary.indirectly_lost.bytes=80
 * EXPECT:     summary.indirectly_lost.blocks=2
 * EXPECT-NOT: possibly_lost
 * EXPECT-NOT: still_reachable
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

struct ring {
    struct ring *next;
    char payload[32];
};

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE struct ring *ring_node(struct ring *next)
{
    struct ring *r = malloc(sizeof *r);
    memset(r->payload, 'r', sizeof r->payload);
    r->next = next;
    return r;
}

NOINLINE void make_ring(void)
{
    struct ring *first = ring_node(NULL);
    struct ring *last = first;
    for (int i = 0; i < 2; i++)
        first = ring_node(first);
    last->next = first;         /* close the cycle */
    USE(first);
}

int main(void)
{
    make_ring();
    scrub_stack();
    return 0;
}
