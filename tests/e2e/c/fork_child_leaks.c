/* After fork, parent and child leak different blocks; each process writes its own report
 * (%p in the path) naming only its own leak.
 * RUN:        %memplumber --json %t.%p.json -- %bin
 * STDOUT:     child exited 0
 * CAPTURE:    PARENT=parent=(\d+)
 * CAPTURE:    CHILD=child=(\d+)
 * EXPECT-FILE-COUNT: %t.*.json 2
 * JSON:       %t.[[CHILD]].json
 * EXPECT:     definitely_lost bytes=200 blocks=1 frame0=child_leak file=fork_child_leaks.c
 * EXPECT-NOT: definitely_lost frame0=parent_leak
 * EXPECT:     summary.definitely_lost.blocks=1
 * JSON:       %t.[[PARENT]].json
 * EXPECT:     definitely_lost bytes=100 blocks=1 frame0=parent_leak file=fork_child_leaks.c
 * EXPECT-NOT: definitely_lost frame0=child_leak
 * EXPECT:     summary.definitely_lost.blocks=1
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

NOINLINE void parent_leak(void) { char *p = malloc(100); memset(p, 'p', 100); USE(p); }
NOINLINE void child_leak(void) { char *p = malloc(200); memset(p, 'c', 200); USE(p); }

int main(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        child_leak();
        scrub_stack();
        exit(0);
    }
    parent_leak();
    int status = 0;
    waitpid(pid, &status, 0);
    scrub_stack();
    printf("parent=%d\nchild=%d\nchild exited %d\n", (int)getpid(), (int)pid,
           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
