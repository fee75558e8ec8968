/* A single-threaded daemon that takes every signal with sigwaitinfo() (all signals blocked) and
 * logs each one; SIGTERM makes it exit with status 5. `memplumber report PID` must not hand it a
 * signal of memplumber's: the kernel shows the signals a sigwait waits for as unblocked, and a
 * signal sent then would be the program's. Used by live_sigwait.sh. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL);
    char *leak = malloc(77);
    memset(leak, 1, 77);
    leak = NULL;
    FILE *ready = fopen(argv[1], "w");
    if (!ready)
        return 2;
    fputs("ready\n", ready);
    fclose(ready);
    for (;;) {
        siginfo_t si;
        int s = sigwaitinfo(&all, &si);
        if (s < 0)
            continue;
        printf("got signal %d\n", s);
        fflush(stdout);
        if (s == SIGTERM)
            return 5;
    }
}
