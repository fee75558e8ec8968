/* --error-exitcode=9 with a double free and no leak: the heap error alone makes the status 9
 * (valgrind does the same); the program itself ran to its end and returned 0.
 * RUN:        %memplumber --error-exitcode=9 --json %t.json -- %bin
 * EXIT:       9
 * STDOUT:     reached the end
 * EXPECT:     error: double_free count=1 frame0=second_free file=error_exitcode_double_free.c
 * EXPECT:     summary.definitely_lost.blocks=0
 * EXPECT:     summary.indirectly_lost.blocks=0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE char *make_block(void)
{
    char *p = malloc(12);
    memset(p, 'e', 12);
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
