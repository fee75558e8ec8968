/* The only pointer to a block is in the main thread's thread-local variable: still reachable
 * (thread-local storage is a root, as in valgrind, which scans every mapped data region).
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     still_reachable bytes=96 blocks=1 frame0=set_tls file=reachable_tls.c
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: possibly_lost
 */
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

static __thread char *tls_ptr;

NOINLINE void set_tls(void)
{
    char *p = malloc(96);
    memset(p, 't', 96);
    tls_ptr = p;
    __asm__ volatile("" ::: "memory");
}

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

int main(void)
{
    set_tls();
    scrub_stack();
    return tls_ptr[0] == 't' ? 0 : 1;
}
