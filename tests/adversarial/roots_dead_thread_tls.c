// __thread variables of threads that have ended: one that has returned and is not joined, one
// joined (glibc caches its stack; the second thread asks for a bigger one, so none reuses it).
// Each keeps a block only in a __thread variable and one only in a local of its dead frames.
// valgrind 3.19: the unjoined thread's __thread block still reachable (its static TLS is still
// read), everything else definitely lost. memplumber left that static TLS out with the dead
// frames of the stack and called the block definitely lost.
// JSON-CHECK: j["summary"]["definitely_lost"] == {"bytes": 60 + 61 + 70, "blocks": 3}
// JSON-CHECK: j["summary"]["still_reachable"] == {"bytes": 71, "blocks": 1}
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static __thread void *tls;
static volatile pid_t ended_tid;

static void *body(void *size)
{
    volatile void *local = malloc((size_t)size);
    tls = malloc((size_t)size + 1);
    (void)local;
    ended_tid = (pid_t)syscall(SYS_gettid);
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, body, (void *)60);
    pthread_join(a, NULL);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 16 << 20); /* not a's cached stack */
    ended_tid = 0;
    pthread_create(&b, &attr, body, (void *)70);
    while (!ended_tid)
        usleep(1000);
    char task[64];
    struct stat st;
    snprintf(task, sizeof task, "/proc/self/task/%d", (int)ended_tid);
    while (stat(task, &st) == 0) /* until the kernel has removed it: b has ended, not joined */
        usleep(1000);
    exit(0);
}
