// A server reads its signals from a signalfd: every thread blocks every signal (the workers are
// created with the full mask), one thread reads the signalfd (which takes every signal) and
// logs what it reads; the workers allocate; main sends SIGUSR1, SIGHUP and a real-time signal
// with sigqueue, then SIGTERM, on which the reader writes the log and exits with status 9.
// memplumber's own signals (its stop signal at exit, its wake signal) must never be read from
// the program's signalfd: the log is what it is natively. main sends each signal only after the
// reader has logged the one before (a byte on a pipe): with two standard signals pending at once
// the kernel hands the lower number first, so on a loaded machine a slow reader reordered the
// log natively and under memplumber alike.
// FILES: sig.log
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] >= 24
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

static volatile int stop_workers;
static int ack[2];

static void *worker(void *a)
{
    void *keep = NULL;
    for (long i = 0; !stop_workers; i++) {
        free(keep);
        keep = malloc(24 + (i + (long)a) % 100);
        if (i % 1000 == 0)
            usleep(100);
    }
    return keep;
}

static void *reader(void *a)
{
    (void)a;
    sigset_t all;
    sigfillset(&all);
    int fd = signalfd(-1, &all, SFD_CLOEXEC);
    FILE *log = fopen("sig.log", "w");
    for (;;) {
        struct signalfd_siginfo si;
        if (read(fd, &si, sizeof si) != sizeof si)
            continue;
        fprintf(log, "signal %u code %d value %d\n", si.ssi_signo, si.ssi_code, si.ssi_int);
        char b = 1;
        if (write(ack[1], &b, 1) != 1)
            abort();
        if (si.ssi_signo == SIGTERM) {
            fclose(log);
            malloc(24);
            exit(9);
        }
    }
    return NULL;
}

static void acked(void)
{
    char b;
    if (read(ack[0], &b, 1) != 1)
        abort();
}

int main(void)
{
    if (pipe(ack))
        return 1;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_t t;
    for (long i = 0; i < 2; i++)
        pthread_create(&t, NULL, worker, (void *)i);
    pthread_create(&t, NULL, reader, NULL);
    usleep(50000);
    kill(getpid(), SIGUSR1);
    acked();
    kill(getpid(), SIGHUP);
    acked();
    union sigval v = {.sival_int = 42};
    sigqueue(getpid(), SIGRTMIN + 2, v);
    acked();
    sigqueue(getpid(), SIGRTMAX - 3, v);
    acked();
    sigqueue(getpid(), SIGRTMAX - 2, v);
    acked();
    kill(getpid(), SIGTERM);
    for (;;)
        pause();
}
