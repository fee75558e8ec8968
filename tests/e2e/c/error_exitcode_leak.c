/* --error-exitcode=42 (valgrind's spelling) and a definite leak: memplumber exits with 42.
 * RUN:        %memplumber --error-exitcode=42 --json %t.json -- %bin
 * EXIT:       42
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
