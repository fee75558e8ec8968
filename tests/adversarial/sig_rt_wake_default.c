// Signal SIGRTMAX-3 (the one memplumber wakes an idle process with) left at its default action
// by the program: sigaction reads SIG_DFL, and raise() kills the process with that signal, after
// the exit report (memplumber's handler took every delivery of it as its own and swallowed it).
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 33
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    int s = SIGRTMAX - 3;
    struct sigaction old;
    sigaction(s, NULL, &old);
    printf("disposition: %s, flags %#x\n", old.sa_handler == SIG_DFL ? "SIG_DFL" : "a handler",
           (unsigned)old.sa_flags);
    char *leak = malloc(33);
    leak[0] = 0;
    leak = NULL;
    fflush(stdout);
    raise(s);
    printf("survived raise\n");
    return 0;
}
