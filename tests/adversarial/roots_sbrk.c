// A program that takes memory from the system break itself (sbrk, brk) and keeps the only
// pointers to heap blocks there: a small block, one glibc maps on its own, one stored after
// glibc's heap grew past the program's region (glibc then treats the break as foreign and leaves
// the region alone), one in memory from brk(). valgrind 3.19 scans the program's break memory
// as a root: still reachable (memplumber excluded all of [heap] and called them definitely
// lost). A block known only from memory given back with sbrk(-4096), or from a freed block of
// glibc's (its part of [heap] stays out: free memory holds stale pointers), is definitely lost.
// JSON-CHECK: j["summary"]["definitely_lost"] == {"bytes": 64 + 77, "blocks": 2}
// JSON-CHECK: j["summary"]["still_reachable"] == {"bytes": 111 + 200000 + 3 * 100000 + 222 + 333, "blocks": 7}
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *grown[3];

__attribute__((noinline)) static void setup(void)
{
    void *first = malloc(1000); /* glibc's main arena takes its heap from the break first */
    void **s = sbrk(4096);      /* the program's own page right above it */
    s[10] = malloc(111);
    s[11] = malloc(200000);
    free(first);
    for (int i = 0; i < 3; i++) /* glibc's heap grows past the program's page */
        grown[i] = malloc(100000);
    s[12] = malloc(222);
    char *cur = sbrk(0);
    if (brk(cur + 4096) == 0)
        ((void **)cur)[3] = malloc(333);
    void **back = sbrk(4096); /* taken and given back: gone, as its pointer */
    back[0] = malloc(77);
    sbrk(-4096);
    void **f = malloc(48); /* a pointer left only in a freed block of glibc's */
    f[0] = malloc(64);
    free(f);
}

__attribute__((noinline)) static void scrub(void)
{
    volatile char z[4096];
    memset((char *)z, 0, sizeof z);
}

int main(void)
{
    setup();
    scrub();
    return 0;
}
