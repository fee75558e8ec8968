/* malloc_usable_size() of a stack address: a usable_size_invalid error naming the caller; the
 * call returns 0 and the program goes on to its end with its own status. A valid block's usable
 * size is not an error.
 * VALGRIND:   skip valgrind 3.19 returns 0 for a non-heap pointer without reporting an error
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       7
 * STDOUT:     stack usable size 0
 * STDOUT:     heap usable size ok
 * STDOUT:     reached the end
 * EXPECT:     error: usable_size_invalid count=1 frame0=ask_local file=usable_size_invalid.c
 * EXPECT-NOT: error: invalid_free
 * EXPECT-NOT: definitely_lost
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE size_t ask_local(void)
{
    char local[32];
    void *volatile p = local;
    local[0] = 1;
    size_t n = malloc_usable_size(p);
    NOTAIL();
    return n;
}

NOINLINE size_t ask_heap(void *p)
{
    size_t n = malloc_usable_size(p);
    NOTAIL();
    return n;
}

int main(void)
{
    printf("stack usable size %zu\n", ask_local());
    char *volatile p = malloc(40);
    memset(p, 'u', 40);
    printf("heap usable size %s\n", ask_heap(p) >= 40 ? "ok" : "too small");
    free(p);
    printf("reached the end\n");
    return 7;
}
