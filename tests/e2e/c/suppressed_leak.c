/* Two leaks from two functions; the companion suppressed_leak.supp (valgrind's format, first frame
 * line fun:malloc as valgrind writes it) hides the one from leak_known: the other stays definitely
 * lost, the hidden one's bytes move to summary.suppressed and out of definitely_lost. Then a
 * memplumber-format line through MEMPLUMBER_OPTIONS alone, with --verbosity=2 naming the
 * suppression used; then --gen-suppressions prints a block per record.
 * VALGRIND:   skip the vg-shim does not pass --suppressions on to valgrind
 * RUN:        %memplumber --leak-check=full --suppressions=%S/suppressed_leak.supp --json %t.json -- %bin
 * EXPECT:     definitely_lost bytes=32 blocks=1 frame0=leak_other file=suppressed_leak.c
 * EXPECT-NOT: definitely_lost frame0=leak_known
 * EXPECT:     summary.suppressed.bytes=48
 * EXPECT:     summary.suppressed.blocks=1
 * EXPECT:     summary.definitely_lost.bytes=32
 * EXPECT:     summary.definitely_lost.blocks=1
 * STDERR:     ERROR SUMMARY: 1 errors from 1 contexts (suppressed: 1 from 1)
 * STDERR-NOT: leak_known (suppressed_leak.c
 * RUN:        printf '# memplumber format\nleak:leak_known kinds=definite\n' > %t.mp.supp
 * RUN:        LD_PRELOAD=%lib MEMPLUMBER_OPTIONS=suppressions=%t.mp.supp:json=%t.mp.json:verbosity=2 %bin
 * JSON:       %t.mp.json
 * EXPECT:     definitely_lost bytes=32 blocks=1 frame0=leak_other
 * EXPECT-NOT: definitely_lost frame0=leak_known
 * EXPECT:     summary.suppressed.bytes=48
 * EXPECT:     summary.definitely_lost.bytes=32
 * STDERR-RE:  used_suppression: +1 leak:leak_known kinds=definite /\S*t\.mp\.supp:2 suppressed: 48 bytes in 1 blocks
 * RUN:        %memplumber --gen-suppressions --json %t.gen.json -- %bin
 * JSON:       %t.gen.json
 * EXPECT:     summary.suppressed.bytes=0
 * EXPECT:     summary.definitely_lost.bytes=80
 * STDERR-RE:  (?m)^\{\n   <insert_a_suppression_name_here>\n   Memcheck:Leak\n   match-leak-kinds: definite\n   fun:malloc\n   fun:leak_known\n   fun:main\n   fun:\(below main\)\n\}$
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

NOINLINE void leak_known(void) { char *p = malloc(48); memset(p, 'k', 48); USE(p); }
NOINLINE void leak_other(void) { char *p = malloc(32); memset(p, 'o', 32); USE(p); }

int main(void)
{
    leak_known();
    leak_other();
    scrub_stack();
    return 0;
}
