/* --exit-on-first-error=yes --error-exitcode=7: the double free ends the program with status 7
 * right after its report, as in valgrind: "after error" is never printed, and no leak report.
 * Without the option the program runs to its end (status 7 at exit for the heap error).
 * RUN:        %memplumber --exit-on-first-error=yes --error-exitcode=7 -- %bin
 * EXIT:       7
 * STDOUT-NOT: after error
 * STDERR:     Invalid free() / delete / delete[] / realloc()
 * STDERR:     Exit program on first error (--exit-on-first-error=yes)
 * STDERR-NOT: ERROR SUMMARY
 * RUN:        %memplumber --error-exitcode=7 --json %t.json -- %bin
 * EXIT:       7
 * STDOUT:     after error
 * EXPECT:     error: double_free count=1 frame0=second_free
 * VALGRIND:   skip the shim does not pass --exit-on-first-error (integration/valgrind_exitcode.sh compares)
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
    printf("after error\n");
    return 0;
}
