// A thread holds the locks of stdout and stderr (flockfile) and waits forever; main writes to a
// file of its own and exits with status 7. Natively exit does not wait for those locks; the
// report (written to stderr) must not wait for them either.
// FILES: out.txt
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 21
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile int held;

static void *holder(void *a)
{
    (void)a;
    flockfile(stdout);
    flockfile(stderr);
    held = 1;
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    printf("buffered line\n");
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL);
    while (!held)
        usleep(1000);
    FILE *f = fopen("out.txt", "w");
    fprintf(f, "data\n");
    fclose(f);
    void *p = malloc(21);
    p = 0;
    exit(7);
}
