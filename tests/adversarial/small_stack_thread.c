// Threads with the smallest stack (PTHREAD_STACK_MIN): they allocate through a few nested calls,
// one is detached and still allocating when another calls exit(2) from a 20-deep recursion on
// its own small stack while main waits in pause(). memplumber's TLS comes out of each thread's
// stack (glibc carves static TLS from it): the thread must still have its native room, and
// main must not return from pause() when the exit report stops it.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] + j["summary"]["still_reachable"]["bytes"] >= 72
// REPORT-STDERR: yes
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *nest(int n)
{
    if (n == 0)
        return malloc(72);
    char pad[128];
    memset(pad, n, sizeof pad);
    void *p = nest(n - 1);
    ((char *)p)[0] = pad[5];
    return p;
}

static void *looper(void *arg)
{
    (void)arg;
    for (;;)
        free(nest(10));
    return NULL;
}

static void deep_exit(int n)
{
    char pad[64];
    memset(pad, 0, sizeof pad);
    if (n == 0) {
        printf("exit from a small stack\n");
        exit(2);
    }
    deep_exit(n - 1);
    pad[0]++;
}

static void *quitter(void *arg)
{
    (void)arg;
    void *leak = nest(5);
    leak = NULL;
    usleep(20000);
    deep_exit(20);
    return NULL;
}

int main(void)
{
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, PTHREAD_STACK_MIN);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    if (pthread_create(&t, &at, looper, NULL) != 0)
        return 100;
    if (pthread_create(&t, &at, quitter, NULL) != 0)
        return 101;
    pause();
    return 0;
}
