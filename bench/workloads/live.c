/* Live blocks: allocate N small blocks (16-64 B) from a few allocation sites, keep every one
 * reachable from a global array until exit, then return from main. Measures the per-block
 * memory of a tool (peak RSS beyond native / N) and the cost of its exit-time scan.
 * Build: -O2 -g -fomit-frame-pointer. usage: live N */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void **live_blocks; /* the global array: every block stays reachable from here */
size_t live_count;

__attribute__((noinline)) static void *site_a(size_t n) { return malloc(n); }
__attribute__((noinline)) static void *site_b(size_t n) { void *p = site_a(n); __asm__ volatile("" ::: "memory"); return p; }
__attribute__((noinline)) static void *site_c(size_t n) { void *p = site_b(n); __asm__ volatile("" ::: "memory"); return p; }
__attribute__((noinline)) static void *site_d(size_t n) { void *p = calloc(1, n); __asm__ volatile("" ::: "memory"); return p; }

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    live_blocks = malloc(n * sizeof *live_blocks);
    if (!live_blocks)
        return 1;
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        size_t size = 16 + (i & 3) * 16; /* 16, 32, 48, 64 bytes */
        void *p;
        switch (i % 3) {
        case 0: p = site_a(size); break;
        case 1: p = site_c(size); break;
        default: p = site_d(size); break;
        }
        if (!p)
            return 1;
        *(volatile char *)p = (char)i;
        live_blocks[i] = p;
        sum += (uintptr_t)p & 0xff;
    }
    live_count = n;
    printf("live: %zu blocks (%llu)\n", n, (unsigned long long)sum);
    return 0;
}
