// quick_exit(8) from a second thread while the main thread sleeps.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 19
// REPORT-STDERR: yes
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static void *quit(void *arg)
{
    (void)arg;
    char *leak = malloc(19);
    leak = NULL;
    quick_exit(8);
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, quit, NULL);
    for (;;)
        sleep(1);
}
