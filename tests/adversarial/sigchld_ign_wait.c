// SIGCHLD set to SIG_IGN (children reaped by the kernel, wait() fails with ECHILD) and
// SA_NOCLDWAIT in a second phase with a handler; forked children allocate and exit. What wait
// returns and what the handler counts must be what they are natively.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 13
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_chld(int sig)
{
    (void)sig;
    got++;
}

int main(void)
{
    signal(SIGCHLD, SIG_IGN);
    for (int i = 0; i < 3; i++) {
        if (fork() == 0) {
            free(malloc(100));
            exit(i);
        }
    }
    int st;
    pid_t r;
    while ((r = wait(&st)) > 0)
        printf("reaped one?\n");
    printf("wait: %d %s\n", (int)r, strerror(errno));

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_NOCLDWAIT | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t blk, old;
    sigemptyset(&blk);
    sigaddset(&blk, SIGCHLD);
    sigprocmask(SIG_BLOCK, &blk, &old);
    for (int i = 0; i < 2; i++) {
        if (fork() == 0) {
            char *p = malloc(50);
            p[0] = 1;
            _exit(0);
        }
    }
    while ((r = wait(&st)) > 0)
        printf("reaped one?\n");
    printf("wait: %d %s\n", (int)r, strerror(errno));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("handler ran: %s\n", got ? "yes" : "no");
    char *leak = malloc(13);
    leak[0] = 0;
    leak = NULL;
    return 0;
}
