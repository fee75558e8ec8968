// A stack overflow caught on a 16 KiB alternate stack; the handler calls _exit(9) (as crash
// handlers do). The report runs on memplumber's own stack, the status stays 9.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 64
// REPORT-STDERR: yes
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_segv(int sig)
{
    (void)sig;
    static const char msg[] = "caught stack overflow\n";
    write(1, msg, sizeof msg - 1);
    _exit(9);
}

static int recurse(volatile char *prev, int n)
{
    volatile char buf[1024];
    /* Written whole: the words below main would otherwise still hold stale pointers (such as the
     * leaked one), which valgrind ignores as never written and memplumber would follow. */
    for (int i = 0; i < 1024; i++)
        buf[i] = 0;
    buf[0] = (char)n;
    buf[1023] = prev ? prev[0] : 0;
    return recurse(buf, n + 1) + buf[5];
}

int main(void)
{
    stack_t ss = {.ss_sp = malloc(16384), .ss_size = 16384, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    char *leak = malloc(64);
    leak = NULL;
    return recurse(NULL, 0);
}
