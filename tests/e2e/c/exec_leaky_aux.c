/* Companion of exec_leaky.c: the program it execs. Leaks 300 bytes from aux_leak. */
#include <stdio.h>
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

NOINLINE void aux_leak(void) { char *p = malloc(300); memset(p, 'a', 300); USE(p); }

int main(int argc, char **argv)
{
    aux_leak();
    scrub_stack();
    printf("aux ran\n");
    return argc == 2 && strcmp(argv[1], "from-exec") == 0 ? 0 : 1;
}
