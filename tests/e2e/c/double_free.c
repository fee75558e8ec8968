/* A block freed twice: one double_free error naming the second free, the first free and the
 * allocation. The program is not stopped: it runs to its end and exits with its own status.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT:     error: double_free count=1 frame0=second_free file=double_free.c free_frame0=first_free alloc_frame0=make_block
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
    char *p = malloc(10);
    memset(p, 'd', 10);
    return p;
}

NOINLINE void first_free(char *p) { free(p); NOTAIL(); }
NOINLINE void second_free(char *p) { free(p); NOTAIL(); }

int main(void)
{
    char *p = make_block();
    first_free(p);
    second_free(p);
    printf("reached the end\n");
    return 0;
}
