/* Without the CLI: LD_PRELOAD=libmemplumber.so and MEMPLUMBER_OPTIONS=json=FILE:error_exitcode=9
 * give the same report, and the exit status set by the options: the leak counts as an error
 * once leak_check=full is given there (not by default, as in valgrind).
 * VALGRIND:   skip the preload library's own option parsing
 * RUN:        LD_PRELOAD=%lib MEMPLUMBER_OPTIONS=json=%t.json:error_exitcode=9 %bin
 * EXIT:       0
 * RUN:        LD_PRELOAD=%lib MEMPLUMBER_OPTIONS=json=%t.json:error_exitcode=9:leak_check=full %bin
 * EXIT:       9
 * EXPECT:     definitely_lost bytes=48 blocks=1 frame0=leak_env file=env_options_preload.c
 * EXPECT:     summary.definitely_lost.blocks=1
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

NOINLINE void leak_env(void) { char *p = malloc(48); memset(p, 'v', 48); USE(p); }

int main(void)
{
    leak_env();
    scrub_stack();
    return 0;
}
