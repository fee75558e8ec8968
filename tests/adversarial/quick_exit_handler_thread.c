// quick_exit(4) from a signal handler of a thread that runs on a 16 KiB sigaltstack, while the
// main thread is in sigwait (its signals blocked) and another thread is being cancelled. The
// at_quick_exit handler prints; atexit handlers do not run.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 26
// REPORT-STDERR: yes
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void qe(void) { printf("at_quick_exit\n"); fflush(stdout); }
static void ae(void) { printf("atexit (must not run)\n"); }

static void on_usr1(int sig)
{
    (void)sig;
    quick_exit(4);
}

static void *thr(void *arg)
{
    (void)arg;
    static char alt[16384];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    sigaltstack(&ss, NULL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    char *leak = malloc(26);
    leak[0] = 0;
    leak = NULL;
    pthread_kill(pthread_self(), SIGUSR1);
    return NULL;
}

static void *blocked(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    at_quick_exit(qe);
    atexit(ae);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    pthread_t b, t;
    pthread_create(&b, NULL, blocked, NULL);
    pthread_cancel(b);
    pthread_create(&t, NULL, thr, NULL);
    sigset_t w;
    sigemptyset(&w);
    sigaddset(&w, SIGUSR2);
    int sig;
    sigwait(&w, &sig);
    return 0;
}
