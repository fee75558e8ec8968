// The program's own signal handling is untouched: what sigaction/signal/sysv_signal/sigset
// return is what the program set (SIG_DFL at first), its handlers run, SIG_IGN ignores; then
// it puts SIG_DFL back on SIGUSR1 and dies of it (reported).
// REPORT-STDERR: yes
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 8
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int got;
static void on_sig(int sig) { got = sig; }

static const char *name(void (*h)(int))
{
    return h == SIG_DFL ? "SIG_DFL" : h == SIG_IGN ? "SIG_IGN" : h == on_sig ? "on_sig" :
           h == SIG_HOLD ? "SIG_HOLD" : h == SIG_ERR ? "SIG_ERR" : "other";
}

int main(void)
{
    struct sigaction sa, old;
    for (int s = 1; s < 32; s++) {
        if (s == SIGKILL || s == SIGSTOP)
            continue;
        sigaction(s, NULL, &old);
        if (old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO))
            printf("signal %d: not SIG_DFL at start (%s, flags %#x)\n", s, name(old.sa_handler),
                   old.sa_flags);
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, &old);
    printf("SIGTERM before: %s\n", name(old.sa_handler));
    sigaction(SIGTERM, NULL, &old);
    printf("SIGTERM now: %s restart=%d\n", name(old.sa_handler), !!(old.sa_flags & SA_RESTART));
    raise(SIGTERM);
    printf("handler saw %d\n", got);
    printf("signal(SIGINT) returned %s\n", name(signal(SIGINT, on_sig)));
    printf("signal(SIGINT) returned %s\n", name(signal(SIGINT, SIG_DFL)));
    printf("sysv_signal(SIGHUP) returned %s\n", name(sysv_signal(SIGHUP, on_sig)));
    raise(SIGHUP);
    printf("handler saw %d; SIGHUP is now %s (reset on delivery)\n", got,
           name(signal(SIGHUP, SIG_DFL)));
    printf("sigset(SIGUSR2, SIG_HOLD) returned %s\n", name(sigset(SIGUSR2, SIG_HOLD)));
    printf("sigset(SIGUSR2, on_sig) returned %s\n", name(sigset(SIGUSR2, on_sig)));
    signal(SIGPIPE, SIG_IGN);
    raise(SIGPIPE);
    printf("SIGPIPE ignored\n");
    printf("SIGPIPE reads %s\n", name(signal(SIGPIPE, SIG_DFL)));
    fflush(stdout);
    char *leak = malloc(8);
    leak = NULL;
    signal(SIGUSR1, on_sig);
    signal(SIGUSR1, SIG_DFL);
    raise(SIGUSR1);
    printf("not reached\n");
    return 0;
}
