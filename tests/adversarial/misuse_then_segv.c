// A signal handler frees a block made by operator new[] with free() (a mismatched free, which
// glibc accepts natively); right after the handler returns, the program writes through a null
// pointer and dies of SIGSEGV without another allocation. The error, recorded in the handler, is
// written with the fatal-signal report; the program still dies of SIGSEGV.
// LIBS: -lstdc++
// JSON-CHECK: [e["count"] for e in j["errors"] if e["kind"] == "mismatched_free"] == [1]
// STDERR-HAS: Mismatched free() / delete / delete []
// STDERR-HAS: memplumber report (fatal signal 11 (SIGSEGV))
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *_Znam(unsigned long n); /* operator new[] */

static void *block;

static void on_usr1(int sig)
{
    (void)sig;
    free(block); /* mismatched: new[] then free */
}

int main(void)
{
    block = _Znam(16);
    memset(block, 'n', 16);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    volatile int *p = NULL;
    *p = 1;
    return 0;
}
