// A program that takes SIGRTMAX-3 for itself: its SA_SIGINFO handler receives raise() and its
// own sigqueue() (with the code and value sent), sigaction reads back what it set, signal()
// returns the previous handler; then SIG_IGN makes raise() harmless and SIG_DFL reads back.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 0
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got, last_code, last_value;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    got++;
    last_code = si->si_code;
    last_value = si->si_value.sival_int;
}

static void plain(int sig) { (void)sig; got += 100; }

int main(void)
{
    int s = SIGRTMAX - 3;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(s, &sa, &old);
    printf("before: %s\n", old.sa_handler == SIG_DFL ? "SIG_DFL" : "a handler");
    raise(s);
    printf("raise: got %d, code is SI_TKILL: %d\n", (int)got, last_code == SI_TKILL);
    sigqueue(getpid(), s, (union sigval){.sival_int = 77});
    printf("sigqueue: got %d, code is SI_QUEUE: %d, value %d\n", (int)got, last_code == SI_QUEUE,
           (int)last_value);
    sigaction(s, NULL, &old);
    printf("reads back its handler: %d, SA_SIGINFO: %d\n", old.sa_sigaction == on_sig,
           !!(old.sa_flags & SA_SIGINFO));
    void (*prev)(int) = signal(s, plain);
    printf("signal() returned its handler: %d\n", prev == (void (*)(int))on_sig);
    raise(s);
    printf("plain handler: got %d\n", (int)got);
    signal(s, SIG_IGN);
    raise(s);
    printf("ignored: got %d\n", (int)got);
    prev = signal(s, SIG_DFL);
    sigaction(s, NULL, &old);
    printf("after SIG_DFL: prev is SIG_IGN %d, reads SIG_DFL %d\n", prev == SIG_IGN,
           old.sa_handler == SIG_DFL);
    return 0;
}
