/* A thread that waits in epoll_wait with a stale pointer in the dead part of its stack
 * (tests/integration/live_stale_stack.sh): fill() allocates 4242 bytes deep in a frame, keeps the
 * address only in that frame and returns without freeing it (lost); the thread then waits in
 * epoll_wait until the main thread writes to its pipe. main waits in read() on another pipe
 * until the test sends a byte, then ends the worker and exits 0. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static int wake[2];

__attribute__((noinline)) static void fill(void)
{
    volatile char *keep[64];
    volatile char pad[2048];
    pad[0] = 1;
    keep[17] = malloc(4242);
    memset((char *)keep[17], 3, 4242);
    (void)pad[0];
}

static void *worker(void *arg)
{
    (void)arg;
    fill();
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = wake[0]}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, wake[0], &ev);
    int n = epoll_wait(ep, &out, 1, -1);
    return (void *)(long)n;
}

int main(int argc, char **argv)
{
    (void)argc;
    if (pipe(wake))
        return 9;
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    usleep(100000);
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "1\n", 2) != 2)
        return 8;
    close(fd);
    char c;
    if (read(0, &c, 1) != 1)
        return 7;
    if (write(wake[1], "x", 1) != 1)
        return 6;
    void *r;
    pthread_join(t, &r);
    printf("woke %ld\n", (long)r);
    return 0;
}
