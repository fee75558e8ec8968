// exit(3) from one thread while the others wait in system calls a signal handler interrupts
// with EINTR even under SA_RESTART: main in pause(), others in nanosleep, poll, epoll_wait,
// sigsuspend and sem_wait. Each prints and exits with its own status if its call returns:
// natively none does (the exit ends the process first). memplumber's stop signal (the exit
// report's scan) must not make them return (main would return 0 from pause).
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] + j["summary"]["still_reachable"]["bytes"] >= 50
// REPORT-STDERR: yes
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

static sem_t sem;
static int pfd[2];

static void woke(const char *what, int rc)
{
    printf("%s returned %d (%s)\n", what, rc, strerror(errno));
    fflush(stdout);
    _exit(20);
}

static void *t_sleep(void *a)
{
    (void)a;
    struct timespec ts = {60, 0};
    woke("nanosleep", nanosleep(&ts, NULL));
    return NULL;
}

static void *t_poll(void *a)
{
    (void)a;
    struct pollfd p = {.fd = pfd[0], .events = POLLIN};
    woke("poll", poll(&p, 1, 60000));
    return NULL;
}

static void *t_epoll(void *a)
{
    (void)a;
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev);
    woke("epoll_wait", epoll_wait(ep, &out, 1, 60000));
    return NULL;
}

static void *t_suspend(void *a)
{
    (void)a;
    sigset_t none;
    sigemptyset(&none);
    woke("sigsuspend", sigsuspend(&none));
    return NULL;
}

static void *t_sem(void *a)
{
    (void)a;
    woke("sem_wait", sem_wait(&sem));
    return NULL;
}

static void *t_exit(void *a)
{
    (void)a;
    char *leak = malloc(50);
    leak[0] = 0;
    usleep(50000);
    printf("exit(3)\n");
    exit(3);
}

int main(void)
{
    sem_init(&sem, 0, 0);
    pipe(pfd);
    void *(*fns[])(void *) = {t_sleep, t_poll, t_epoll, t_suspend, t_sem, t_exit};
    pthread_t t;
    for (unsigned i = 0; i < sizeof fns / sizeof *fns; i++)
        pthread_create(&t, NULL, fns[i], NULL);
    int rc = pause();
    printf("pause returned %d\n", rc);
    return 0;
}
