// A thread calls exit(5) while the main thread and two others are inside a tight
// malloc/realloc/free loop (the exit lands while they hold allocator and table locks). The
// report must complete (no deadlock), and the status stays 5.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] >= 33
// REPORT-STDERR: yes
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int started;

static void churn(void)
{
    void *keep[64] = {0};
    for (unsigned i = 0;; i++) {
        unsigned k = (i * 2654435761u) % 64;
        keep[k] = realloc(keep[k], (i % 500) + 1);
        if (i % 3 == 0) {
            free(keep[(k + 7) % 64]);
            keep[(k + 7) % 64] = NULL;
        }
        if (i == 1000)
            __sync_fetch_and_add(&started, 1);
    }
}

static void *worker(void *arg)
{
    (void)arg;
    churn();
    return NULL;
}

static void *quitter(void *arg)
{
    (void)arg;
    while (started < 3)
        usleep(1000);
    char *leak = malloc(33);
    memset(leak, 2, 33);
    leak = NULL;
    usleep(20000);
    printf("quitting\n");
    exit(5);
}

int main(void)
{
    pthread_t t;
    for (int i = 0; i < 2; i++)
        pthread_create(&t, NULL, worker, NULL);
    pthread_create(&t, NULL, quitter, NULL);
    churn();
    return 0;
}
