// A thread sits in a handler on its alternate signal stack (waiting in pause) when main exits:
// the frames it interrupted on its own stack hold the only pointers to two blocks, one to the
// start and one inside. valgrind: still reachable and possibly lost; memplumber took that stack
// for a finished thread's (no stack pointer of a live thread in it) and said definitely lost.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 0
// JSON-CHECK: any(l["kind"] == "still_reachable" and l["bytes"] == 402 for l in j["leaks"])
// JSON-CHECK: any(l["kind"] == "possibly_lost" and l["bytes"] == 403 for l in j["leaks"])
// JSON-CHECK: any(l["kind"] == "still_reachable" and l["bytes"] == 401 for l in j["leaks"])
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static char altstack[65536] __attribute__((aligned(16)));
static volatile int in_handler;

static void handler(int sig)
{
    volatile void *p = malloc(401); /* in the handler's frame, on the alternate stack */
    (void)sig;
    (void)p;
    in_handler = 1;
    for (;;)
        pause();
}

__attribute__((noinline)) static void interrupted(void)
{
    volatile void *start = malloc(402);
    volatile char *inside = (char *)malloc(403) + 9;
    pthread_kill(pthread_self(), SIGUSR1);
    (void)start;
    (void)inside;
}

static void *thread(void *arg)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};
    sigaltstack(&ss, NULL);
    interrupted();
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
