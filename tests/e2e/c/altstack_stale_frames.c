/* Alternate signal stacks hold the frames of signal handlers: once a handler has returned, they
 * are dead (valgrind marks them inaccessible), so a pointer left in a returned handler's local is
 * no root and its block is definitely lost. "main": the main thread's alternate stack, a static
 * buffer; "thread": the alternate stack (an mmap'd region) of a thread still blocked
 * when main returns; "exit": exit() called from the handler while it runs on the alternate stack, where
 * the handler's frame is live: its block is still reachable. (valgrind does not unwind a thread's
 * stack into its alternate stack, so the thread's record is checked by its totals.)
 * RUN:        %memplumber --json %t.main.json -- %bin main
 * RUN:        %memplumber --json %t.thread.json -- %bin thread
 * RUN:        %memplumber --json %t.exit.json -- %bin exit
 * EXIT:       3
 * JSON:       %t.main.json
 * EXPECT:     definitely_lost bytes=20 blocks=1 frame0=block frame1=handler
 * EXPECT-NOT: still_reachable frame1=handler
 * JSON:       %t.thread.json
 * EXPECT:     summary.definitely_lost.bytes=20
 * EXPECT:     summary.definitely_lost.blocks=1
 * JSON:       %t.exit.json
 * EXPECT:     still_reachable bytes=20 blocks=1 frame0=block frame1=exiting_handler
 * EXPECT-NOT: definitely_lost frame1=exiting_handler
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define ALT_SIZE 65536

static char static_alt[ALT_SIZE] __attribute__((aligned(16)));
static int never_written[2];
static volatile int parked;

NOINLINE static void scrub_stack(void)
{
    volatile char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0;
}

NOINLINE void *block(size_t n)
{
    char *p = malloc(n);
    memset(p, 'a', n);
    return p;
}

/* The block's only pointer is this frame's local, on the alternate stack. */
NOINLINE static void handler(int sig)
{
    void *volatile local = block(20);
    (void)sig;
    (void)local;
}

NOINLINE static void exiting_handler(int sig)
{
    void *volatile local = block(20);
    (void)sig;
    (void)local;
    exit(3);
}

static void on_altstack(void *area, void (*fn)(int))
{
    stack_t ss = {.ss_sp = area, .ss_size = ALT_SIZE, .ss_flags = 0};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = SA_ONSTACK;
    if (sigaltstack(&ss, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0)
        exit(2);
    raise(SIGUSR1);
}

static void *mapped_area(void)
{
    void *a = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED)
        exit(2);
    return a;
}

static void *worker(void *arg)
{
    (void)arg;
    on_altstack(mapped_area(), handler);
    scrub_stack();
    parked = 1;
    char c;
    while (read(never_written[0], &c, 1) != 0) /* blocked until the process exits */
        ;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "main")) {
        on_altstack(static_alt, handler);
    } else if (!strcmp(mode, "thread")) {
        pthread_t t;
        if (pipe(never_written) != 0 || pthread_create(&t, NULL, worker, NULL) != 0)
            return 2;
        while (!parked)
            usleep(1000);
    } else if (!strcmp(mode, "exit")) {
        on_altstack(mapped_area(), exiting_handler);
    }
    scrub_stack();
    return 0;
}
