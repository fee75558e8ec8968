// A second thread with its own 8 KiB alternate stack takes a signal and calls exit(5) from the
// handler while the main thread is blocked in join. Two threads run; the report still completes.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 200
// REPORT-STDERR: yes
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_usr2(int sig)
{
    (void)sig;
    exit(5);
}

static void *worker(void *arg)
{
    (void)arg;
    static char altstack[8192];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    char *leak = malloc(200);
    leak = NULL;
    pthread_kill(pthread_self(), SIGUSR2);
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    return 0;
}
