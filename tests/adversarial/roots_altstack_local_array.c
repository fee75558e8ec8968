// A thread's alternate signal stack is a local array in its own stack; it sits in a handler
// there when main exits. The frames the handler interrupted (deeper than the array, so below the
// handler's stack pointer) hold the only pointer to a block. valgrind: still reachable;
// memplumber read the thread's stack from the handler's stack pointer up: definitely lost.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 0
// JSON-CHECK: any(l["kind"] == "still_reachable" and l["bytes"] == 1902 for l in j["leaks"])
// JSON-CHECK: any(l["kind"] == "still_reachable" and l["bytes"] == 1901 for l in j["leaks"])
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static volatile int in_handler;

static void handler(int sig)
{
    volatile void *p = malloc(1901);
    (void)sig;
    (void)p;
    in_handler = 1;
    for (;;)
        pause();
}

__attribute__((noinline)) static void deeper(void)
{
    volatile void *q = malloc(1902);
    pthread_kill(pthread_self(), SIGUSR1);
    (void)q;
}

static void *thread(void *arg)
{
    char altstack[65536] __attribute__((aligned(16)));
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    deeper();
    return arg;
}

int main(void)
{
    struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_ONSTACK};
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t t;
    pthread_create(&t, NULL, thread, NULL);
    while (!in_handler)
        usleep(1000);
    exit(0);
}
