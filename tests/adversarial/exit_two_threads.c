// Two threads call exit() at the same moment (a barrier releases them), a third is cancelled
// while blocked: one report, complete, and the status the first exit gave (both give 12).
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] in (11, 22)
// (the thread that waits for the report may keep a stale copy of its pointer in a frame)
// REPORT-STDERR: yes
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_barrier_t go;

static void *quit(void *arg)
{
    (void)arg;
    char *leak = malloc(11);
    leak = NULL;
    pthread_barrier_wait(&go);
    exit(12);
}

static void *blocked(void *arg)
{
    (void)arg;
    for (;;)
        pause();
}

int main(void)
{
    pthread_barrier_init(&go, NULL, 2);
    pthread_t a, b, c;
    pthread_create(&c, NULL, blocked, NULL);
    pthread_cancel(c);
    pthread_create(&a, NULL, quit, NULL);
    pthread_create(&b, NULL, quit, NULL);
    for (;;)
        pause();
}
