// Two threads switch to coroutine stacks of their own (mmap'd): one waits there in pause, the
// other calls exit from there. The frames that called swapcontext, on each thread's own stack,
// hold the only pointers to a block. valgrind: still reachable; memplumber took those stacks
// for finished threads' (no live stack pointer in them) and said definitely lost.
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 0
// JSON-CHECK: any(l["kind"] == "still_reachable" and l["bytes"] == 701 + 702 and l["blocks"] == 2 for l in j["leaks"])
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static ucontext_t back[2], coro[2];
static volatile int parked;

static void waiter(void)
{
    parked = 1;
    for (;;)
        pause();
}

static void exiter(void)
{
    while (!parked)
        usleep(1000);
    exit(0);
}

__attribute__((noinline)) static void run_on_coroutine(int i)
{
    volatile void *mine = malloc(701 + i); /* only here, in this frame */
    getcontext(&coro[i]);
    coro[i].uc_stack.ss_sp = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    coro[i].uc_stack.ss_size = 65536;
    coro[i].uc_link = NULL;
    makecontext(&coro[i], i ? exiter : waiter, 0);
    swapcontext(&back[i], &coro[i]);
    (void)mine;
}

static void *thread(void *arg)
{
    run_on_coroutine((int)(long)arg);
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    pthread_create(&t[0], NULL, thread, (void *)0L);
    pthread_create(&t[1], NULL, thread, (void *)1L);
    pthread_join(t[1], NULL);
    return 1;
}
