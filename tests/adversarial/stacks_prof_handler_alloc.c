// A SIGPROF timer whose handler allocates, reallocates and frees while the main code asks
// malloc_usable_size about a block in a loop (a plain read natively, so the program is safe;
// a handler must not interrupt malloc or free themselves). Under memplumber that call looks the
// block up in the table, and most ticks land inside that critical section: the handler's
// events are queued and recorded later, and they must be recorded in the order they happened.
// Drained newest first, each malloc+free pair of the handler became a false leak with no stack
// (the free found nothing, the block was never really freed), and a queued realloc's old block
// was freed a second time (glibc aborted); an entry left in the queue kept the leak reachable.
// Only the block the handler keeps on purpose leaks (it may have no stack: docs/MANUAL.md).
// The loop runs until 250 ticks (about 1 s of CPU at the kernel's 4 ms tick).
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 4321 and j["summary"]["definitely_lost"]["blocks"] == 1
// JSON-CHECK: j["summary"]["possibly_lost"]["blocks"] == 0 and j["summary"]["indirectly_lost"]["blocks"] == 0
// JSON-CHECK: j["summary"]["errors"] == 0
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <malloc.h>

static volatile sig_atomic_t ticks;
static void *volatile kept;

static void on_prof(int sig)
{
    (void)sig;
    ticks++;
    char *a = malloc(24), *b = calloc(3, 16);
    a = realloc(a, 200);
    if (a)
        a[199] = 1;
    free(a);
    free(b);
    if (ticks == 10)
        kept = malloc(4321);
}

static size_t usable;

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prof;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGPROF, &sa, 0);
    struct itimerval it = {{0, 100}, {0, 100}};
    setitimer(ITIMER_PROF, &it, 0);
    void *p = malloc(40);
    while (ticks < 250)
        for (int i = 0; i < 1000; i++)
            usable += malloc_usable_size(p);
    free(p);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &off, 0);
    kept = 0;
    puts("done");
    return 0;
}
