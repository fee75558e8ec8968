/* An atexit handler frees a block whose only reference is hidden (XOR-ed): the leak scan must
 * come after the handlers, or this block would be reported definitely lost.
 * RUN:        %memplumber --json %t.json -- %bin
 * STDOUT:     handler ran
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: still_reachable
 * EXPECT:     summary.definitely_lost.blocks=0
 * EXPECT-NOT: error
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define KEY ((uintptr_t)0x6b6b6b6b6b6b6b6bull)

static volatile uintptr_t g_hidden;

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

static void release(void)
{
    free((void *)(g_hidden ^ KEY));
    printf("handler ran\n");
}

NOINLINE void make_hidden(void)
{
    char *p = malloc(90);
    memset(p, 'x', 90);
    g_hidden = (uintptr_t)p ^ KEY;
}

int main(void)
{
    make_hidden();
    atexit(release);
    scrub_stack();
    return 0;
}
