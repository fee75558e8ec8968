// Every thread blocks every signal (main included, before and after creating them); three
// threads keep allocating, one is in nanosleep, and main returns 9. No thread can be stopped
// with a signal: the report must still complete without a hang, with the right status.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] >= 40
// REPORT-STDERR: yes
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *alloc_loop(void *arg)
{
    (void)arg;
    for (;;) {
        char *p = malloc(128);
        p[0] = 1;
        free(p);
    }
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    char *leak = malloc(40);
    leak[0] = 0;
    leak = NULL;
    struct timespec ts = {100, 0};
    nanosleep(&ts, NULL);
    return NULL;
}

int main(void)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_t t;
    for (int i = 0; i < 3; i++)
        pthread_create(&t, NULL, alloc_loop, NULL);
    pthread_create(&t, NULL, sleeper, NULL);
    usleep(30000);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    printf("main returns\n");
    return 9;
}
