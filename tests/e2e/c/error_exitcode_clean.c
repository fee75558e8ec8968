/* --error-exitcode=42 without any leak or heap error: the program's own status (3) is kept.
 * The block still reachable at exit is not a leak for --error-exitcode.
 * RUN:        %memplumber --error-exitcode=42 --json %t.json -- %bin
 * EXIT:       3
 * EXPECT:     summary.definitely_lost.blocks=0
 * EXPECT:     summary.indirectly_lost.blocks=0
 * EXPECT:     still_reachable bytes=10 blocks=1 frame0=keep_one
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

char *g_keep;

NOINLINE void keep_one(void)
{
    g_keep = malloc(10);
    memset(g_keep, 'k', 10);
    __asm__ volatile("" ::: "memory");
}

int main(void)
{
    keep_one();
    char *tmp = malloc(20);
    memset(tmp, 't', 20);
    __asm__ volatile("" : : "r"(tmp) : "memory");
    free(tmp);
    return 3;
}
