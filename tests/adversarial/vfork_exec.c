// vfork: a child that fails to exec and leaves with _exit(127), a child that execs /bin/sh to
// write a data file, and a child that execs the program itself (observed again) which leaks and
// exits 6. The vfork children share the parent's memory: they must not report or disturb it.
// FILES: data.txt
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 19
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc > 1) {
        char *leak = malloc(300);
        leak[0] = 0;
        leak = NULL;
        printf("re-executed\n");
        return 6;
    }
    char *keep = malloc(64);
    strcpy(keep, "parent block");
    int st;
    pid_t pid = vfork();
    if (pid == 0) {
        char *a[] = {"/no/such/program", NULL};
        execve(a[0], a, environ);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    printf("missing: %d\n", WEXITSTATUS(st));
    pid = vfork();
    if (pid == 0) {
        char *a[] = {"/bin/sh", "-c", "echo written by sh > data.txt", NULL};
        execve(a[0], a, environ);
        _exit(126);
    }
    waitpid(pid, &st, 0);
    printf("sh: %d\n", WEXITSTATUS(st));
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        char *a[] = {argv[0], "again", NULL};
        execv("/proc/self/exe", a);
        _exit(125);
    }
    waitpid(pid, &st, 0);
    printf("self: %d\n", WEXITSTATUS(st));
    printf("%s\n", keep);
    free(keep);
    char *leak = malloc(19);
    leak[0] = 0;
    leak = NULL;
    return 0;
}
