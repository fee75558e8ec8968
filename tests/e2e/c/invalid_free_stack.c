/* free() of a stack address: an invalid_free error; the program goes on to its end.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT:     error: invalid_free count=1 frame0=free_local file=invalid_free_stack.c
 * EXPECT-NOT: error: double_free
 */
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE void free_local(void)
{
    char local[32];
    void *volatile p = local;
    local[0] = 1;
    free(p);
    NOTAIL();
}

int main(void)
{
    free_local();
    printf("reached the end\n");
    return 0;
}
