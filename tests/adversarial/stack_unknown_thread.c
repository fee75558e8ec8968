// Threads memplumber did not start: glibc starts the thread that runs a SIGEV_THREAD timer's
// function by itself (not through the program's pthread_create), so memplumber knows nothing of
// its stack. Allocations there, 25 frames deep, are recorded with their whole stacks; the
// program's own output and status are unchanged. (Some of the three blocks may stay reachable:
// glibc reuses a finished thread's stack, where stale copies of their addresses lie.)
// LIBS: -lrt
// JSON-CHECK: sum(l["blocks"] for l in j["leaks"] if l["stack"][0].get("function") == "nest") == 3
// JSON-CHECK: all(sum(1 for f in l["stack"] if f.get("function") == "nest") == 26 and any(f.get("function") == "on_timer" for f in l["stack"]) for l in j["leaks"] if l["stack"][0].get("function") == "nest")
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void *(*volatile alloc)(size_t) = malloc;
static sem_t fired;

__attribute__((noinline)) static void nest(int n)
{
    if (n > 0) {
        nest(n - 1);
        __asm__ volatile("" ::: "memory");
        return;
    }
    void *volatile p = alloc(48); /* leaked */
    (void)p;
    void *q = alloc(4000);
    free(q);
}

static void on_timer(union sigval v)
{
    (void)v;
    nest(25);
    sem_post(&fired);
}

int main(void)
{
    sem_init(&fired, 0, 0);
    struct sigevent ev = {0};
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = on_timer;
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t) != 0) {
        perror("timer_create");
        return 2;
    }
    for (int i = 0; i < 3; i++) {
        struct itimerspec its = {.it_value = {0, 1000000}};
        timer_settime(t, 0, &its, NULL);
        while (sem_wait(&fired) != 0)
            ;
    }
    timer_delete(t);
    printf("fired 3 times\n");
    return 0;
}
