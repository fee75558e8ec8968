// Every thread blocks every signal and a dedicated thread sigwait()s for SIGTERM, then exits
// with a status of its own; meanwhile other threads keep allocating. The SIGTERM is the
// program's: memplumber must not take it (no "killed by SIGTERM" report, status 7 kept).
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 10
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *worker(void *arg)
{
    for (;;) {
        char *p = malloc(48);
        p[0] = 1;
        free(p);
    }
    return arg;
}

int main(void)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    char *leak = malloc(10);
    memset(leak, 3, 10);
    leak = NULL;
    kill(getpid(), SIGTERM);
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    int s;
    sigwait(&term, &s);
    printf("got %d\n", s);
    fflush(stdout);
    exit(7);
}
