/* scandir's result (an array of pointers to malloc'd dirent copies) is leaked: the array is
 * definitely lost, the three entries it points to indirectly lost. Both come from glibc's
 * internal scandir tail (scandir itself tail-calls it), called from list_dir.
 * RUN:        mkdir -p %t.dir && touch %t.dir/a1 %t.dir/b22 %t.dir/c333
 * RUN:        %memplumber --json %t.json -- %bin %t.dir
 * EXPECT:     definitely_lost bytes=80 blocks=1 frame1=list_dir file1=glibc_scandir.c
 * EXPECT:     indirectly_lost bytes=72 blocks=3 allocator=malloc frame1=list_dir
 * EXPECT:     summary.definitely_lost.blocks=1
 * EXPECT:     summary.indirectly_lost.blocks=3
 * EXPECT:     summary.indirectly_lost.bytes=72
 * EXPECT-NOT: still_reachable
 */
#include <dirent.h>
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

static int no_dots(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

NOINLINE int list_dir(const char *dir)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, no_dots, alphasort);
    USE(names);
    return n;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? list_dir(argv[1]) : -1;
    scrub_stack();
    return n == 3 ? 0 : 1;
}
