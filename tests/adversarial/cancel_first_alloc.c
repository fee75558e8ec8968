// Threads cancelled before their first allocation (the cancel is pending when the thread starts:
// memplumber sets the thread up inside its first malloc), and threads cancelled in a loop that
// allocates, frees and passes a cancellation point, with cleanup handlers that free and allocate.
// Every thread ends cancelled, the process exits normally and the one leak is reported.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 77
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void *volatile sink;

static void cleanup(void *p)
{
    free(p);
    sink = malloc(10);
    free(sink);
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        char *p = malloc(64);
        pthread_cleanup_push(cleanup, p);
        sink = p;
        pthread_testcancel();
        pthread_cleanup_pop(0);
        free(p);
    }
    return NULL;
}

int main(void)
{
    int n = 0;
    for (int i = 0; i < 100; i++) {
        pthread_t t;
        pthread_create(&t, NULL, worker, NULL);
        if (i & 1) {
            struct timespec ts = {0, 20000 * (i % 5)};
            nanosleep(&ts, NULL);
        }
        pthread_cancel(t);
        void *r;
        pthread_join(t, &r);
        n += r == PTHREAD_CANCELED;
    }
    printf("%d of 100 cancelled\n", n);
    sink = malloc(77);
    sink = NULL;
    return 0;
}
