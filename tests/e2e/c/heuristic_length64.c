/* A block that starts with its own payload length (block size - 8), known only through a pointer
 * just past that length word (as sqlite does): valgrind's "length64" heuristic counts it as still
 * reachable. The same layout with a wrong length word stays possibly lost.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     still_reachable bytes=136 blocks=1 frame0=sized_block file=heuristic_length64.c
 * EXPECT:     possibly_lost bytes=136 blocks=1 frame0=sized_block
 * EXPECT:     summary.still_reachable.blocks=1
 * EXPECT:     summary.possibly_lost.blocks=1
 * EXPECT-NOT: definitely_lost
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

char *volatile g_good;
char *volatile g_bad;

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

/* Returns a pointer to the payload; the 8 bytes before it hold `len_word`. */
NOINLINE char *sized_block(size_t payload, uint64_t len_word)
{
    char *p = malloc(8 + payload);
    memcpy(p, &len_word, 8);
    memset(p + 8, 'L', payload);
    return p + 8;
}

int main(void)
{
    g_good = sized_block(128, 128);
    /* 7 is neither the payload size nor a divisor of it (newarray heuristic): no heuristic fits. */
    g_bad = sized_block(128, 7);
    scrub_stack();
    return 0;
}
