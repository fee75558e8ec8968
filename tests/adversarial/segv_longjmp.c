// A SIGSEGV handler (on a 16 KiB sigaltstack) siglongjmps out of the faulting code, 200 times
// (a memory prober); blocks are allocated between the faults. Then the program puts SIG_DFL
// back and faults for real: it dies of SIGSEGV, after the report.
// JSON-CHECK: j["summary"]["total_allocated"]["bytes"] >= 20100 + 31 and j["summary"]["total_freed"]["bytes"] == 20100
// STDERR-HAS: fatal signal 11
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int faults;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)si; (void)uc;
    faults++;
    siglongjmp(env, 1);
}

int main(void)
{
    static char alt[16384];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    void *keep[200];
    for (int i = 0; i < 200; i++) {
        keep[i] = malloc(i + 1);
        if (sigsetjmp(env, 1) == 0) {
            volatile char *p = (volatile char *)(uintptr_t)(16 + i * 4096);
            *p = 1;
        }
    }
    for (int i = 0; i < 200; i++)
        free(keep[i]);
    printf("faults: %d\n", faults);
    fflush(stdout);
    char *leak = malloc(31);
    leak[0] = 0;
    leak = NULL;
    signal(SIGSEGV, SIG_DFL);
    *(volatile int *)8 = 0;
    return 0;
}
