// A handler running on a small alternate stack (8 KiB) calls exit(): the report must not run on
// that stack (it would overflow it and the program would die of SIGSEGV with no report).
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 100
// REPORT-STDERR: yes
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_usr1(int sig)
{
    (void)sig;
    printf("handler\n");
    exit(7);
}

int main(void)
{
    static char altstack[8192];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    char *leak = malloc(100);
    leak = NULL;
    raise(SIGUSR1);
    return 0;
}
