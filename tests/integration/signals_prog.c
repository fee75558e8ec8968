/* Helper of signals.sh: signals_prog LOG MODE [READY]
 * MODE "handle": every signal that can be caught (but SIGCHLD) gets a handler that appends
 * "got N" to LOG; 0.5 s after the first one the program exits with status 3 (0.5 s in which a
 * second delivery would be logged too). MODE "default": dispositions left as inherited.
 * Either way it then creates READY (if given) and sleeps, 10 s when handling signals, 2 s with
 * default dispositions, then exits 0. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1;
static volatile sig_atomic_t first;

static void on_signal(int sig)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "got %d\n", sig);
    if (write(log_fd, buf, (size_t)n) < 0)
        _exit(99);
    if (!first)
        first = sig;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    log_fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0)
        return 2;
    char *leak = malloc(10); /* something for memplumber to see */
    (void)leak;
    if (!strcmp(argv[2], "handle")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        for (int sig = 1; sig < NSIG; sig++)
            if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD)
                sigaction(sig, &sa, NULL);
    }
    if (argc > 3)
        close(open(argv[3], O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    struct timespec step = {0, 10 * 1000 * 1000};
    int steps = strcmp(argv[2], "handle") ? 200 : 1000;
    for (int i = 0; i < steps; i++) {
        nanosleep(&step, NULL);
        if (first) {
            for (int j = 0; j < 50; j++)
                nanosleep(&step, NULL);
            return 3;
        }
    }
    return 0;
}
