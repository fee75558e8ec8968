/* --error-exitcode=42 (valgrind's spelling) and a definite leak: as in valgrind, the loss record
 * is an error only under an explicit --leak-check=full, where memplumber exits with 42 and the
 * ERROR SUMMARY counts it; under summary, no, or the default (which prints the records, while
 * valgrind's default is summary) the program's status 0 is kept and the summary says 0 errors.
 * RUN:        %memplumber --leak-check=summary --error-exitcode=42 -- %bin
 * EXIT:       0
 * STDERR:     ERROR SUMMARY: 0 errors from 0 contexts
 * RUN:        %memplumber --leak-check=no --error-exitcode=42 -- %bin
 * EXIT:       0
 * STDERR:     ERROR SUMMARY: 0 errors from 0 contexts
 * RUN:        %memplumber --error-exitcode=42 -- %bin
 * EXIT:       0
 * STDERR:     are definitely lost in loss record 1 of 1
 * STDERR:     ERROR SUMMARY: 0 errors from 0 contexts
 * RUN:        %memplumber --leak-check=full --error-exitcode=42 --json %t.json -- %bin
 * EXIT:       42
 * STDERR:     ERROR SUMMARY: 1 errors from 1 contexts
 * EXPECT:     definitely_lost bytes=33 blocks=1 frame0=leak_for_status
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void leak_for_status(void) { char *p = malloc(33); memset(p, 's', 33); USE(p); }

int main(void)
{
    leak_for_status();
    scrub_stack();
    return 0;
}
