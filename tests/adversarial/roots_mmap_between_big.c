// A page the program maps itself, holding the only pointer to a block, lies between two big
// blocks glibc mapped on its own (mmapped chunks), and the kernel merges the three into one line
// of /proc/self/maps. valgrind 3.19 reads the program's page as a root: still reachable.
// memplumber took the whole span from the first block to the last in an anonymous mapping for
// the allocator's and called it definitely lost. The file "layout" says the three did merge
// (the program retries a few times to get there), so the test cannot pass without the case.
// FILES: layout
// JSON-CHECK: j["summary"]["definitely_lost"] == {"bytes": 0, "blocks": 0}
// JSON-CHECK: j["summary"]["still_reachable"] == {"bytes": 77 + 2 * 200000, "blocks": 3}
// JSON-CHECK: open(os.path.join(os.path.dirname(jpath), "layout")).read() == "merged\n"
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BIG 200000
static void *big1, *big2, *spare[24];

/* Is [lo, hi) inside one line of /proc/self/maps? */
static int one_mapping(uintptr_t lo, uintptr_t hi)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int in = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx", &a, &b) == 2 && a <= lo && hi <= b)
            in = 1;
    }
    if (f)
        fclose(f);
    return in;
}

/* Three big blocks mapped one below the other; the middle one freed and its pages mapped again
 * by the program: glibc's chunk, the program's pages and glibc's chunk, adjacent. */
__attribute__((noinline)) static int setup(void)
{
    mallopt(M_MMAP_THRESHOLD, 128 * 1024); /* a freed big block must not raise it: BIG stays mapped */
    for (int attempt = 0; attempt < 8; attempt++) {
        char *a = malloc(BIG), *b = malloc(BIG), *c = malloc(BIG);
        const size_t chunk = (BIG + 16 + 4095) & ~(size_t)4095;
        if (b + chunk == a && c + chunk == b) {
            free(b);
            void **mid = mmap(b - 16, chunk, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            if (mid != MAP_FAILED && one_mapping((uintptr_t)c, (uintptr_t)a + BIG)) {
                big1 = a;
                big2 = c;
                mid[7] = malloc(77);
                return 1;
            }
            if (mid != MAP_FAILED)
                munmap(mid, chunk);
            b = NULL;
        }
        spare[3 * attempt] = a; /* out of the way of the next attempt; freed at the end */
        spare[3 * attempt + 1] = b;
        spare[3 * attempt + 2] = c;
    }
    return 0;
}

__attribute__((noinline)) static void scrub(void)
{
    volatile char z[8192];
    memset((char *)z, 0, sizeof z);
}

int main(void)
{
    int merged = setup();
    for (int i = 0; i < 24; i++)
        free(spare[i]);
    int fd = open("layout", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        write(fd, merged ? "merged\n" : "apart\n", merged ? 7 : 6);
        close(fd);
    }
    scrub();
    return 0;
}
