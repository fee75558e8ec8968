/* A function that reallocs, called from two callers in turn (a buffer grown by grow(p, n) from
 * site_a, then from site_b, as string builders and realloc loops do): the two callers have the
 * same frame, so every capture starts at the same pc and sp, and the two stacks part one frame
 * further out. With the stack cache on, the memo keeps one walk and the cache answers the other
 * (the shortcut to its last answer); each leaked block must still carry the stack of the realloc
 * that made it. Chains of odd length end at site A, even ones at site B, one in ten at a third
 * caller, site_c, whose captures start there too and must not be taken for site B's; three chains
 * in ten are leaked.
 * RUN:        %memplumber --stack-cache=yes --json %t.json -- %bin
 * STDOUT:     done
 * EXPECT:     definitely_lost bytes=16800 blocks=200 frame0=grow frame1=site_a frame2=chain frame3=main
 * EXPECT:     definitely_lost bytes=24800 blocks=200 frame0=grow frame1=site_b frame2=chain frame3=main
 * EXPECT:     definitely_lost bytes=40000 blocks=200 frame0=grow frame1=site_c frame2=chain frame3=main
 * EXPECT:     summary.definitely_lost.blocks=600
 * RUN:        %memplumber --stack-cache=no --json %t.off.json -- %bin
 * STDOUT:     done
 * JSON:       %t.off.json
 * EXPECT:     definitely_lost bytes=16800 blocks=200 frame0=grow frame1=site_a frame2=chain frame3=main
 * EXPECT:     definitely_lost bytes=24800 blocks=200 frame0=grow frame1=site_b frame2=chain frame3=main
 * EXPECT:     definitely_lost bytes=40000 blocks=200 frame0=grow frame1=site_c frame2=chain frame3=main
 * EXPECT:     summary.definitely_lost.blocks=600
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

NOINLINE char *grow(char *p, size_t n)
{
    char *q = realloc(p, n);
    memset(q, 0x11, n); /* no stale heap pointer in a leaked block: each leak is definite */
    return q;
}

/* three callers with the same frame: grow starts at the same sp under each */
NOINLINE char *site_a(char *p, size_t n)
{
    char *q = grow(p, n);
    __asm__ volatile("" ::: "memory");
    return q;
}
NOINLINE char *site_b(char *p, size_t n)
{
    char *q = grow(p, n);
    __asm__ volatile("" ::: "memory");
    return q;
}
NOINLINE char *site_c(char *p, size_t n)
{
    char *q = grow(p, n);
    __asm__ volatile("" ::: "memory");
    return q;
}

/* steps reallocs, in turn from site A and site B: the last one is site A's when steps is odd;
 * with at_c, one more from site C */
NOINLINE char *chain(int steps, int at_c)
{
    char *p = NULL;
    for (int k = 0; k < steps; k += 2) {
        p = site_a(p, 20 + 8 * (size_t)k);
        if (k + 1 == steps)
            break;
        p = site_b(p, 28 + 8 * (size_t)k);
    }
    if (at_c)
        p = site_c(p, 200);
    __asm__ volatile("" ::: "memory");
    return p;
}

static char *kept[1024];
static int nkept;

NOINLINE static void scrub_stack(void)
{
    volatile char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

int main(void)
{
    for (int i = 0; i < 2000; i++) {
        /* odd i: 9 steps, the last at site A (84 bytes); even i: 14 steps, the last at site B
         * (124 bytes); i % 10 == 1 and i % 10 == 0 are kept: 200 blocks of each; and 200 blocks
         * of 200 bytes whose last realloc is site C's (i % 10 == 2) */
        int steps = (i & 1) ? 9 : 14;
        char *p = chain(steps, i % 10 == 2);
        if (i % 10 < 3)
            kept[nkept++] = p;
        else
            free(p);
    }
    memset(kept, 0, sizeof kept);
    nkept = 0;
    scrub_stack();
    puts("done");
    return 0;
}
