/* A block freed twice with 100,000 other frees of small blocks in between, in a single-threaded
 * program (valgrind remembers 20 MB of freed blocks by default, here 1.6 MB): still a double
 * free with both stacks, not an invalid free. The blocks freed in between are made and freed
 * in batches, so the second free's address has not been handed out again.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT:     error: double_free count=1 frame0=second_free file=double_free_late.c free_frame0=first_free alloc_frame0=make_block
 * EXPECT-NOT: error: invalid_free
 * EXPECT-NOT: definitely_lost
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE char *make_block(void)
{
    char *p = malloc(1000);
    memset(p, 'd', 1000);
    return p;
}

NOINLINE void first_free(char *p) { free(p); NOTAIL(); }
NOINLINE void second_free(char *p) { free(p); NOTAIL(); }

int main(void)
{
    char *p = make_block();
    first_free(p);
    /* 16-byte blocks never reuse the 1000-byte block's address (another size class) */
    static char *batch[1000];
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i < 1000; i++)
            batch[i] = malloc(16);
        for (int i = 0; i < 1000; i++)
            free(batch[i]);
    }
    second_free(p);
    printf("reached the end\n");
    return 0;
}
