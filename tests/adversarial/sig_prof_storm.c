// A profiler's timer: SIGPROF every 200 us of CPU time (ITIMER_PROF) with a handler installed
// without SA_RESTART that counts, while three threads allocate and free, and SIGALRM from a
// real-time timer (ITIMER_REAL, 1 ms) without SA_RESTART too; main exits with status 3 while
// both timers still run. The report's own system calls (writes, reads of /proc, waits) are
// interrupted again and again: it must still be written whole and the program end as natively.
// OPTIONS: log_file=mp.log
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] >= 40
// JSON-CHECK: "LEAK SUMMARY" in open(os.path.join(os.path.dirname(jpath), "mp.log")).read()
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile long ticks, alarms;
static void prof(int s) { (void)s; ticks++; }
static void alrm(int s) { (void)s; alarms++; }

static void *work(void *a)
{
    void *v[64] = {0};
    for (unsigned long i = 0;; i++) {
        unsigned k = (unsigned)(i * 2654435761u) % 64;
        free(v[k]);
        v[k] = malloc(16 + (i + (long)a) % 500);
    }
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = prof;
    sigaction(SIGPROF, &sa, NULL);
    sa.sa_handler = alrm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 200}, {0, 200}};
    setitimer(ITIMER_PROF, &it, NULL);
    struct itimerval rt = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &rt, NULL);
    for (int i = 0; i < 500; i++)
        malloc(i == 7 ? 40 : 0) ? (void)0 : (void)0;
    pthread_t t;
    for (long i = 0; i < 3; i++)
        pthread_create(&t, NULL, work, (void *)i);
    while (alarms < 200)
        pause();
    printf("ticking\n");
    fflush(stdout);
    exit(3);
}
