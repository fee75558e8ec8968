// A SIGALRM handler at a high rate (every 20 us) that mallocs a block and frees it again, while
// the main loop mallocs and frees blocks of the same size class, whose tcache list is filled
// first (so that neither ever leaves glibc's lock-free tcache path). The handler often interrupts
// glibc's free half-way through putting a block on its tcache list; natively that is harmless
// (the handler's pop and push undo each other). memplumber once held back the real free of a
// block freed by a handler that interrupted the allocator (or memplumber's table), so the pop
// was not undone: the block stayed on glibc's list while the handler had it, and the late free
// aborted the program ("free(): double free detected in tcache 2") or corrupted the heap.
// Also: no false heap error from the table (the handler's blocks are all freed).
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] == 0
// JSON-CHECK: len(j["errors"]) == 0
// JSON-CHECK: j["summary"]["total_freed"]["blocks"] >= 100000
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

void *volatile sink;
static volatile long hcount;

static void handler(int sig)
{
    (void)sig;
    void *p = malloc(64);
    sink = p;
    free(p);
    hcount++;
}

__attribute__((noinline)) static void pair(long i)
{
    void *p = malloc(57 + (size_t)(i & 15)); /* 57-72 bytes: the handler's size class */
    sink = p;
    free(p);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, 0);
    void *fill[7];
    for (int k = 0; k < 7; k++)
        fill[k] = malloc(64);
    for (int k = 0; k < 7; k++)
        free(fill[k]);
    struct itimerval it = {{0, 20}, {0, 20}};
    setitimer(ITIMER_REAL, &it, 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long i = 0;
    do {
        for (int k = 0; k < 1000; k++)
            pair(i++);
        clock_gettime(CLOCK_MONOTONIC, &t1);
    } while ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1000);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, 0);
    sink = 0;
    puts(hcount > 100 ? "handler ran" : "handler ran rarely");
    return 0;
}
