/* free() of the address of a global array: an invalid_free error; the program goes on.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT:     error: invalid_free count=1 frame0=free_global file=invalid_free_global.c
 */
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

char g_array[64];

NOINLINE void free_global(void)
{
    void *volatile p = g_array;
    free(p);
    NOTAIL();
}

int main(void)
{
    free_global();
    printf("reached the end\n");
    return 0;
}
