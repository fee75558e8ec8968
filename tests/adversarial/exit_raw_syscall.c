// The program ends with syscall(SYS_exit_group, 3) (what glibc's _exit does, made through libc's
// syscall(), as some runtimes and hand-written code do) while another thread is blocked and
// stdout holds unflushed output: the same status, the output lost as natively, and a report
// (before: no report at all, where valgrind reports the leak).
// RUN: $PROG | cat
// JSON-CHECK: j['summary']['definitely_lost']['bytes'] == 10
// JSON-CHECK: j['summary']['still_reachable']['bytes'] >= 20
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static void *held;

static void *blocked(void *arg)
{
    (void)arg;
    held = malloc(20);
    pthread_mutex_lock(&m); /* main holds it: blocked until the end */
    return NULL;
}

int main(void)
{
    pthread_mutex_lock(&m);
    pthread_t t;
    pthread_create(&t, NULL, blocked, NULL);
    while (!__atomic_load_n(&held, __ATOMIC_ACQUIRE))
        usleep(1000);
    void *p = malloc(10);
    p = NULL;
    printf("buffered, never flushed%s", p ? "?" : "");
    syscall(SYS_exit_group, 3);
    return 0;
}
