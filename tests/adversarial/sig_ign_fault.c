// SIGSEGV and SIGBUS set to SIG_IGN: a kill(SIGSEGV) from the program is ignored, but a real
// fault still kills it (the kernel forces the default action). Same death under memplumber,
// with the report written first. An exec'd child inherits the SIG_IGN (and ignores a raise).
// JSON-CHECK: j["summary"]["total_allocated"]["bytes"] >= 27
// STDERR-HAS: fatal signal 11
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1) {
        struct sigaction q;
        sigaction(SIGSEGV, NULL, &q);
        raise(SIGSEGV);
        printf("child: SIGSEGV is %s\n", q.sa_handler == SIG_IGN ? "SIG_IGN" : "not ignored");
        return 0;
    }
    signal(SIGSEGV, SIG_IGN);
    signal(SIGBUS, SIG_IGN);
    kill(getpid(), SIGSEGV);
    raise(SIGBUS);
    printf("still alive\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/proc/self/exe", argv[0], "child", (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child status %d\n", st);
    fflush(stdout);
    char *leak = malloc(27);
    leak[0] = 0;
    leak = NULL;
    *(volatile int *)24 = 0;
    return 0;
}
