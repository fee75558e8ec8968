// The main thread cancels itself, then exits: glibc acts on the cancel at the first cancellation
// point of the exit path (the write of an atexit handler's message, or of the stdout flush), and
// the process ends as a thread that was cancelled (status 0), with the handler's message lost or
// not as glibc decides. memplumber's exit report runs inside that exit path; its own writes must
// not be where the cancel acts, and what the program prints and its status stay native. Twice:
// with return from main and with exit() after fflush.
// RUN: $PROG; echo "status $?"; $PROG x; echo "status $?"
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 10
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

void *volatile sink;

static void bye(void) { fprintf(stderr, "atexit ran\n"); }

int main(int argc, char **argv)
{
    atexit(bye);
    sink = malloc(10);
    sink = 0;
    printf("before cancel\n");
    pthread_cancel(pthread_self());
    if (argc > 1) {
        fflush(stdout);
        exit(3);
    }
    return 4;
}
