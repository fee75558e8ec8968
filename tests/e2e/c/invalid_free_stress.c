/* Garbage-free stress: 10,000 free() calls of 8-byte-aligned addresses that are no block's start
 * (half inside live blocks' interiors, half in a global array outside the heap), interleaved with
 * valid mallocs and frees. The program runs to its end; every bad free is one invalid_free
 * occurrence of one call site (count=10000, and summary.errors=10000 in memplumber's report); the
 * valid blocks stay tracked: the one block leaked on purpose (77 bytes) is definitely lost and
 * nothing else leaks.
 * TIMEOUT:    300
 * RUN:        %memplumber --json %t.json -- %bin
 * EXIT:       7
 * STDOUT:     reached the end
 * EXPECT:     error: invalid_free count=10000 frame0=bad_free file=invalid_free_stress.c
 * EXPECT-NOT: error: double_free
 * EXPECT-NOT: error: mismatched_free
 * EXPECT:     definitely_lost bytes=77 blocks=1 frame0=leak_one
 * EXPECT:     summary.definitely_lost.bytes=77
 * EXPECT:     summary.definitely_lost.blocks=1
 * EXPECT-NOT: indirectly_lost
 * EXPECT-NOT: possibly_lost
 * RUN:        python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); vg=r.get("producer")=="valgrind"; print("summary.errors=%d" % (sum(e["count"] for e in r["errors"]) if vg else r["summary"]["errors"]))' %t.json
 * STDOUT:     summary.errors=10000
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

#define NBAD 10000
#define NTARGETS 16
#define TARGET_SIZE 256
#define NRING 32

static uint64_t g_outside[8192];    /* 64 KiB of .bss: never a heap block */
static char *g_targets[NTARGETS];   /* live for the whole stress */
static char *g_ring[NRING];         /* valid churn */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return rng_state >> 33;
}

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void bad_free(void *p)
{
    free(p);
    NOTAIL();
}

NOINLINE void leak_one(void)
{
    char *p = malloc(77);
    memset(p, 'L', 77);
    USE(p);
}

int main(void)
{
    for (int i = 0; i < NTARGETS; i++) {
        g_targets[i] = malloc(TARGET_SIZE);
        memset(g_targets[i], 'T', TARGET_SIZE);
    }
    for (int i = 0; i < NBAD; i++) {
        uint64_t r = rng();
        void *volatile p;
        if (r & 1) /* interior of a live block: offset 8..248, never 0 */
            p = g_targets[(r >> 1) % NTARGETS] + 8 * (1 + (r >> 5) % (TARGET_SIZE / 8 - 1));
        else
            p = &g_outside[(r >> 1) % 8192];
        bad_free(p);

        /* valid churn: replace one ring slot */
        unsigned slot = (unsigned)(rng() % NRING);
        size_t n = 8 + rng() % 200;
        free(g_ring[slot]);
        g_ring[slot] = malloc(n);
        memset(g_ring[slot], 'c', n);
    }
    /* Forget the freed addresses too: the leaked block may reuse one of them. */
    for (int i = 0; i < NRING; i++) {
        free(g_ring[i]);
        g_ring[i] = NULL;
    }
    for (int i = 0; i < NTARGETS; i++) {
        free(g_targets[i]);
        g_targets[i] = NULL;
    }
    leak_one();
    scrub_stack();
    printf("reached the end\n");
    return 7;
}
