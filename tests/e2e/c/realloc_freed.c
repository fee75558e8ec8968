/* realloc() of a pointer that was already freed: a realloc_freed error naming the realloc, the
 * earlier free and the allocation; the program goes on to its end.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT:     error: realloc_freed count=1 frame0=regrow file=realloc_freed.c free_frame0=drop alloc_frame0=make_block
 * EXPECT-NOT: error: double_free
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE char *make_block(void)
{
    char *p = malloc(24);
    memset(p, 'r', 24);
    return p;
}

NOINLINE void drop(char *p) { free(p); NOTAIL(); }

NOINLINE void *regrow(char *p)
{
    void *q = realloc(p, 48);
    NOTAIL();
    return q;
}

int main(void)
{
    char *p = make_block();
    drop(p);
    void *q = regrow(p);
    printf("reached the end\n");
    free(q == p ? NULL : q);   /* whatever came back (NULL from valgrind) is not used */
    return 0;
}
