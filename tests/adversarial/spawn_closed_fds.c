// posix_spawn from a program that closed stdin and stdout: the file actions open a data file
// onto fd 1 and close fd 2 in the child; the children (observed too, through LD_PRELOAD) write
// only the data file; the program's own status and stderr are unchanged. Then posix_spawnp with
// a signal mask and default dispositions set, and a spawn of a missing program (127).
// FILES: out.txt
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 12
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(void)
{
    close(0);
    close(1);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "out.txt", O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addclose(&fa, 2);
    char *argv1[] = {"sh", "-c", "echo spawned one; echo to-stderr >&2; exit 3", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv1, environ);
    int st = 0;
    waitpid(pid, &st, 0);
    fprintf(stderr, "spawn rc=%d status=%d\n", rc, WEXITSTATUS(st));

    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &all);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *argv2[] = {"cat", "/proc/self/status", NULL};
    posix_spawn_file_actions_t fb;
    posix_spawn_file_actions_init(&fb);
    posix_spawn_file_actions_addopen(&fb, 1, "/dev/null", O_WRONLY, 0);
    rc = posix_spawnp(&pid, "cat", &fb, &at, argv2, environ);
    waitpid(pid, &st, 0);
    fprintf(stderr, "spawnp rc=%d status=%d\n", rc, WEXITSTATUS(st));

    char *argv3[] = {"no-such-program-here", NULL};
    rc = posix_spawnp(&pid, "no-such-program-here", NULL, NULL, argv3, environ);
    if (rc == 0) {
        waitpid(pid, &st, 0);
        fprintf(stderr, "missing: status=%d\n", WEXITSTATUS(st));
    } else
        fprintf(stderr, "missing: rc=%d\n", rc);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawn_file_actions_destroy(&fb);
    posix_spawnattr_destroy(&at);
    char *leak = malloc(12);
    leak[0] = 0;
    leak = NULL;
    return 2;
}
