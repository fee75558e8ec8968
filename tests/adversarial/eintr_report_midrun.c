// Reports taken while the program runs (memplumber_report_now, from a worker) must not make the
// other threads' waits return EINTR: one in poll on a pipe, one in epoll_wait, one in
// clock_nanosleep, one in sigsuspend, one in semop (System V semaphore). Natively the API is
// absent (weak symbols, NULL) and nothing interrupts them. Each waiter treats any early return as
// the program's failure and prints it; after the reports, the main thread wakes them the normal
// way (a byte on the pipe, SIGUSR1, the semaphore, the sleep's own end) and they report how
// they woke. Output and exit status must match the native run.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 33
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

int memplumber_report_now(void) __attribute__((weak));

static int pfd[2], ep, sem;
static volatile int woke_usr1;
static char result[5][64];

static void on_usr1(int s) { (void)s; woke_usr1 = 1; }

static void *w_poll(void *a)
{
    struct pollfd p = {pfd[0], POLLIN, 0};
    int r = poll(&p, 1, -1);
    snprintf(result[0], sizeof result[0], "poll: %s", r == 1 ? "readable" : strerror(errno));
    return a;
}

static void *w_epoll(void *a)
{
    struct epoll_event ev;
    int r = epoll_wait(ep, &ev, 1, -1);
    snprintf(result[1], sizeof result[1], "epoll_wait: %s", r == 1 ? "readable" : strerror(errno));
    return a;
}

static void *w_sleep(void *a)
{
    struct timespec ts = {1, 0};
    int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
    snprintf(result[2], sizeof result[2], "clock_nanosleep: %s", r == 0 ? "slept" : strerror(r));
    return a;
}

static void *w_sigsuspend(void *a)
{
    sigset_t none;
    sigemptyset(&none);
    sigsuspend(&none); /* returns -1 EINTR after a handler: the expected one is SIGUSR1's */
    snprintf(result[3], sizeof result[3], "sigsuspend: %s", woke_usr1 ? "SIGUSR1" : "other");
    return a;
}

static void *w_semop(void *a)
{
    struct sembuf op = {0, -1, 0};
    int r = semop(sem, &op, 1);
    snprintf(result[4], sizeof result[4], "semop: %s", r == 0 ? "posted" : strerror(errno));
    return a;
}

int main(void)
{
    if (pipe(pfd))
        return 2;
    ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev);
    sem = semget(IPC_PRIVATE, 1, 0600);
    if (sem < 0)
        return 2;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL); /* only the sigsuspend thread takes it */
    void *(*fn[5])(void *) = {w_poll, w_epoll, w_sleep, w_sigsuspend, w_semop};
    pthread_t t[5];
    for (int i = 0; i < 5; i++)
        pthread_create(&t[i], NULL, fn[i], NULL);
    char *leak = malloc(33);
    memset(leak, 7, 33);
    leak = NULL;
    usleep(200000); /* every waiter is waiting */
    for (int i = 0; i < 3; i++) {
        if (memplumber_report_now)
            memplumber_report_now();
        usleep(50000);
    }
    if (write(pfd[1], "x", 1) != 1)
        return 2;
    pthread_kill(t[3], SIGUSR1);
    struct sembuf post = {0, 1, 0};
    semop(sem, &post, 1);
    for (int i = 0; i < 5; i++)
        pthread_join(t[i], NULL);
    semctl(sem, 0, IPC_RMID);
    for (int i = 0; i < 5; i++)
        printf("%s\n", result[i]);
    return 0;
}
