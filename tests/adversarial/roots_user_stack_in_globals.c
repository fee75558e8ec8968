// Threads on stacks the program gives them (pthread_attr_setstack) in static arrays, among its
// globals: one has finished (joined), one waits in pause at exit. The globals in the same
// mapping hold the only pointers to blocks. valgrind: still reachable. memplumber left out the
// mapping below the finished thread's descriptor (taken for a cached thread stack) and below the
// live thread's stack pointer (read as a stack from there up): definitely lost.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 0
// JSON-CHECK: sum(l["bytes"] for l in j["leaks"] if l["kind"] == "still_reachable") >= 1400 + 1401 + 1402 + 1403
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

void *globals_a[64];
static char stack_done[256 << 10] __attribute__((aligned(4096)));
void *globals_b[64];
static char stack_live[256 << 10] __attribute__((aligned(4096)));
void *globals_c[64];
static volatile int ready;

static void *finishes(void *arg)
{
    globals_b[1] = malloc(1403);
    return arg;
}

static void *waits(void *arg)
{
    ready = 1;
    for (;;)
        pause();
    return arg;
}

static pthread_t start(void *(*fn)(void *), char *stack, size_t size)
{
    pthread_attr_t a;
    pthread_t t;
    pthread_attr_init(&a);
    pthread_attr_setstack(&a, stack, size);
    pthread_create(&t, &a, fn, NULL);
    pthread_attr_destroy(&a);
    return t;
}

int main(void)
{
    globals_a[0] = malloc(1400);
    globals_b[0] = malloc(1401);
    globals_c[0] = malloc(1402);
    pthread_join(start(finishes, stack_done, sizeof stack_done), NULL);
    start(waits, stack_live, sizeof stack_live);
    while (!ready)
        usleep(1000);
    exit(0);
}
