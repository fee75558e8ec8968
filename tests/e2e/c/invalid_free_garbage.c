/* free((void *)0x1234): an invalid_free error with that address; the program goes on.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       0
 * STDOUT:     reached the end
 * EXPECT:     error: invalid_free count=1 address=0x1234 frame0=free_garbage file=invalid_free_garbage.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE void free_garbage(void)
{
    void *volatile p = (void *)(uintptr_t)0x1234;
    free(p);
    NOTAIL();
}

int main(void)
{
    free_garbage();
    printf("reached the end\n");
    return 0;
}
