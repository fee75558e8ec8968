// report_signal set: main() ends with pthread_exit while a worker runs; the worker asks for an
// on-demand report (the report signal, only under memplumber: natively SIGUSR2 would kill it),
// leaks, and returns. glibc then calls exit(0) on the worker, the last thread: status 0, and an
// exit report after the on-demand one. memplumber's report_signal thread was counted by glibc as
// one of the program's threads, so the process never ended (killed by the timeout); and, listed
// among the program's threads at exit, it made memplumber skip glibc's clean-up (__libc_freeres):
// the loader's memory for libgcc_s (loaded by pthread_exit), 6,672 bytes, reported lost.
// RUN: timeout -s KILL 20 $PROG
// OPTIONS: report_signal=12
// STDERR-HAS: memplumber report (on demand (signal))
// JSON-CHECK: 100 <= j["summary"]["definitely_lost"]["bytes"] < 1000
// JSON-CHECK: j["report_seq"] == 2
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int memplumber_is_active(void) __attribute__((weak));

static void *worker(void *arg)
{
    (void)arg;
    usleep(100000);
    if (memplumber_is_active && memplumber_is_active())
        raise(SIGUSR2);
    usleep(300000); /* the on-demand report is written meanwhile */
    char *leak = malloc(100);
    leak[0] = 0;
    leak = NULL;
    printf("worker done\n");
    fflush(stdout);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    printf("main leaves\n");
    fflush(stdout);
    pthread_exit(NULL);
}
