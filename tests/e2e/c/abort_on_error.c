/* --abort-on-error: the double free is reported on stderr, then the program is killed by SIGABRT
 * right there (status 128+6, the CLI says which signal); what follows the second free never runs.
 * VALGRIND:   skip memplumber option
 * RUN:        %memplumber --abort-on-error --json %t.json -- %bin
 * EXIT:       134
 * STDOUT:     before the double free
 * STDOUT-NOT: reached the end
 * STDERR:     double_free
 * STDERR-RE:  (SIGABRT|[Ss]ignal 6)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

NOINLINE char *make_block(void)
{
    char *p = malloc(10);
    memset(p, 'a', 10);
    return p;
}

NOINLINE void first_free(char *p) { free(p); NOTAIL(); }
NOINLINE void second_free(char *p) { free(p); NOTAIL(); }

int main(void)
{
    char *p = make_block();
    first_free(p);
    printf("before the double free\n");
    fflush(stdout);
    second_free(p);
    printf("reached the end\n");
    return 7;
}
