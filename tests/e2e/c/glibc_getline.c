/* getline's buffer (glibc allocates 120 bytes for a short first line) is leaked after fclose.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=120 blocks=1 allocator=malloc frame0=getdelim frame1=read_line file1=glibc_getline.c
 * EXPECT:     summary.definitely_lost.blocks=1
 * EXPECT-NOT: still_reachable
 */
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

static char text[] = "first line\nsecond line\n";

NOINLINE ssize_t read_line(void)
{
    FILE *f = fmemopen(text, strlen(text), "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    fclose(f);
    USE(line);
    return n;
}

int main(void)
{
    ssize_t n = read_line();
    scrub_stack();
    return n == 11 ? 0 : 1;
}
