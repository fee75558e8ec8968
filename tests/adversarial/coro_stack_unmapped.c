// Coroutines (makecontext/swapcontext) on stacks from mmap, as coroutine pools make them: a deep
// allocation on one stack, that stack unmapped when its coroutine is done, then allocations on a
// stack below it, in the main thread and in two threads at once. memplumber's record of its
// last walk pointed into the unmapped stack; it must never read there (the program ran natively
// and died of SIGSEGV under memplumber). Every leak is found.
// JSON-CHECK: j["summary"]["definitely_lost"]["blocks"] == 3 * 3 * 2 * 2
// JSON-CHECK: j["summary"]["definitely_lost"]["bytes"] == 3 * 3 * 2 * (24 + 40)
// JSON-CHECK: any(f.get("function") == "deep" for l in j["leaks"] for f in l["stack"])
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>

struct co {
    ucontext_t caller, self;
    int depth;
    size_t size;
};
static void *(*volatile alloc)(size_t) = malloc;
static __thread struct co *cur;

__attribute__((noinline)) static void deep(int n, size_t size)
{
    if (n > 0) {
        deep(n - 1, size);
        __asm__ volatile("" ::: "memory");
        return;
    }
    void *volatile p = alloc(size); /* leaked: the pointer dies with the frame */
    (void)p;
}

static void body(void)
{
    deep(cur->depth, cur->size);
    deep(cur->depth / 2, cur->size + 16);
}

static void run_on(char *stack, size_t len, int depth, size_t size)
{
    struct co c;
    c.depth = depth;
    c.size = size;
    cur = &c;
    getcontext(&c.self);
    c.self.uc_stack.ss_sp = stack;
    c.self.uc_stack.ss_size = len;
    c.self.uc_link = &c.caller;
    makecontext(&c.self, body, 0);
    swapcontext(&c.caller, &c.self);
}

static char *map(size_t len)
{
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    return p;
}

static void *scenario(void *arg)
{
    (void)arg;
    const size_t len = 256 * 1024;
    for (int round = 0; round < 3; round++) {
        char *hi = map(len), *lo = map(len);
        if (lo > hi) {
            char *t = lo;
            lo = hi;
            hi = t;
        }
        run_on(hi, len, 30, 24);  /* a walk longer than any shortcut's minimum */
        munmap(hi, len);          /* done: its stack goes back */
        run_on(lo, len, 3, 24);   /* below the unmapped one: must not read there */
        munmap(lo, len);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, scenario, NULL);
    scenario(NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("done\n");
    return 0;
}
