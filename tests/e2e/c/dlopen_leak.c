/* Blocks allocated inside a shared library that is dlclose'd before exit are still symbolized to
 * the library's functions and file. One was dropped at once; the other was kept in the library's
 * own global, which vanishes with the library, so it is definitely lost too (as in valgrind).
 * BUILD-SO:   dlopen_leak_lib.c
 * RUN:        %memplumber --json %t.json -- %bin %so
 * EXIT:       0
 * EXPECT:     definitely_lost bytes=123 blocks=1 frame0=lib_leak file=dlopen_leak_lib.c line=11 frame1=main
 * EXPECT:     definitely_lost bytes=456 blocks=1 frame0=lib_keep file=dlopen_leak_lib.c
 * EXPECT:     summary.definitely_lost.blocks=2
 * EXPECT-NOT: still_reachable frame0=lib_keep
 */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    void (*leak)(void) = (void (*)(void))dlsym(h, "lib_leak");
    void (*keep)(void) = (void (*)(void))dlsym(h, "lib_keep");
    if (!leak || !keep)
        return 1;
    leak();
    keep();
    __asm__ volatile("" ::: "memory");
    if (dlclose(h) != 0)
        return 1;
    return 0;
}
