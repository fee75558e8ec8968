// A forked child kills its parent with SIGTERM at once (as a supervisor's helper does); 30 runs.
// The signal can reach the parent while it is still inside fork, where memplumber holds its
// table locks (between its atfork handlers): the fatal-signal report then waited for them
// forever, about one run in ten. Every run must die of SIGTERM, as natively.
// RUN: for i in $(seq 30); do timeout -s KILL 10 $PROG; echo "status $?"; done
// OPTIONS: child_silent_after_fork=yes
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 17
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    char *leak = malloc(17);
    leak[0] = 0;
    leak = NULL;
    pid_t c = fork();
    if (c == 0) {
        kill(getppid(), SIGTERM);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    sleep(5);
    return 0;
}
