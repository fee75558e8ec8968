// stdout and stderr are a pipe whose reader has gone; a second thread calls exit(3) while the
// main thread waits in pause(). The report's EPIPE must not become SIGPIPE for either thread.
// RUN: $PROG 2>&1 | true
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 12
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static void *quit(void *arg)
{
    (void)arg;
    usleep(200000); /* the reader (true) is gone by now */
    char *leak = malloc(12);
    leak = NULL;
    exit(3);
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, quit, NULL);
    for (;;)
        pause();
}
