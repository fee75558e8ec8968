// clone(CLONE_VM) without CLONE_THREAD or CLONE_SETTLS: a child that shares the parent's memory
// and even its thread pointer (as a few runtimes and old sandboxes start helpers), on a stack
// from mmap. The parent waits in waitpid while the child allocates, frees and writes a file with
// write(2), then returns (its own exit). The parent then allocates and exits 0.
// FILES: child.txt
// JSON: any
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void *shared;

static int child(void *a)
{
    (void)a;
    void *v[100];
    for (int i = 0; i < 100; i++)
        v[i] = malloc(16 + i * 3);
    for (int i = 0; i < 100; i += 2)
        free(v[i]);
    shared = v[1];
    int fd = open("child.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "child ran\n", 10);
    close(fd);
    return 7;
}

int main(void)
{
    void *stk = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    pid_t pid = clone(child, (char *)stk + (1 << 20), CLONE_VM | SIGCHLD, NULL);
    int st;
    waitpid(pid, &st, 0);
    printf("child status %d, shared block %s\n", WEXITSTATUS(st), shared ? "set" : "unset");
    free(shared);
    void *p = malloc(100);
    printf("parent allocates %s\n", p ? "ok" : "failed");
    return 0;
}
