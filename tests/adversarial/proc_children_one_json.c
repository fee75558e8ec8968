// Ten forked children end at the same moment, each with a report of many loss records, all to
// the one JSON path (plain LD_PRELOAD, no %p: every process writes FILE itself, the last one
// wins). The parent reaps them all, counts them, then execs /bin/true with an empty environment
// (no report for the old image, the new one unobserved): the file left must be one child's
// whole report, not two interleaved.
// OPTIONS: log_file=log.%p:depth=100
// JSON-CHECK: j["command"][0].endswith("proc_children_one_json")
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] >= 80
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* a leak at each depth: a loss record of its own, with its own stack */
static void leak_at(int depth, int id)
{
    if (depth > 0) {
        leak_at(depth - 1, id);
        return;
    }
    char *p = malloc(16 + (size_t)id);
    memset(p, 'x', 16 + (size_t)id);
}

static void leak_chain(int n, int id)
{
    if (n == 0)
        return;
    leak_at(n, id);
    leak_chain(n - 1, id);
}

int main(void)
{
    int go[2];
    if (pipe(go))
        return 1;
    for (int i = 0; i < 10; i++) {
        pid_t c = fork();
        if (c == 0) {
            close(go[1]);
            leak_chain(80 + i, i);
            char b;
            (void)!read(go[0], &b, 1); /* all start their exit together */
            exit(0);
        }
    }
    close(go[0]);
    close(go[1]);
    int n = 0, st;
    while (wait(&st) > 0)
        n += WIFEXITED(st) && WEXITSTATUS(st) == 0;
    printf("%d children ended\n", n);
    fflush(stdout);
    char *argv[] = {"true", NULL}, *envp[] = {NULL};
    execve("/bin/true", argv, envp);
    return 1;
}
