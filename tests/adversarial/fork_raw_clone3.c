// A child made by the raw clone3 system call without CLONE_VM (as runtimes and sandboxes start
// processes, without glibc's fork: no atfork handler runs) drops the only pointer to a 44-byte
// block and calls exit(8). It has a copy of the parent's memory, not the parent's memory: it
// must write its own report with that leak, as valgrind reports such a child (it took itself
// for a vfork child sharing the parent's memory and wrote nothing). Before that it starts a
// vfork child of its own that calls _exit(0): that one shares the clone3 child's memory and
// must not take it over (no report of its own, the clone3 child's still comes). The parent reaps it, prints
// the status, then execs /bin/true with an empty environment (no report for the old image, the
// new one unobserved), so mp.json is the child's report (plain LD_PRELOAD: each process writes
// the one path itself).
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 44
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] == 1
#define _GNU_SOURCE
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    char *mine = malloc(7);
    mine[0] = 0;
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.exit_signal = SIGCHLD;
    fflush(stdout);
    long r = syscall(SYS_clone3, &ca, sizeof ca);
    if (r < 0) {
        printf("clone3 unavailable\n");
        return 0;
    }
    if (r == 0) {
        pid_t v = vfork();
        if (v == 0)
            _exit(0);
        waitpid(v, NULL, 0);
        char *p = malloc(44);
        memset(p, 1, 44);
        p = NULL;
        printf("child ran\n");
        exit(8);
    }
    int w;
    waitpid((pid_t)r, &w, 0);
    printf("child status %d\n", WIFEXITED(w) ? WEXITSTATUS(w) : -1);
    fflush(stdout);
    char *env[] = {NULL};
    execle("/bin/true", "true", (char *)NULL, env);
    return 1;
}
