/* Companion of error_dlclose_dtor.c: a library whose destructor frees a block twice. */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NOTAIL() __asm__ volatile("" ::: "memory")

static char *block;

NOINLINE void lib_make(void)
{
    block = malloc(24);
    memset(block, 'b', 24);
}

NOINLINE void lib_first_free(char *p) { free(p); NOTAIL(); }
NOINLINE void lib_second_free(char *p) { free(p); NOTAIL(); }

__attribute__((destructor)) static void lib_fini(void)
{
    lib_first_free(block);
    lib_second_free(block);
    NOTAIL();
}
