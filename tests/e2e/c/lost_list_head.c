/* The only pointer to a 3-node list dies: head definitely lost, the two nodes it links indirectly lost.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * EXPECT:     definitely_lost  bytes=24 blocks=1 frame0=make_list file=lost_list_head.c
 * EXPECT:     indirectly_lost  bytes=48 blocks=2 frame0=make_node
 * EXPECT:     summary.definitely_lost.blocks=1
 * EXPECT:     summary.indirectly_lost.blocks=2
 * EXPECT-NOT: possibly_lost
 * EXPECT-NOT: still_reachable
 */
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

struct node {
    struct node *next;
    long value;
    long pad;
};

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE struct node *make_node(long v, struct node *next)
{
    struct node *n = malloc(sizeof *n);
    n->next = next;
    n->value = v;
    n->pad = 0;
    return n;
}

NOINLINE void make_list(int len)
{
    struct node *head = malloc(sizeof *head);
    head->value = 0;
    head->pad = 0;
    head->next = NULL;
    for (int i = len - 1; i > 0; i--)     /* one call site: both nodes share one stack */
        head->next = make_node(i, head->next);
    USE(head);
}

int main(void)
{
    make_list(3);
    scrub_stack();
    return 0;
}
