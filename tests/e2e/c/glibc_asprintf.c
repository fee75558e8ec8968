/* asprintf's result, allocated inside glibc (by its internal vasprintf), is leaked: the stack goes
 * through asprintf to the program's function.
 * RUN:        %memplumber --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=13 blocks=1 frame1=asprintf frame2=format_it file2=glibc_asprintf.c
 * EXPECT:     summary.definitely_lost.blocks=1
 * EXPECT:     summary.definitely_lost.bytes=13
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

NOINLINE int format_it(int n)
{
    char *s = NULL;
    int len = asprintf(&s, "answer=%d-%s", n, "ok");   /* "answer=42-ok": 12 chars */
    USE(s);
    return len;
}

int main(void)
{
    int len = format_it(42);
    scrub_stack();
    return len == 12 ? 0 : 1;
}
