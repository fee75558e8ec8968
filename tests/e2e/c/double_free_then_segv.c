/* A block freed twice, then at once a write through a null pointer: the process dies of SIGSEGV
 * (status 139), and the double free is still in the report (text and JSON), counted once.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       139
 * STDERR:     Invalid free() / delete / delete[] / realloc()
 * EXPECT:     error: double_free count=1 frame0=second_free file=double_free_then_segv.c free_frame0=first_free alloc_frame0=make_block
 * EXPECT-NOT: error: invalid_free
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE char *make_block(void)
{
    char *p = malloc(10);
    memset(p, 's', 10);
    return p;
}

NOINLINE void first_free(char *p) { free(p); NOTAIL(); }
NOINLINE void second_free(char *p) { free(p); NOTAIL(); }

int main(void)
{
    char *p = make_block();
    first_free(p);
    second_free(p);
    volatile int *null = NULL;
    *null = 1;
    return 0;
}
