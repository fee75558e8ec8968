/* keep_stacktraces=alloc-and-free: a double free names the first free with its whole stack
 * (the function that freed and main below it), not only the frame that called free.
 * RUN:        %memplumber --keep-stacktraces=alloc-and-free --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT:     error: double_free count=1 frame0=second_free free_frame0=first_free free_frame1=release free_frame2=main alloc_frame0=make_block
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
NOINLINE void release(char *p) { first_free(p); NOTAIL(); }
NOINLINE void second_free(char *p) { free(p); NOTAIL(); }

int main(void)
{
    char *p = make_block();
    release(p);
    second_free(p);
    printf("reached the end\n");
    return 0;
}
