/* free() of a pointer 16 bytes inside a live block: invalid_free (naming the block's allocation);
 * the block itself stays allocated and is freed properly afterwards, so nothing leaks.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT:     error: invalid_free count=1 frame0=free_inside file=invalid_free_interior.c alloc_frame0=make_block
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: still_reachable
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE char *make_block(void)
{
    char *p = malloc(64);
    memset(p, 'i', 64);
    return p;
}

NOINLINE void free_inside(char *p)
{
    char *volatile q = p + 16;
    free(q);
    NOTAIL();
}

int main(void)
{
    char *p = make_block();
    free_inside(p);
    free(p);
    printf("reached the end\n");
    return 0;
}
