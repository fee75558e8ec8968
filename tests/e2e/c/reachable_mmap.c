/* The only pointer to a block sits in an anonymous mmap region the program made (the region's own
 * address is dropped): still reachable, since writable program mappings are roots, as in valgrind.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     still_reachable bytes=200 blocks=1 frame0=stash_in_mmap file=reachable_mmap.c
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: possibly_lost
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NOINLINE __attribute__((noinline))

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE int stash_in_mmap(void)
{
    void **region = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED)
        return 1;
    char *p = malloc(200);
    memset(p, 'm', 200);
    region[1000] = p;       /* somewhere in the middle of the region */
    __asm__ volatile("" ::: "memory");
    return 0;
}

int main(void)
{
    int rc = stash_in_mmap();
    scrub_stack();
    return rc;
}
