/* The same misuse from one call site, three times in a loop (three different blocks each freed
 * twice): one double_free record with count=3, as valgrind counts one error context 3 times.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       7
 * STDOUT:     reached the end
 * EXPECT:     error: double_free count=3 frame0=second_free file=error_same_site_loop.c free_frame0=first_free alloc_frame0=make_block
 * EXPECT-NOT: error: invalid_free
 * EXPECT-NOT: definitely_lost
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE char *make_block(size_t n)
{
    char *p = malloc(n);
    memset(p, 'l', n);
    return p;
}

NOINLINE void first_free(char *p) { free(p); NOTAIL(); }
NOINLINE void second_free(char *p) { free(p); NOTAIL(); }

int main(void)
{
    char *keep[3];
    for (int i = 0; i < 3; i++) {
        keep[i] = make_block(16 + 16 * i);
        first_free(keep[i]);
        second_free(keep[i]);
    }
    printf("reached the end\n");
    return 7;
}
