/* A block reused from the allocator still holds a pointer the program stored in the block's
 * earlier life, in bytes it never writes again. valgrind knows those bytes are undefined and
 * does not follow them: the pointed-to block is definitely lost. memplumber cannot know, unless
 * new blocks are filled (--malloc-fill), which erases the stale pointer: then it says
 * definitely lost too (without the fill it calls the block still reachable: the second run).
 * VALGRIND:   skip valgrind does not hand a freed block back at once: no stale pointer to test
 * RUN:        %memplumber --malloc-fill=0 --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reused the same block
 * EXPECT:     definitely_lost bytes=100 blocks=1 frame0=make_leak
 * EXPECT:     still_reachable bytes=64 blocks=1
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * EXPECT:     still_reachable bytes=100 blocks=1 frame0=make_leak
 * EXPECT-NOT: definitely_lost
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static void *volatile kept; /* the reused block, reachable all along */

NOINLINE static void *make_leak(void)
{
    void *p = malloc(100);
    memset(p, 'x', 100);
    __asm__ volatile("" : : "r"(p) : "memory");
    return p;
}

NOINLINE static void *first_life(void)
{
    void **holder = malloc(64);
    memset(holder, 0, 64);
    holder[5] = make_leak(); /* the only pointer to the 100 bytes, at offset 40 */
    __asm__ volatile("" : : "r"(holder) : "memory");
    free(holder);            /* the 100 bytes are lost now */
    return holder;
}

int main(void)
{
    void *old = first_life();
    kept = malloc(64); /* the same chunk again (glibc's per-thread cache is last in, first out) */
    printf("%s\n", kept == old ? "reused the same block" : "got another block");
    return 0;
}
