// A crash handler installed with SA_RESETHAND (one shot, on a 10 KiB sigaltstack) logs the
// fault and returns without touching the disposition: the faulting write runs again and the
// default action kills the program. The kernel's reset must not bypass memplumber's report.
// Before that, SIGTERM with sysv_signal (one shot) is raised once and handled; a thread keeps
// allocating meanwhile.
// JSON-CHECK: j["summary"]["total_allocated"]["bytes"] >= 61
// STDERR-HAS: fatal signal 11
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char msg[80];
    int n = snprintf(msg, sizeof msg, "crash: signal %d at %p\n", sig, si->si_addr);
    write(1, msg, n);
}

static void on_term(int sig)
{
    (void)sig;
    write(1, "term once\n", 10);
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;)
        free(malloc(40));
    return NULL;
}

int main(void)
{
    static char alt[10240];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    sysv_signal(SIGTERM, on_term);
    raise(SIGTERM);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    char *leak = malloc(61);
    leak[0] = 0;
    leak = NULL;
    usleep(10000);
    *(volatile int *)32 = 1;
    return 0;
}
