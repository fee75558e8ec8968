// abort() in a second thread while the main thread runs: SIGABRT kills the process after the
// report.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 21
// REPORT-STDERR: yes
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static void *crash(void *arg)
{
    (void)arg;
    char *leak = malloc(21);
    leak = NULL;
    abort();
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, crash, NULL);
    for (;;)
        free(malloc(100));
}
