// main runs a coroutine whose stack is a static array among the program's globals, and waits
// there while another thread calls exit. The globals below the coroutine's stack pointer (in
// the same mapping) hold the only pointers to two blocks. valgrind: still reachable; memplumber
// read that mapping as a stack, from the stack pointer up: definitely lost.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 0
// JSON-CHECK: sum(l["bytes"] for l in j["leaks"] if l["kind"] == "still_reachable") >= 1600 + 1601 + 1602
#include <pthread.h>
#include <stdlib.h>
#include <ucontext.h>
#include <unistd.h>

void *globals_before[64];
static char coroutine_stack[256 << 10] __attribute__((aligned(4096)));
void *globals_after[64];
static ucontext_t back, coroutine;
static volatile int running;

static void body(void)
{
    volatile void *mine = malloc(1601); /* on the coroutine's stack, above its stack pointer */
    (void)mine;
    running = 1;
    for (;;)
        pause();
}

static void *exiter(void *arg)
{
    while (!running)
        usleep(1000);
    exit(0);
    return arg;
}

int main(void)
{
    globals_before[0] = malloc(1600);
    globals_after[0] = malloc(1602);
    pthread_t t;
    pthread_create(&t, NULL, exiter, NULL);
    getcontext(&coroutine);
    coroutine.uc_stack.ss_sp = coroutine_stack;
    coroutine.uc_stack.ss_size = sizeof coroutine_stack;
    coroutine.uc_link = NULL;
    makecontext(&coroutine, body, 0);
    swapcontext(&back, &coroutine);
    return 1;
}
