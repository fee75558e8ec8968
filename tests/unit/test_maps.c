// SOURCES: src/preload/record/maps.c
// CFLAGS: -O1
/* /proc/self/maps without malloc (src/preload/record/maps.h): a process with more mappings than
 * the reader's old fixed table (512) still finds the ones listed last (the stack: a program with
 * hundreds of libraries has that many mappings below it, and memplumber's bound for the main
 * thread's stack comes from there); mp_maps_read stops at its max and keeps the file's order;
 * the permissions and names are parsed; an unmapped address is not found. */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "preload/record/maps.h"

extern void *__libc_stack_end;

int main(void)
{
    enum { N = 800 };
    const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    /* N one-page mappings side by side, permissions alternating so that none merge */
    char *base = mmap(NULL, N * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(base != MAP_FAILED, "mmap");
    if (base == MAP_FAILED)
        return CHECK_DONE();
    for (int i = 0; i < N; i += 2)
        mprotect(base + (size_t)i * pg, pg, PROT_READ | PROT_WRITE);

    static struct mp_map all[4096];
    long n = mp_maps_read(all, 4096);
    CHECK(n > N, "all mappings read: %ld", n);
    int in_order = 1, stack_seen = 0;
    for (long i = 1; i < n; i++)
        in_order &= all[i].lo >= all[i - 1].hi;
    for (long i = 0; i < n; i++)
        stack_seen |= !strcmp(all[i].name, "[stack]");
    CHECK(in_order, "mappings come in address order");
    CHECK(stack_seen, "[stack] is named");
    static struct mp_map few[16];
    CHECK_UL(mp_maps_read(few, 16), 16);
    CHECK(few[0].lo == all[0].lo && few[15].hi == all[15].hi, "a short read keeps the first ones");

    uintptr_t lo = 0, hi = 0;
    int local = 0;
    CHECK(mp_maps_find((uintptr_t)&local, &lo, &hi) == 0, "the stack is found past %d mappings", N);
    CHECK(lo <= (uintptr_t)&local && (uintptr_t)&local < hi, "its range holds the address");
    CHECK(mp_maps_find((uintptr_t)__libc_stack_end, &lo, &hi) == 0, "__libc_stack_end's mapping");
    for (int i = N - 3; i < N; i++) {
        uintptr_t a = (uintptr_t)base + (size_t)i * pg + 100;
        CHECK(mp_maps_find(a, &lo, &hi) == 0 && lo == (uintptr_t)base + (size_t)i * pg &&
                  hi == lo + pg,
              "one-page mapping %d found exactly", i);
    }
    long k = 0;
    while (k < n && !(all[k].lo <= (uintptr_t)base && (uintptr_t)base < all[k].hi))
        k++;
    CHECK(k < n && all[k].prot == 3 && all[k + 1].prot == 1, "permissions parsed (rw-, r--)");

    munmap(base + 10 * pg, pg);
    CHECK(mp_maps_find((uintptr_t)base + 10 * pg, &lo, &hi) == -1, "an unmapped address is not found");
    munmap(base, N * pg);
    return CHECK_DONE();
}
