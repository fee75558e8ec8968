/* realpath(path, NULL) returns a block glibc allocated (with strdup, inside realpath); it is leaked.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=5 blocks=1 allocator=malloc frame0=strdup anyframe=resolve
 * EXPECT:     summary.definitely_lost.blocks=1
 * EXPECT-NOT: still_reachable
 */
#include <limits.h>
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

NOINLINE int resolve(void)
{
    char *p = realpath("/etc/../etc/.", NULL);   /* "/etc" */
    int ok = p && strcmp(p, "/etc") == 0;
    USE(p);
    return ok;
}

int main(void)
{
    int ok = resolve();
    scrub_stack();
    return ok ? 0 : 1;
}
