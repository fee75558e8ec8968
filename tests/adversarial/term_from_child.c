// The program is killed by SIGTERM sent by its own forked child while the main thread waits in
// sigsuspend and a second thread blocks SIGTERM and allocates; the child itself exits 0 with
// _exit. Same death (SIGTERM), report written, the child writes no report of its parent's.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 35
// STDERR-HAS: fatal signal 15
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *busy(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    for (;;)
        free(malloc(77));
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, busy, NULL);
    char *leak = malloc(35);
    leak[0] = 0;
    leak = NULL;
    if (fork() == 0) {
        usleep(20000);
        kill(getppid(), SIGTERM);
        _exit(0);
    }
    sigset_t none;
    sigemptyset(&none);
    for (;;)
        sigsuspend(&none);
}
