// A server's signal design: every thread blocks every signal, one thread takes them with
// sigwaitinfo() and logs each one it gets. At exit (and at a report) memplumber must not hand
// that thread a signal of its own: the log must be what it is natively.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 100
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *waiter(void *arg)
{
    sigset_t all;
    sigfillset(&all);
    for (;;) {
        siginfo_t si;
        int s = sigwaitinfo(&all, &si);
        if (s < 0)
            continue;
        printf("waiter: got signal %d\n", s);
        fflush(stdout);
    }
    return arg;
}

int main(void)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    kill(getpid(), SIGUSR1);
    usleep(100000);
    char *leak = malloc(100);
    memset(leak, 2, 100);
    leak = NULL;
    printf("main: exiting\n");
    fflush(stdout);
    exit(3);
}
