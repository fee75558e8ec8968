/* Companion of dlopen_leak.c: a library that leaks one block and keeps another in a global. */
#include <stdlib.h>
#include <string.h>

#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

static char *kept;

__attribute__((noinline)) void lib_leak(void)
{
    char *p = malloc(123);
    memset(p, 'l', 123);
    USE(p);
}

__attribute__((noinline)) void lib_keep(void)
{
    kept = malloc(456);
    memset(kept, 'k', 456);
    __asm__ volatile("" ::: "memory");
}
