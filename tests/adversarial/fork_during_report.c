// fork while another thread writes a report (memplumber_report_now in a loop, as `memplumber
// report` does on the report thread): the child must not inherit the report's lock held by a
// thread it does not have. It hung in its own exit report (_exit) forever, and its parent in
// waitpid. Each child allocates, leaks and _exits; the parent waits for each with a 10 s bound
// and says so if one does not end. Natively the API is absent and nothing waits.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] >= 40
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int memplumber_report_now(void) __attribute__((weak));

static volatile int done;

static void *reporter(void *arg)
{
    (void)arg;
    while (!done)
        if (memplumber_report_now)
            memplumber_report_now();
        else
            usleep(1000);
    return NULL;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, reporter, NULL);
    int hung = 0, bad = 0, n;
    for (n = 0; n < 25; n++) {
        char *keep = malloc(40);
        strcpy(keep, "parent");
        keep = NULL; /* leaked: 40 bytes per fork */
        pid_t p = fork();
        if (p == 0) {
            char *lost = malloc(24);
            memset(lost, 1, 24);
            lost = NULL;
            _exit(3);
        }
        int st = 0;
        double end = now() + 10;
        while (waitpid(p, &st, WNOHANG) == 0) {
            if (now() > end) {
                hung++;
                kill(p, SIGKILL);
                waitpid(p, &st, 0);
                break;
            }
            usleep(2000);
        }
        if (!hung && !(WIFEXITED(st) && WEXITSTATUS(st) == 3))
            bad++;
        if (hung)
            break;
    }
    done = 1;
    pthread_join(t, NULL);
    printf("forks %d, children that hung %d, bad statuses %d\n", n, hung, bad);
    return hung || bad;
}
