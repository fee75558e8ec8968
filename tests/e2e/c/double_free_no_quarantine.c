/* --quarantine-size=0: memplumber remembers no freed block, so a double free cannot be told from
 * a free of an address that was never allocated: it is still reported, as invalid_free at the
 * second free's address, without the first free's stack; the program is not stopped.
 * VALGRIND:   skip memplumber option (valgrind, which has its own freed-blocks queue, says double free)
 * RUN:        %memplumber --quarantine-size=0 --json %t.json -- %bin
 * EXIT:       7
 * STDOUT:     reached the end
 * EXPECT:     error: invalid_free count=1 frame0=second_free file=double_free_no_quarantine.c
 * EXPECT-NOT: error: double_free
 * EXPECT-NOT: definitely_lost
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
NOINLINE void second_free(char *p) { free(p); NOTAIL(); }

int main(void)
{
    char *p = make_block();
    first_free(p);
    second_free(p);
    printf("reached the end\n");
    return 7;
}
