// kill(getpid(), SIGTERM) while three threads block every signal: only the main thread can take
// it; the process dies of SIGTERM after the report.
// JSON-CHECK: j["summary"]["total_allocated"]["bytes"] >= 3 * 16
// (threads that block every signal cannot be stopped for the scan: their whole stacks are read,
// stale copies included, so some of the three blocks may show as reachable)
// REPORT-STDERR: yes
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_barrier_t ready;

static void *worker(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    char *leak = malloc(16);
    leak = NULL;
    pthread_barrier_wait(&ready);
    for (;;)
        pause();
}

int main(void)
{
    pthread_barrier_init(&ready, NULL, 4);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    pthread_barrier_wait(&ready);
    kill(getpid(), SIGTERM);
    for (;;)
        pause();
}
