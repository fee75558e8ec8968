/* _exit and quick_exit with output still in stdio's buffers (stdout on a pipe, a file opened with
 * fopen): natively that output is lost, and so it stays under memplumber (adversarial/
 * exit_now_unflushed checks that; valgrind's __libc_freeres writes it), but glibc's buffers are
 * still freed before the scan, as under valgrind: only the FILE that was never closed stays
 * reachable, not stdout's or the file's buffer.
 * RUN:        %memplumber --json %t.now.json -- %bin now | cat
 * RUN:        %memplumber --json %t.quick.json -- %bin quick | cat
 * JSON:       %t.now.json
 * EXPECT:     definitely_lost bytes=16 blocks=1 frame0=leak_one
 * EXPECT:     still_reachable bytes=472 blocks=1 anyframe=main
 * EXPECT:     summary.still_reachable.blocks=1
 * JSON:       %t.quick.json
 * EXPECT:     definitely_lost bytes=16 blocks=1 frame0=leak_one
 * EXPECT:     still_reachable bytes=472 blocks=1 anyframe=main
 * EXPECT:     summary.still_reachable.blocks=1
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

NOINLINE static void scrub_stack(void)
{
    volatile char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void leak_one(void)
{
    char *volatile p = malloc(16);
    memset(p, 'l', 16);
}

int main(int argc, char **argv)
{
    FILE *f = fopen("data.txt", "w");
    if (!f)
        return 2;
    fprintf(f, "never written\n");
    printf("buffered, lost\n");
    leak_one();
    scrub_stack();
    if (argc > 1 && !strcmp(argv[1], "quick"))
        quick_exit(0);
    _exit(0);
}
