/* open_memstream's buffer belongs to the caller after fclose; leaking it is a definite leak. fclose
 * shrinks it to the text's size + 1 with realloc, so that is the allocation stack (via fclose).
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=71 blocks=1 allocator=realloc frame2=build_text file2=glibc_open_memstream.c
 * EXPECT:     summary.definitely_lost.blocks=1
 * EXPECT-NOT: still_reachable
 */
#include <stdio.h>
#include <stdlib.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE size_t build_text(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (int i = 0; i < 10; i++)
        fprintf(f, "line %d\n", i);
    fclose(f);
    USE(buf);
    return len;
}

int main(void)
{
    size_t len = build_text();
    scrub_stack();
    return len == 70 ? 0 : 1;
}
