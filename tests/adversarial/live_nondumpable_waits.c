// A daemon that is not dumpable any more (it changed its user from root to nobody, which clears
// the flag, and says prctl(PR_SET_DUMPABLE, 0) itself) takes reports while it runs
// (memplumber_report_now, as `memplumber report PID` does) while one worker waits in poll on a
// pipe and another in nanosleep. Its /proc/self/task/TID/syscall files are then root's, mode
// 0400: memplumber could not see what the workers waited in, stopped them with its signal, and
// both calls returned EINTR (the program then ended early and the report never came). Natively
// the API is absent and nothing interrupts them. As a user other than root, PR_SET_DUMPABLE alone
// makes the files unreadable. Output and exit status must match the native run.
// SETUP: chmod a+rwx . && chmod a+x ..
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 33
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

int memplumber_report_now(void) __attribute__((weak));

static int pfd[2];
static char res[2][64];

static void *w_poll(void *a)
{
    struct pollfd p = {pfd[0], POLLIN, 0};
    int r = poll(&p, 1, -1);
    snprintf(res[0], sizeof res[0], "poll: %s", r == 1 ? "readable" : strerror(errno));
    return a;
}

static void *w_sleep(void *a)
{
    struct timespec ts = {0, 800 * 1000000L}, rem = {0, 0};
    int r = nanosleep(&ts, &rem);
    snprintf(res[1], sizeof res[1], "nanosleep: %s", r == 0 ? "slept" : strerror(errno));
    return a;
}

int main(void)
{
    if (geteuid() == 0 && (setgroups(0, NULL) || setgid(65534) || setuid(65534))) {
        printf("cannot become nobody: nothing to check\n");
        return 0;
    }
    prctl(PR_SET_DUMPABLE, 0);
    if (pipe(pfd))
        return 2;
    char *volatile lost = malloc(33);
    memset(lost, 1, 33);
    lost = NULL;
    pthread_t a, b;
    pthread_create(&a, NULL, w_poll, NULL);
    pthread_create(&b, NULL, w_sleep, NULL);
    struct timespec pause_ts = {0, 150 * 1000000L};
    nanosleep(&pause_ts, NULL);
    for (int i = 0; i < 5; i++)
        if (memplumber_report_now)
            memplumber_report_now();
    pthread_join(b, NULL);
    if (write(pfd[1], "x", 1) != 1)
        return 3;
    pthread_join(a, NULL);
    printf("%s\n%s\n", res[0], res[1]);
    return 0;
}
