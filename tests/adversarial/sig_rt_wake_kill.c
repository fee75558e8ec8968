// SIGRTMAX-3 at its default action, sent by another process: kill() from a child (argument
// "kill") or sigqueue() with a value of the program's own (argument "queue"). The program must
// die of it, as natively; memplumber takes only its own wake requests. The signal stays blocked
// until the child has ended (its own exit report written), then it is unblocked.
// RUN: $PROG kill; echo "status $?"; $PROG queue
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 17
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int s = SIGRTMAX - 3;
    int queue = argc > 1 && !strcmp(argv[1], "queue");
    char *leak = malloc(17);
    leak[0] = 0;
    leak = NULL;
    printf("waiting for signal %s\n", queue ? "sigqueue" : "kill");
    fflush(stdout);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, s);
    sigprocmask(SIG_BLOCK, &one, NULL);
    pid_t p = fork();
    if (p == 0) {
        pid_t parent = getppid();
        if (queue)
            sigqueue(parent, s, (union sigval){.sival_int = 1234});
        else
            kill(parent, s);
        _exit(0);
    }
    waitpid(p, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    for (int i = 0; i < 50; i++)
        usleep(20000);
    printf("survived\n");
    return 0;
}
