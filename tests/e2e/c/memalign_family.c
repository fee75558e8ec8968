/* memalign, posix_memalign, aligned_alloc and valloc blocks are tracked with the size the program
 * asked for (not the padded size), allocator "memalign".
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=100 blocks=1 allocator=memalign frame0=via_memalign
 * EXPECT:     definitely_lost bytes=200 blocks=1 allocator=memalign frame0=via_posix_memalign
 * EXPECT:     definitely_lost bytes=512 blocks=1 allocator=memalign frame0=via_aligned_alloc
 * EXPECT:     definitely_lost bytes=300 blocks=1 allocator=memalign frame0=via_valloc
 * EXPECT:     summary.definitely_lost.bytes=1112
 * EXPECT:     summary.definitely_lost.blocks=4
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

static int misaligned;

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

static void check(void *p, size_t align)
{
    if ((uintptr_t)p % align)
        misaligned = 1;
}

NOINLINE void via_memalign(void)
{
    char *p = memalign(64, 100);
    check(p, 64);
    memset(p, 1, 100);
    USE(p);
}

NOINLINE void via_posix_memalign(void)
{
    void *p = NULL;
    if (posix_memalign(&p, 128, 200) == 0) {
        check(p, 128);
        memset(p, 2, 200);
    }
    USE(p);
    p = NULL;
}

NOINLINE void via_aligned_alloc(void)
{
    char *p = aligned_alloc(256, 512);
    check(p, 256);
    memset(p, 3, 512);
    USE(p);
}

NOINLINE void via_valloc(void)
{
    char *p = valloc(300);
    check(p, (size_t)sysconf(_SC_PAGESIZE));
    memset(p, 4, 300);
    USE(p);
}

int main(void)
{
    via_memalign();
    via_posix_memalign();
    via_aligned_alloc();
    via_valloc();
    scrub_stack();
    return misaligned;
}
