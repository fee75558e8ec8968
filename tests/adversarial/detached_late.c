// Detached threads that outlive main: one waits in sigwait for SIGUSR2 (blocked everywhere), one
// is cancelled... while blocked in read; two wake up after main has returned and are in malloc
// and printf when the process ends. The output main printed must be complete.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] >= 10
// REPORT-STDERR: yes
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int pfd[2];

static void *late(void *arg)
{
    (void)arg;
    usleep(5000);
    for (;;) {
        char *p = malloc(500);
        snprintf(p, 500, "late\n");
        free(p);
    }
    return NULL;
}

static void *waiter(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    int sig;
    sigwait(&s, &sig);
    printf("waiter got %d\n", sig);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    char c;
    read(pfd[0], &c, 1);
    return NULL;
}

int main(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    pipe(pfd);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_t t, r;
    pthread_create(&t, &at, waiter, NULL);
    pthread_create(&r, &at, reader, NULL);
    pthread_create(&t, &at, late, NULL);
    pthread_create(&t, &at, late, NULL);
    char *leak = malloc(10);
    leak[0] = 0;
    leak = NULL;
    pthread_cancel(r);
    for (int i = 0; i < 100; i++)
        printf("main line %d\n", i);
    return 0;
}
