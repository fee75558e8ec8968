/* A single-threaded program that leaks 77 bytes, writes its ready file, then waits in one call
 * that a signal handler interrupts with EINTR whatever SA_RESTART says (argv[2]: sleep, poll,
 * select, epoll, sigsuspend, accept on a socket with SO_RCVTIMEO, semtimed: sem_timedwait) or
 * spins (busy; sigloop: sets a signal handler in a loop). Natively nothing interrupts the wait: an early
 * return prints "CALL returned early: ERROR" and exits 3; a SIGTERM handler prints "term" and
 * exits 0. Used by live_idle.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void on_term(int sig)
{
    (void)sig;
    static const char msg[] = "term\n";
    write(1, msg, sizeof msg - 1);
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    int p[2];
    if (pipe(p))
        return 2;
    void *volatile leak = malloc(77);
    leak = NULL;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    FILE *f = fopen(argv[1], "w");
    if (!f)
        return 2;
    fputs("ready\n", f);
    fclose(f);
    const char *w = argv[2];
    int r = 0;
    if (!strcmp(w, "sleep")) {
        struct timespec ts = {60, 0};
        r = nanosleep(&ts, NULL);
    } else if (!strcmp(w, "poll")) {
        struct pollfd fd = {p[0], POLLIN, 0};
        r = poll(&fd, 1, 60000);
    } else if (!strcmp(w, "select")) {
        fd_set s;
        FD_ZERO(&s);
        FD_SET(p[0], &s);
        struct timeval tv = {60, 0};
        r = select(p[0] + 1, &s, NULL, NULL, &tv);
    } else if (!strcmp(w, "epoll")) {
        int e = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLIN};
        epoll_ctl(e, EPOLL_CTL_ADD, p[0], &ev);
        r = epoll_wait(e, &ev, 1, 60000);
    } else if (!strcmp(w, "sigsuspend")) {
        sigset_t s;
        sigemptyset(&s);
        r = sigsuspend(&s);
    } else if (!strcmp(w, "accept")) {
        /* a listening socket with a receive timeout: accept returns EINTR after any handler */
        int l = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "mp-live-idle.%d", (int)getpid());
        struct timeval tv = {60, 0};
        if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
            setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv))
            return 2;
        r = accept(l, NULL, NULL);
    } else if (!strcmp(w, "semtimed")) {
        /* a futex wait with a timeout */
        sem_t s;
        sem_init(&s, 0, 0);
        struct timespec d;
        clock_gettime(CLOCK_REALTIME, &d);
        d.tv_sec += 60;
        r = sem_timedwait(&s, &d);
    } else if (!strcmp(w, "sigloop")) {
        /* busy setting a handler, over and over (memplumber's sigaction blocks every signal
         * for a moment each time) */
        for (;;)
            signal(SIGUSR1, on_term);
    } else if (!strcmp(w, "busy")) {
        for (volatile unsigned long i = 0;; i++)
            ;
    }
    if (r < 0) {
        printf("%s returned early: %s\n", w, strerror(errno));
        return 3;
    }
    printf("%s timed out\n", w);
    return 4;
}
