/* strdup and strndup allocate on the program's behalf: frame0 is the glibc function, frame1 the
 * program function that called it.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=12 blocks=1 allocator=malloc frame0=strdup frame1=dup_it file1=glibc_strdup.c
 * EXPECT:     definitely_lost bytes=4 blocks=1 allocator=malloc frame0=strndup frame1=ndup_it file1=glibc_strdup.c
 * EXPECT:     summary.definitely_lost.blocks=2
 */
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

const char *volatile g_text = "hello world";

NOINLINE void dup_it(void)
{
    char *p = strdup(g_text);
    USE(p);
}

NOINLINE void ndup_it(void)
{
    char *p = strndup(g_text, 3);
    USE(p);
}

int main(void)
{
    dup_it();
    ndup_it();
    scrub_stack();
    return 0;
}
