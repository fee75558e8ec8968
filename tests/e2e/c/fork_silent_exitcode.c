/* --child-silent-after-fork=yes: the forked child, which leaks and exits 3, writes nothing, but
 * its leak check still runs and --error-exitcode applies to its status, as in valgrind: the
 * parent sees 5. The parent's own report is the only one.
 * RUN:        %memplumber --child-silent-after-fork=yes --leak-check=full --error-exitcode=5 --json %t.%p.json -- %bin
 * EXIT:       0
 * STDOUT:     worker exit status 5
 * EXPECT-FILE-COUNT: %t.*.json 1
 * CAPTURE:    PARENT=parent=(\d+)
 * JSON:       %t.[[PARENT]].json
 * EXPECT:     summary.definitely_lost.blocks=0
 * VALGRIND:   skip the shim does not pass --child-silent-after-fork (integration/valgrind_exitcode.sh compares)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define USE(p) __asm__ volatile("" : : "r"(p) : "memory")

NOINLINE static void scrub_stack(void)
{
    volatile char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void child_leak(void) { char *p = malloc(64); memset(p, 'c', 64); USE(p); }

int main(void)
{
    printf("parent=%d\n", (int)getpid());
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        child_leak();
        scrub_stack();
        _exit(3);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("worker exit status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
