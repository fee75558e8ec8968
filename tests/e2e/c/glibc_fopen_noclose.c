/* A FILE opened and never closed: glibc keeps it on its list of open streams, so the FILE is
 * still reachable (not lost); its buffer is released by glibc's freeres at exit.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     still_reachable bytes=472 blocks=1 allocator=malloc frame1=open_it file1=glibc_fopen_noclose.c
 * EXPECT:     summary.still_reachable.blocks=1
 * EXPECT-NOT: definitely_lost
 * EXPECT-NOT: possibly_lost
 */
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))

NOINLINE int open_it(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    return fgetc(f);
}

int main(int argc, char **argv)
{
    (void)argc;
    return open_it(argv[0]) == 0x7f ? 0 : 1;   /* an ELF file starts with 0x7f */
}
