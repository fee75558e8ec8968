// abort() with a SIGABRT handler that returns (it counts and prints): glibc's abort then puts
// SIG_DFL back itself and raises again, so the program dies of SIGABRT. The report must still be
// written before it dies, and the handler's output is native.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 23
// STDERR-HAS: fatal signal 6
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_abrt(int sig)
{
    (void)sig;
    write(1, "abrt handler\n", 13);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_abrt;
    sigaction(SIGABRT, &sa, NULL);
    char *leak = malloc(23);
    leak[0] = 0;
    leak = NULL;
    abort();
}
