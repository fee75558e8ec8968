/* One million small blocks live at exit, reachable through a global array: the scan must finish
 * and count them exactly. 1000 more are lost (every 1000th slot is overwritten by a hidden copy).
 * TIMEOUT:    300
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     still_reachable bytes=15984000 blocks=999000 frame0=fill file=scale_1m_blocks.c
 * EXPECT:     definitely_lost bytes=16000 blocks=1000 frame0=fill
 * EXPECT:     summary.still_reachable.blocks=999000
 * EXPECT:     summary.definitely_lost.blocks=1000
 * EXPECT-NOT: possibly_lost
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define N 1000000

static void *slots[N];

NOINLINE void fill(void)
{
    for (size_t i = 0; i < N; i++) {
        slots[i] = malloc(16);
        memset(slots[i], 0x11, 16);
    }
}

NOINLINE void drop_some(void)
{
    for (size_t i = 0; i < N; i += 1000)
        slots[i] = (void *)((uintptr_t)slots[i] ^ 0x5a5a5a5a5a5a5a5aull);
}

int main(void)
{
    fill();
    drop_some();
    return 0;
}
