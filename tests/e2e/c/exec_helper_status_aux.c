/* Companion of exec_helper_status.c: leaks 77 bytes and exits 0. */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void helper_leak(void) { char *p = malloc(77); memset(p, 'h', 77); USE(p); }

int main(void)
{
    helper_leak();
    scrub_stack();
    return 0;
}
