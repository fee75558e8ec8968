/* A pointer kept only XOR-ed with a key is not a pointer to the scan: the block is definitely lost.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=56 blocks=1 frame0=hide_block file=hidden_pointer_xor.c
 * EXPECT-NOT: still_reachable
 * EXPECT-NOT: possibly_lost
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define KEY ((uintptr_t)0x5a5a5a5a5a5a5a5aull)

volatile uintptr_t g_hidden;

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void hide_block(void)
{
    char *p = malloc(56);
    memset(p, 'h', 56);
    g_hidden = (uintptr_t)p ^ KEY;
}

int main(void)
{
    hide_block();
    scrub_stack();
    /* Still usable by the program: the pointer is only hidden. */
    return ((char *)(g_hidden ^ KEY))[0] == 'h' ? 0 : 1;
}
