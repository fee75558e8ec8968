/* A program leaks, then execs another leaky program (exec_leaky_aux.c): the report is the exec'd
 * program's (the first image's heap is gone with it; valgrind --trace-children=yes agrees).
 * BUILD-AUX:  exec_leaky_aux.c
 * RUN:        %memplumber --json %t.json -- %bin %aux
 * EXIT:       0
 * STDOUT:     aux ran
 * EXPECT:     definitely_lost bytes=300 blocks=1 frame0=aux_leak file=exec_leaky_aux.c
 * EXPECT-NOT: definitely_lost frame0=before_exec
 * EXPECT:     summary.definitely_lost.blocks=1
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

NOINLINE void before_exec(void) { char *p = malloc(150); memset(p, 'b', 150); USE(p); }

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    before_exec();
    fflush(stdout);
    execl(argv[1], argv[1], "from-exec", (char *)NULL);
    perror("execl");
    return 1;
}
