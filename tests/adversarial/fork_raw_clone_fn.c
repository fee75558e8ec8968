// A child made by glibc's clone() wrapper without CLONE_VM (a copy of the parent's memory, no
// atfork handler) drops the only pointer to a 33-byte block and returns 9 from its function:
// glibc then ends it with the exit system call, past every exit handler. It must still write
// its own report with that leak, as valgrind reports such a child, and end with status 9. The
// parent reaps it, prints the status, then execs /bin/true with an empty environment (no
// report for the old image), so mp.json is the child's report.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 33
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] == 1
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int child(void *a)
{
    char *p = malloc(33);
    memset(p, 1, 33);
    p = NULL;
    printf("child %ld ran\n", (long)a);
    fflush(stdout);
    return 9;
}

int main(void)
{
    char *mine = malloc(7);
    mine[0] = 0;
    size_t sz = 1 << 16;
    char *stk = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fflush(stdout);
    pid_t c = clone(child, stk + sz, SIGCHLD, (void *)5L);
    int w;
    waitpid(c, &w, 0);
    printf("child status %d\n", WIFEXITED(w) ? WEXITSTATUS(w) : -1);
    fflush(stdout);
    char *env[] = {NULL};
    execle("/bin/true", "true", (char *)NULL, env);
    return 1;
}
