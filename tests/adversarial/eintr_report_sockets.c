// Reports taken while the program runs (memplumber_report_now, from main) must not make the
// other threads' waits return early where a signal handler would: on a socket with a receive or
// send timeout (SO_RCVTIMEO, SO_SNDTIMEO) accept, recv, read and write return EINTR whatever
// SA_RESTART says (the kernel's sock_intr_errno), and so does a futex wait with a timeout
// (sem_timedwait). Natively the API is absent (weak symbols, NULL) and nothing interrupts them.
// Each waiter treats an early return as the program's failure and prints it; after the reports,
// main wakes them the normal way and they report how they woke. Output and exit status must match.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 41
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int memplumber_report_now(void) __attribute__((weak));

#define BIG (1 << 20)
static int lsn, rs[2], ws[2];
static int fword;
static sem_t sem;
static char result[6][80];
static struct sockaddr_un addr = {.sun_family = AF_UNIX};
static socklen_t alen;

static void *w_accept(void *a)
{
    int c = accept(lsn, NULL, NULL);
    snprintf(result[0], sizeof result[0], "accept: %s", c >= 0 ? "connected" : strerror(errno));
    return a;
}

static void *w_recv(void *a)
{
    char b[4];
    ssize_t n = recv(rs[0], b, 1, 0);
    snprintf(result[1], sizeof result[1], "recv: %s", n == 1 ? "a byte" : strerror(errno));
    return a;
}

static void *w_read(void *a)
{
    char b[4];
    ssize_t n = read(rs[0], b, 1);
    snprintf(result[2], sizeof result[2], "read: %s", n == 1 ? "a byte" : strerror(errno));
    return a;
}

static void *w_write(void *a)
{
    char *buf = calloc(1, BIG);
    ssize_t n = write(ws[1], buf, BIG); /* blocks once the socket's buffer is full */
    snprintf(result[3], sizeof result[3], "write: %s", n == BIG ? "all written" : n < 0 ? strerror(errno) : "short");
    free(buf);
    return a;
}

static void *w_futex(void *a)
{
    struct timespec ts = {20, 0};
    long r = syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    snprintf(result[4], sizeof result[4], "futex: %s", r == 0 || errno == EAGAIN ? "woken" : strerror(errno));
    return a;
}

static void *w_sem(void *a)
{
    struct timespec d;
    clock_gettime(CLOCK_REALTIME, &d);
    d.tv_sec += 20;
    int r = sem_timedwait(&sem, &d);
    snprintf(result[5], sizeof result[5], "sem_timedwait: %s", r == 0 ? "posted" : strerror(errno));
    return a;
}

int main(void)
{
    struct timeval tv = {20, 0};
    lsn = socket(AF_UNIX, SOCK_STREAM, 0);
    alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                       (size_t)snprintf(addr.sun_path + 1, sizeof addr.sun_path - 1, "mp-eintr-sock.%d", getpid()));
    if (lsn < 0 || bind(lsn, (struct sockaddr *)&addr, alen) || listen(lsn, 4))
        return 2;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, rs) || socketpair(AF_UNIX, SOCK_STREAM, 0, ws))
        return 2;
    setsockopt(lsn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(rs[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(ws[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sem_init(&sem, 0, 0);
    void *(*fn[6])(void *) = {w_accept, w_recv, w_read, w_write, w_futex, w_sem};
    pthread_t t[6];
    for (int i = 0; i < 6; i++)
        pthread_create(&t[i], NULL, fn[i], NULL);
    char *leak = malloc(41);
    memset(leak, 7, 41);
    leak = NULL;
    usleep(300000); /* every waiter is waiting */
    for (int i = 0; i < 3; i++) {
        if (memplumber_report_now)
            memplumber_report_now();
        usleep(50000);
    }
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&addr, alen) || write(rs[1], "xy", 2) != 2)
        return 2;
    struct timeval two = {2, 0}; /* a writer that returned early sends no more */
    setsockopt(ws[0], SOL_SOCKET, SO_RCVTIMEO, &two, sizeof two);
    char *sink = malloc(BIG);
    for (size_t got = 0; got < BIG;) {
        ssize_t n = read(ws[0], sink, BIG);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    free(sink);
    __atomic_store_n(&fword, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    sem_post(&sem);
    for (int i = 0; i < 6; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 6; i++)
        printf("%s\n", result[i]);
    return 0;
}
