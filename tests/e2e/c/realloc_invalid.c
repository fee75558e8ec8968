/* realloc() of pointers that were never allocated (a stack array, a global array): one
 * realloc_invalid error per call site, realloc returns NULL and the program goes on to its end
 * with its own status.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       7
 * STDOUT:     stack realloc returned NULL
 * STDOUT:     global realloc returned NULL
 * STDOUT:     reached the end
 * EXPECT:     error: realloc_invalid count=1 frame0=regrow_local file=realloc_invalid.c
 * EXPECT:     error: realloc_invalid count=1 frame0=regrow_global file=realloc_invalid.c
 * EXPECT-NOT: error: realloc_freed
 * EXPECT-NOT: error: invalid_free
 * EXPECT-NOT: error: double_free
 * EXPECT-NOT: definitely_lost
 */
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

char g_array[64];

NOINLINE void *regrow_local(void)
{
    char local[32];
    void *volatile p = local;
    local[0] = 1;
    void *q = realloc(p, 128);
    NOTAIL();
    return q;
}

NOINLINE void *regrow_global(void)
{
    void *volatile p = g_array;
    void *q = realloc(p, 128);
    NOTAIL();
    return q;
}

int main(void)
{
    void *a = regrow_local();
    printf("stack realloc returned %s\n", a ? "non-NULL" : "NULL");
    void *b = regrow_global();
    printf("global realloc returned %s\n", b ? "non-NULL" : "NULL");
    free(a);
    free(b);
    printf("reached the end\n");
    return 7;
}
