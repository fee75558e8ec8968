/* A server whose threads wait in system calls that a signal handler interrupts with EINTR even
 * under SA_RESTART (poll, epoll_wait, select, nanosleep, pause), and which treats EINTR as a bug
 * (it prints it and exits 3): natively no signal comes. `memplumber report PID` must not make
 * them return. The main thread waits for SIGTERM with sigwait (blocked there only), then exits 0.
 * Used by live_eintr.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2];

static void bad(const char *what)
{
    printf("%s: %s\n", what, strerror(errno));
    fflush(stdout);
    _exit(3);
}

static void *in_poll(void *a)
{
    struct pollfd p = {pipefd[0], POLLIN, 0};
    if (poll(&p, 1, -1) < 0)
        bad("poll");
    return a;
}

static void *in_epoll(void *a)
{
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev);
    if (epoll_wait(ep, &ev, 1, -1) < 0)
        bad("epoll_wait");
    return a;
}

static void *in_select(void *a)
{
    fd_set r;
    FD_ZERO(&r);
    FD_SET(pipefd[0], &r);
    if (select(pipefd[0] + 1, &r, NULL, NULL, NULL) < 0)
        bad("select");
    return a;
}

static void *in_nanosleep(void *a)
{
    struct timespec ts = {3600, 0};
    if (nanosleep(&ts, NULL) < 0)
        bad("nanosleep");
    return a;
}

static void *in_pause(void *a)
{
    pause();
    bad("pause");
    return a;
}

int main(int argc, char **argv)
{
    if (argc < 2 || pipe(pipefd))
        return 2;
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &term, NULL);
    void *(*fns[])(void *) = {in_poll, in_epoll, in_select, in_nanosleep, in_pause};
    pthread_t t;
    for (unsigned i = 0; i < sizeof fns / sizeof fns[0]; i++)
        pthread_create(&t, NULL, fns[i], NULL);
    char *leak = malloc(77);
    memset(leak, 1, 77);
    leak = NULL;
    usleep(100000);
    FILE *ready = fopen(argv[1], "w");
    if (!ready)
        return 2;
    fputs("ready\n", ready);
    fclose(ready);
    int sig;
    sigwait(&term, &sig);
    printf("term\n");
    fflush(stdout);
    exit(0);
}
