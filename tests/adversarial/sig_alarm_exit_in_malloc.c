// The timeout idiom: alarm() whose SIGALRM handler prints and calls exit(2), while main is in a
// tight malloc/free loop (the signal lands inside the allocator or memplumber's hook, or
// between). Natively the process ends with status 2 every time. Under memplumber it must too
// (no hang, no crash, the handler's line printed); the report may be skipped when the signal
// interrupted the allocator (documented). 4 runs.
// RUN: for i in 1 2 3 4; do timeout -s KILL 20 $PROG; echo "status $?"; done
// JSON: any
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static void on_alarm(int s)
{
    (void)s;
    static const char m[] = "timeout\n";
    write(1, m, sizeof m - 1);
    exit(2);
}

int main(void)
{
    signal(SIGALRM, on_alarm);
    struct itimerval it = {{0, 0}, {0, 30000}};
    setitimer(ITIMER_REAL, &it, NULL);
    void *v[32] = {0};
    for (unsigned long i = 0;; i++) {
        unsigned k = i % 32;
        v[k] = realloc(v[k], 1 + (i * 7919) % 3000);
        if (i % 3 == 0) {
            free(v[k]);
            v[k] = NULL;
        }
    }
}
