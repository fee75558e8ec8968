// Programs (language runtimes, profilers) that take every real-time signal for themselves:
// a handler on each of SIGRTMIN..SIGRTMAX, each raised and counted, one thread blocked in a
// handler-driven loop while main exits. memplumber's internal signals must not reach the
// program's handlers, and the program's must all run.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 64
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t count[128];
static void on_rt(int sig) { count[sig]++; }

static void *spinner(void *arg)
{
    for (;;) {
        void *p = malloc(32);
        free(p);
        usleep(1000);
    }
    return arg;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_rt;
    for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
        if (sigaction(s, &sa, NULL))
            printf("sigaction %d failed\n", s - SIGRTMIN);
    pthread_t t;
    pthread_create(&t, NULL, spinner, NULL);
    for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
        raise(s);
    int bad = 0;
    for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
        if (count[s] != 1) {
            printf("SIGRTMIN+%d handled %d times\n", s - SIGRTMIN, (int)count[s]);
            bad++;
        }
    char *leak = malloc(64);
    memset(leak, 1, 64);
    leak = NULL;
    usleep(20000);
    printf("%d signals counted wrong\n", bad);
    fflush(stdout);
    exit(0);
}
