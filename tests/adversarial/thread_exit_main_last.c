// main() ends with pthread_exit while a worker runs; when the worker returns, glibc calls
// exit(0) on it (the last thread): the process must end with status 0 and write its exit report.
// memplumber's report thread, started at the first pthread_create, must not count as one of the
// program's threads (it kept the process alive forever, with SIGTERM pending).
// RUN: timeout -s KILL 20 $PROG
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] >= 100
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *worker(void *arg)
{
    (void)arg;
    usleep(100000);
    char *leak = malloc(100);
    leak[0] = 0;
    leak = NULL;
    printf("worker done\n");
    fflush(stdout);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    printf("main leaves\n");
    fflush(stdout);
    pthread_exit(NULL);
}
